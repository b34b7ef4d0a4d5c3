using System.Net;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.SenderId.Pra;
using Milters.SenderId.Spf;

namespace Milters.SenderId;

/// <summary>
/// Per-connection Sender ID / SPF filter. The MAIL FROM check starts when MAIL FROM arrives and the PRA
/// check at end of headers; both run while the body streams by and are awaited at end of message, where
/// the results are recorded for AuthResults and sid-filter's policy (-r, -t, -q, -D) decides.
/// </summary>
public sealed class SenderIdFilter(SenderIdChecks checks, PeerList peers, ILogger<SenderIdFilter> logger) : MessageFilter
{
    private const string FilterHeaderName = "X-SenderID";
    private readonly SenderIdOptions options = checks.Options;
    private bool skipConnection;
    private MessageState? message;

    /// <summary>Everything about the current message, dropped in one place (<see cref="Reset"/>).</summary>
    private sealed class MessageState
    {
        public bool Authenticated;
        public string? AuthUser;
        public SpfRequest? SpfRequest;
        public Task<SpfOutcome>? Spf;
        public Task<SpfOutcome>? Helo;
        public SpfRequest? HeloRequest;
        public PurportedResponsibleAddress? Pra;
        public PraFailure? PraFailure;
        public Task<SpfOutcome>? SenderId;
        public bool Ignored;
    }

    public override ValueTask<Verdict> ConnectAsync(IMessageContext context)
    {
        skipConnection = peers.Count > 0 && peers.Contains(context.Connection.Address, context.Connection.HostName);
        if (skipConnection) logger.LogDebug("{QueueId}: client {Host} [{Address}] is a listed peer: not checked",
            context.QueueId, context.Connection.HostName, context.Connection.Address);
        return Verdict.ContinueTask;
    }

    public override ValueTask<Verdict> MailFromAsync(IMessageContext context)
    {
        Reset();
        if (skipConnection) return Verdict.ContinueTask;
        if (context.Connection.Address is not { } ip)
        {
            // Mail from the MTA's command line (Sendmail -bs) has no client address: there is nothing to check.
            logger.LogDebug("{QueueId}: no client IP address from the MTA (local submission): not checked", context.QueueId);
            return Verdict.ContinueTask;
        }
        var m = message = new MessageState();
        var authen = context.Macros.Get("auth_authen");
        m.Authenticated = !string.IsNullOrEmpty(authen);
        m.AuthUser = authen;
        var mailFrom = context.Envelope.MailFrom ?? "";
        var helo = context.Helo ?? "";
        // sid-filter -d ("domains whose mail should be ignored"): its MAIL FROM step already let such mail go,
        // before any header was seen; the PRA check below does the same for the PRA's domain.
        var at = mailFrom.LastIndexOf('@');
        if (at >= 0 && IsIgnored(mailFrom[(at + 1)..]))
        {
            logger.LogDebug("{QueueId}: MAIL FROM domain {Domain} is ignored", context.QueueId, mailFrom[(at + 1)..]);
            m.Ignored = true;
            return Verdict.ContinueTask;
        }
        if (mailFrom.Length > 0 || helo.Length > 0)
        {
            // RFC 7208 §2.4: for the null reverse-path the HELO identity is checked as postmaster@helo.
            m.SpfRequest = SpfRequest.ForMailFrom(ip, mailFrom, helo, options.UseSpf2ForMailFrom ? SpfScope.Mfrom : SpfScope.Spf) with { Receiver = ReceiverName(context) };
            m.Spf = checks.RunAsync(m.SpfRequest, context.MessageAborted);
        }
        if (options.CheckHelo && mailFrom.Length > 0 && helo.Length > 0)
        {
            m.HeloRequest = SpfRequest.ForHelo(ip, helo) with { Receiver = ReceiverName(context) };
            m.Helo = checks.RunAsync(m.HeloRequest, context.MessageAborted);
        }
        return Verdict.ContinueTask;
    }

