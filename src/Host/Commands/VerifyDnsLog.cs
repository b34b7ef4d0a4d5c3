using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Milters.Abstractions;

namespace Milters.Host.Commands;

/// <summary>One query `milters verify` saw a plugin make, with its outcome.</summary>
public sealed record VerifyDnsQuery(string Type, string Name, DnsStatus Status, IReadOnlyList<string> Answers, string? Error, TimeSpan Elapsed);

/// <summary>
/// The host's resolver with a log: every query the plugins make during `milters verify`, in order,
/// so the report shows exactly which records a verdict rests on.
/// </summary>
public sealed class VerifyDnsLog(IDnsResolver inner) : IDnsResolver
{
    private readonly ConcurrentQueue<VerifyDnsQuery> queries = new();

    public IReadOnlyList<VerifyDnsQuery> Queries => queries.ToArray();

    public ValueTask<DnsAnswer<TxtRecord>> QueryTxtAsync(string name, CancellationToken cancellationToken = default) =>
        Log("TXT", name, inner.QueryTxtAsync(name, cancellationToken), t => "\"" + string.Join("\" \"", t.Strings) + "\"");

    public ValueTask<DnsAnswer<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken = default) =>
        Log("A", name, inner.QueryAAsync(name, cancellationToken), a => a.ToString());

    public ValueTask<DnsAnswer<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken = default) =>
        Log("AAAA", name, inner.QueryAaaaAsync(name, cancellationToken), a => a.ToString());

    public ValueTask<DnsAnswer<MxRecord>> QueryMxAsync(string name, CancellationToken cancellationToken = default) =>
        Log("MX", name, inner.QueryMxAsync(name, cancellationToken), m => $"{m.Preference} {m.Exchange}");

    public ValueTask<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken = default) =>
        Log("PTR", address.ToString(), inner.QueryPtrAsync(address, cancellationToken), n => n);

    private async ValueTask<DnsAnswer<T>> Log<T>(string type, string name, ValueTask<DnsAnswer<T>> pending, Func<T, string> show)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var answer = await pending.ConfigureAwait(false);
            queries.Enqueue(new VerifyDnsQuery(type, name, answer.Status, answer.Records.Select(show).ToList(), answer.Error, Stopwatch.GetElapsedTime(started)));
            return answer;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            queries.Enqueue(new VerifyDnsQuery(type, name, DnsStatus.Error, [], e.Message, Stopwatch.GetElapsedTime(started)));
            throw;
        }
    }
}
