using System.Text;
using System.Text.Json;
using Milters.Abstractions;
using Milters.Host.Milter.Protocol;

namespace Milters.Host.Commands;

/// <summary>What `milters verify` found: per plugin verdicts and results, the MTA's outcome, the DNS queries.</summary>
public sealed class VerifyReport(
    VerifyEnvelope envelope, VerifyMessage message, string? configurationFile,
    IReadOnlyList<VerifyPluginRecord> plugins, VerifyOutcome outcome, IReadOnlyList<VerifyDnsQuery> queries, string dns)
{
    public string Source { get; set; } = "";

    public VerifyEnvelope Envelope => envelope;

    public IReadOnlyList<VerifyPluginRecord> Plugins => plugins;

    public VerifyOutcome Outcome => outcome;

    public IReadOnlyList<VerifyDnsQuery> Queries => queries;

    /// <summary>The MTA would accept the message (continue or accept at the end).</summary>
    public bool Accepted => outcome.Verdict is MilterResponse.Accept or MilterResponse.Continue;

    /// <summary>The verdict in words: "accept", "reject 550 5.7.1 …", "tempfail", "discard".</summary>
    public string VerdictText => outcome.Verdict switch
    {
        MilterResponse.Accept => "accept",
        MilterResponse.Continue => "accept (continue)",
        MilterResponse.Discard => "discard",
        MilterResponse.Reject => "reject",
        MilterResponse.TempFail => "tempfail",
        MilterResponse.ReplyCode => (outcome.Reply is { Length: > 0 } r && r[0] == '4' ? "tempfail " : "reject ") + outcome.Reply,
        MilterResponse.ConnectionFailure => "connection failure",
        MilterResponse.Shutdown => "shutdown",
        var other => $"'{(char)other}'",
    };

    public string ToText()
    {
        var t = new StringBuilder();
        t.AppendLine($"message: {Source} ({message.Headers.Count} header fields, {message.Body.Length} body bytes)");
        t.AppendLine($"configuration: {configurationFile ?? "(none: built-in defaults)"}");
        t.AppendLine($"envelope: client {envelope.ClientName} {envelope.ClientAddress}, helo {envelope.Helo}, mail from <{envelope.MailFrom}>, " +
                     $"rcpt {string.Join(", ", envelope.Recipients.Select(r => $"<{r}>"))}, daemon {envelope.DaemonName}" +
                     (envelope.AuthenticatedUser is null ? "" : $", authenticated as {envelope.AuthenticatedUser}"));
        t.AppendLine($"plugins: {(plugins.Count == 0 ? "(none)" : string.Join(" -> ", plugins.Select(p => p.Name)))}");
        t.AppendLine();
        foreach (var p in plugins)
        {
            t.AppendLine($"{p.Name}: {Describe(p.Final)}{(p.Stages.Contains("eom") ? "" : " (not called at end of message: an earlier verdict ended the chain)")}");
            foreach (var r in p.Results) t.AppendLine($"  {r}");
            if (p.Results.Count == 0) t.AppendLine("  (no results)");
            foreach (var (stage, v) in p.Verdicts.Where(v => v.Verdict.Kind != VerdictKind.Skip)) t.AppendLine($"  verdict at {stage}: {Describe(v)}");
            foreach (var (stage, e) in p.Errors) t.AppendLine($"  FAILED at {stage}: {e}");
        }
        t.AppendLine();
        t.AppendLine($"verdict: {VerdictText}{(outcome.Stage == "eom" ? "" : $" (at {outcome.Stage})")}");
        t.AppendLine($"modifications: {(outcome.Edits.Count == 0 ? "none" : "")}");
        foreach (var e in outcome.Edits) t.AppendLine($"  {e.Text.Replace("\r\n", "\n\t", StringComparison.Ordinal).Replace("\n", "\n    ", StringComparison.Ordinal)}");
        t.AppendLine($"dns: {dns}");
        t.AppendLine($"dns queries: {queries.Count}");
        foreach (var q in queries)
        {
            var answer = q.Status == DnsStatus.Ok ? string.Join("; ", q.Answers) : q.Status.ToString() + (q.Error is null ? "" : $" ({q.Error})");
            t.AppendLine($"  {q.Type} {q.Name} -> {answer} [{q.Elapsed.TotalMilliseconds:0} ms]");
        }
        return t.ToString();
    }

    public string ToJson()
    {
        var doc = new
        {
            message = Source,
            configuration = configurationFile,
            envelope = new
            {
                clientIp = envelope.ClientAddress.ToString(), clientName = envelope.ClientName, helo = envelope.Helo,
                mailFrom = envelope.MailFrom, rcpt = envelope.Recipients, daemonName = envelope.DaemonName, auth = envelope.AuthenticatedUser,
            },
            plugins = plugins.Select(p => new
            {
                name = p.Name,
                verdict = p.Final.Kind.ToString().ToLowerInvariant(),
                reply = p.Final.Reply?.ToString(),
                reachedEndOfMessage = p.Stages.Contains("eom"),
                results = p.Results.Select(r => new
                {
                    method = r.Method, result = AuthResultCodes.ToToken(r.Result), reason = r.Reason,
                    properties = r.PropertyList.ToDictionary(x => $"{x.Type}.{x.Name}", x => x.Value),
                }),
                errors = p.Errors.Select(e => new { stage = e.Stage, error = e.Error }),
            }),
            verdict = new { text = VerdictText, stage = outcome.Stage, accepted = Accepted },
            modifications = outcome.Edits.Select(e => e.Text),
            dns = queries.Select(q => new { type = q.Type, name = q.Name, status = q.Status.ToString(), answers = q.Answers, error = q.Error }),
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine;
    }

    private static string Describe(Verdict v) => v.Kind.ToString().ToLowerInvariant() + (v.Reply is null ? "" : " " + v.Reply);
}
