using System.Diagnostics;
using System.Diagnostics.Metrics;
using Milters.Abstractions;

namespace Milters.Host.Metrics;

/// <summary>
/// The milter's instruments on the meter "Milters" (System.Diagnostics.Metrics: dotnet-counters, dotnet-monitor
/// and OpenTelemetry read them as they are). The protocol session and the chain call the methods below at the
/// points named on each; DNS is counted by <see cref="MeteredDnsResolver"/>. Names follow the OpenTelemetry
/// conventions (dotted, lower case, durations in seconds).
/// </summary>
public sealed class MilterMetrics
{
    public const string MeterName = "Milters";

    private readonly Counter<long> connections;
    private readonly UpDownCounter<long> activeConnections;
    private readonly Counter<long> messages;
    private readonly Histogram<double> messageDuration;
    private readonly Counter<long> pluginVerdicts;
    private readonly Counter<long> pluginResults;
    private readonly Counter<long> pluginErrors;
    private readonly Counter<long> protocolErrors;
    private readonly Counter<long> dnsLookups;
    private readonly Histogram<double> dnsDuration;
    private readonly Counter<long> dnsCacheHits;

    public MilterMetrics(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(MeterName);
        connections = Meter.CreateCounter<long>("milters.connections", "{connection}", "MTA connections accepted");
        activeConnections = Meter.CreateUpDownCounter<long>("milters.connections.active", "{connection}", "MTA connections open now");
        messages = Meter.CreateCounter<long>("milters.messages", "{message}", "messages finished, by the verdict the MTA got (tag verdict)");
        messageDuration = Meter.CreateHistogram<double>("milters.message.duration", "s", "from MAIL FROM to the end-of-message reply");
        pluginVerdicts = Meter.CreateCounter<long>("milters.plugin.verdicts", "{verdict}", "terminal verdicts per plugin (tags plugin, verdict)");
        pluginResults = Meter.CreateCounter<long>("milters.plugin.results", "{result}", "authentication results per plugin (tags plugin, method, result)");
        pluginErrors = Meter.CreateCounter<long>("milters.plugin.errors", "{error}", "plugin callbacks that threw (tags plugin, stage); the plugin's OnError applied");
        protocolErrors = Meter.CreateCounter<long>("milters.protocol.errors", "{error}", "connections closed for a malformed frame or command out of order");
        dnsLookups = Meter.CreateCounter<long>("milters.dns.lookups", "{lookup}", "DNS queries made for plugins (tags type, status)");
        dnsDuration = Meter.CreateHistogram<double>("milters.dns.duration", "s", "time for one DNS query, retries included (tag type)");
        dnsCacheHits = Meter.CreateCounter<long>("milters.dns.cache_hits", "{lookup}", "DNS questions answered from the host's cache, asking no server (tag type)");
    }

    public Meter Meter { get; }

    /// <summary>Hook: a connection was accepted (MilterConnectionHandler.HandleAsync start).</summary>
    public void ConnectionOpened()
    {
        connections.Add(1);
        activeConnections.Add(1);
    }

    /// <summary>Hook: the connection ended, however (MilterConnectionHandler.HandleAsync finally).</summary>
    public void ConnectionClosed() => activeConnections.Add(-1);

    /// <summary>Hook: the MTA got the final answer for a message (end of message, or an earlier terminal verdict).</summary>
    public void MessageFinished(Verdict verdict, TimeSpan elapsed)
    {
        messages.Add(1, new KeyValuePair<string, object?>("verdict", VerdictName(verdict.Kind)));
        messageDuration.Record(elapsed.TotalSeconds);
    }

    /// <summary>Hook: as <see cref="MessageFinished(Verdict, TimeSpan)"/>, timed from a <see cref="Now"/> taken at MAIL FROM.</summary>
    public void MessageFinished(Verdict verdict, long startedAt) => MessageFinished(verdict, Stopwatch.GetElapsedTime(startedAt));

    /// <summary>Hook: a plugin returned a terminal verdict (accept, reject, tempfail, discard) — FilterChain, where the first terminal verdict wins.</summary>
    public void PluginVerdict(string plugin, Verdict verdict)
    {
        if (!verdict.IsTerminal) return;
        pluginVerdicts.Add(1, new("plugin", plugin), new("verdict", VerdictName(verdict.Kind)));
    }

    /// <summary>Hook: the results recorded for one message, counted per plugin (AuthenticationResult.Plugin), method and result — at end of message, before the context is reset.</summary>
    public void ResultsRecorded(IReadOnlyList<AuthenticationResult> results)
    {
        foreach (var r in results)
            pluginResults.Add(1, new("plugin", r.Plugin ?? "unknown"), new("method", r.Method), new("result", AuthResultCodes.ToToken(r.Result)));
    }

    /// <summary>Hook: a plugin callback threw (FilterChain, where OnError is applied).</summary>
    public void PluginFailed(string plugin, string stage) =>
        pluginErrors.Add(1, new("plugin", plugin), new("stage", stage));

    /// <summary>Hook: a connection was closed for a protocol error (MilterProtocolException).</summary>
    public void ProtocolError() => protocolErrors.Add(1);

    /// <summary>One DNS query (called by <see cref="MeteredDnsResolver"/>).</summary>
    public void DnsLookup(string type, DnsStatus status, TimeSpan elapsed)
    {
        dnsLookups.Add(1, new("type", type), new("status", StatusName(status)));
        dnsDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("type", type));
    }

    /// <summary>A DNS question answered from the cache (called by <see cref="MeteredDnsResolver"/>).</summary>
    public void DnsCacheHit(string type) => dnsCacheHits.Add(1, new KeyValuePair<string, object?>("type", type));

    /// <summary>A stopwatch start for <see cref="MessageFinished"/> durations without allocating.</summary>
    public static long Now() => Stopwatch.GetTimestamp();

    public static string VerdictName(VerdictKind kind) => kind switch
    {
        VerdictKind.Continue => "continue",
        VerdictKind.Accept => "accept",
        VerdictKind.Discard => "discard",
        VerdictKind.TempFail => "tempfail",
        VerdictKind.Reject => "reject",
        VerdictKind.Skip => "skip",
        _ => "other",
    };

    public static string StatusName(DnsStatus status) => status switch
    {
        DnsStatus.Ok => "ok",
        DnsStatus.NoData => "nodata",
        DnsStatus.NxDomain => "nxdomain",
        DnsStatus.ServerFailure => "servfail",
        DnsStatus.Timeout => "timeout",
        _ => "error",
    };
}
