using System.Diagnostics;
using System.Net;
using Milters.Abstractions;

namespace Milters.Host.Metrics;

/// <summary>The host's resolver, counted: every query's type, outcome and time go to <see cref="MilterMetrics"/>.</summary>
public sealed class MeteredDnsResolver(IDnsResolver inner, MilterMetrics metrics) : IDnsResolver
{
    public ValueTask<DnsAnswer<TxtRecord>> QueryTxtAsync(string name, CancellationToken cancellationToken = default) =>
        Measure("TXT", inner.QueryTxtAsync(name, cancellationToken));

    public ValueTask<DnsAnswer<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken = default) =>
        Measure("A", inner.QueryAAsync(name, cancellationToken));

    public ValueTask<DnsAnswer<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken = default) =>
        Measure("AAAA", inner.QueryAaaaAsync(name, cancellationToken));

    public ValueTask<DnsAnswer<MxRecord>> QueryMxAsync(string name, CancellationToken cancellationToken = default) =>
        Measure("MX", inner.QueryMxAsync(name, cancellationToken));

    public ValueTask<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken = default) =>
        Measure("PTR", inner.QueryPtrAsync(address, cancellationToken));

    private async ValueTask<DnsAnswer<T>> Measure<T>(string type, ValueTask<DnsAnswer<T>> pending)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var answer = await pending.ConfigureAwait(false);
            // A cached answer asked nothing of a server: counted apart, so lookups and their times stay the resolver's.
            if (answer.FromCache) metrics.DnsCacheHit(type);
            else metrics.DnsLookup(type, answer.Status, Stopwatch.GetElapsedTime(started));
            return answer;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            metrics.DnsLookup(type, DnsStatus.Error, Stopwatch.GetElapsedTime(started));
            throw;
        }
    }
}