    public override ValueTask<Verdict> EndOfHeadersAsync(IMessageContext context)
    {
        if (message is not { } m || m.Ignored || context.Connection.Address is not { } ip) return Verdict.ContinueTask;
        m.Pra = PraExtractor.Find(context.Headers, out m.PraFailure);
        if (m.Pra is null)
        {
            logger.LogInformation("{QueueId}: can't determine Purported Responsible Address: {Reason}", context.QueueId, m.PraFailure?.Reason);
            if (options.RejectMissingPra && !options.TestMode && !m.Authenticated)
            {
                // RFC 4406 §4: "550 5.7.1 Missing Purported Responsible Address"; text as sid-filter.
                Reset();
                return new(Verdict.RejectWith("550", "5.7.1", "can't determine Purported Responsible Address"));
            }
            return Verdict.ContinueTask;
        }
        if (IsIgnored(m.Pra.Domain))
        {
            logger.LogDebug("{QueueId}: PRA domain {Domain} is ignored", context.QueueId, m.Pra.Domain);
            m.Ignored = true;
            return Verdict.ContinueTask;
        }
        m.SenderId = checks.RunAsync(new SpfRequest(ip, m.Pra.Address, context.Helo ?? "", SpfScope.Pra) { Receiver = ReceiverName(context) }, context.MessageAborted);
        return Verdict.ContinueTask;
    }

    /// <summary>
    /// This host's name, for %{r} and the headers: SenderId:HostName, else the MTA's own name (macro j), as ADMIN.md
    /// says; null when neither is known (the evaluator then says "unknown", RFC 7208 §7.3).
    /// </summary>
    private string? ReceiverName(IMessageContext context) => options.HostName ?? context.Macros.Get("j");

    /// <summary>Compared in A-labels, so an entry matches however the message spells the domain.</summary>
    private bool IsIgnored(string domain)
    {
        if (options.IgnoredDomains.Count == 0) return false;
        var ascii = DomainSpec.ToALabels(domain.TrimEnd('.'));
        return options.IgnoredDomains.Any(d => string.Equals(DomainSpec.ToALabels(d.TrimEnd('.')), ascii, StringComparison.OrdinalIgnoreCase));
    }

    public override async ValueTask<Verdict> EndOfMessageAsync(IMessageContext context)
    {
        var m = message;
        if (m is null || m.Ignored) { Reset(); return Verdict.Continue; }
        try
        {
            return await DecideAsync(context, m).ConfigureAwait(false);
        }
        finally
        {
            Reset();
        }
    }

    private async Task<Verdict> DecideAsync(IMessageContext context, MessageState m)
    {
        var ip = context.Connection.Address!;
        // {auth_authen} is a MAIL-stage macro in both MTAs, but a milter client may send it later: whatever
        // made DomainKeys sign this message as authenticated is also recorded (auth=pass) and accepted here.
        if (!m.Authenticated && context.Macros.Get("auth_authen") is { Length: > 0 } late)
        {
            m.Authenticated = true;
            m.AuthUser = late;
        }
        var spf = m.Spf is null ? null : await m.Spf.ConfigureAwait(false);
        var helo = m.Helo is null ? null : await m.Helo.ConfigureAwait(false);
        var sid = m.SenderId is null
            ? new SpfOutcome(SpfResult.Neutral, "no PRA found")
            : await m.SenderId.ConfigureAwait(false);

        // sid-filter -D: DNS errors become softfail and the message is delivered.
        if (options.SoftFailDnsErrors)
        {
            if (sid.Result == SpfResult.TempError) sid = sid with { Result = SpfResult.SoftFail, Reason = "DNS failure: " + sid.Reason };
            if (spf?.Result == SpfResult.TempError) spf = spf with { Result = SpfResult.SoftFail, Reason = "DNS failure: " + spf.Reason };
        }

        Record(context, m, sid, spf, helo);
        var host = ReceiverName(context) ?? "unknown";
        if (options.AddReceivedSpf && spf is not null && m.SpfRequest is not null)
            context.Edits.InsertHeader(0, ReceivedSpfHeader.Name, ReceivedSpfHeader.Format(spf, m.SpfRequest, context.Envelope.MailFrom ?? "", host));
        if (options.AddFilterHeader)
            context.Edits.InsertHeader(0, FilterHeaderName, HeaderText.Sanitize($" milters SenderId {typeof(SenderIdFilter).Assembly.GetName().Version?.ToString(3)} {host} {context.QueueId}"));

        logger.LogInformation("{QueueId}: sender-id={SenderId} ({SidReason}) pra={Pra}; spf={Spf} ({SpfReason}) identity={Identity}",
            context.QueueId, sid.Result.ToToken(), sid.Reason, m.Pra?.Address ?? "-",
            spf?.Result.ToToken() ?? "-", spf?.Reason ?? "-", m.SpfRequest?.Sender ?? "-");

        logger.LogDebug("{QueueId}: costs: sender-id {SidTerms} DNS terms, {SidVoid} void; spf {SpfTerms} DNS terms, {SpfVoid} void",
            context.QueueId, sid.DnsTerms, sid.VoidLookups, spf?.DnsTerms ?? 0, spf?.VoidLookups ?? 0);

        // Authenticated clients are always accepted (sid-filter 1.0.0); test mode never rejects or temp-fails.
        if (m.Authenticated || options.TestMode) return Verdict.Continue;

        // A reject the policy makes whatever the temperror side would have been (e.g. -r 2 with SPF fail and the
        // PRA's DNS down) is made now; otherwise a temperror is 451 (sid-filter), so the sender tries again.
        var blame = RejectPolicy.Decide(options.RejectMode, Hopeful(sid.Result), Hopeful(spf?.Result ?? SpfResult.None));
        var temp = sid.Result == SpfResult.TempError ? sid : spf?.Result == SpfResult.TempError ? spf : null;
        if (blame is null && temp is not null) return Verdict.TempFailWith("451", "4.7.0", temp.Reason);
        if (blame is null) return Verdict.Continue;
        var (address, outcome) = blame == CheckName.Spf
            ? (context.Envelope.MailFrom is { Length: > 0 } mf ? mf : m.SpfRequest?.Sender ?? "", spf)
            : (m.Pra?.Address ?? "", sid);
        var result = outcome is null ? "none" : $"{outcome.Result.ToToken()} ({outcome.Explanation ?? outcome.Reason})";
        var text = RejectPolicy.FormatText(options.RejectText, blame.Value, address, result, ip.ToString());
        if (options.Quarantine)
        {
            context.Edits.Quarantine(text);
            logger.LogInformation("{QueueId}: quarantined: {Text}", context.QueueId, text);
            return Verdict.Continue;
        }
        logger.LogInformation("{QueueId}: rejected: {Text}", context.QueueId, text);
        return Verdict.RejectWith("550", "5.7.1", text);
    }

    /// <summary>A temperror read as the pass it might have been: what is rejected then is rejected in any case.</summary>
    private static SpfResult Hopeful(SpfResult result) => result == SpfResult.TempError ? SpfResult.Pass : result;

    private static void Record(IMessageContext context, MessageState m, SpfOutcome sid, SpfOutcome? spf, SpfOutcome? helo)
    {
        var sidProps = m.Pra is null ? Array.Empty<AuthProperty>() : [new AuthProperty("header", m.Pra.HeaderName, m.Pra.Address)];
        context.AddResult(new AuthenticationResult(AuthMethods.SenderId, ToCode(sid.Result), ReasonFor(sid), sidProps));
        if (spf is not null && m.SpfRequest is { } req)
        {
            var prop = new AuthProperty("smtp", req.IsHeloIdentity ? "helo" : "mailfrom", req.ReportedIdentity(spf.LocalPartUsed));
            context.AddResult(new AuthenticationResult(AuthMethods.Spf, ToCode(spf.Result), ReasonFor(spf), [prop]));
        }
        if (helo is not null && m.HeloRequest is { } hreq)
            context.AddResult(new AuthenticationResult(AuthMethods.Spf, ToCode(helo.Result), ReasonFor(helo), [new AuthProperty("smtp", "helo", hreq.Identity)]));
        if (m.Authenticated)
            context.AddResult(new AuthenticationResult("auth", AuthResultCode.Pass, null, [new AuthProperty("smtp", "auth", m.AuthUser!)]));
    }

    /// <summary>A short comment: nothing for a pass (unless it was a best guess), the explanation or the reason otherwise.</summary>
    private static string? ReasonFor(SpfOutcome o) => o.Result == SpfResult.Pass && !o.BestGuess ? null : o.Explanation ?? o.Reason;

    public static AuthResultCode ToCode(SpfResult result) => result switch
    {
        SpfResult.None => AuthResultCode.None,
        SpfResult.Neutral => AuthResultCode.Neutral,
        SpfResult.Pass => AuthResultCode.Pass,
        SpfResult.Fail => AuthResultCode.Fail,
        SpfResult.SoftFail => AuthResultCode.SoftFail,
        SpfResult.TempError => AuthResultCode.TempError,
        _ => AuthResultCode.PermError,
    };

    public override ValueTask AbortAsync(IMessageContext context)
    {
        Reset();
        return ValueTask.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        Reset();
        return base.DisposeAsync();
    }

    /// <summary>Drops the message state. Running lookups end through MessageAborted or their deadline; nothing awaits them.</summary>
    private void Reset() => message = null;
}
