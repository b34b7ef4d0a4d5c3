using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.DomainKeys.Keys;
using Milters.DomainKeys.Signing;
using Milters.DomainKeys.Verifying;

namespace Milters.DomainKeys;

/// <summary>
/// The per-connection filter: decides at end of headers whether the message is signed or verified, streams
/// the body into the hashes, and at end of message queues the DomainKey-Signature fields or records the
/// verification results and applies dk-filter's -C action. All per-message state lives in
/// <see cref="MessageState"/> and is dropped in <see cref="Reset"/>.
/// </summary>
internal sealed class DomainKeysFilter(
    DomainKeysOptions options,
    SigningPolicy policy,
    ISigningKeyTable keys,
    IDnsResolver resolver,
    ILogger<DomainKeysFilter> logger,
    KeyRecordCache? keyRecords = null) : MessageFilter
{
    private const string FilterHeaderName = "X-DomainKeys";

    private MessageState? message;

    public override ValueTask<Verdict> MailFromAsync(IMessageContext context)
    {
        Reset();
        return Verdict.ContinueTask;
    }

    public override ValueTask<Verdict> EndOfHeadersAsync(IMessageContext context)
    {
        Reset();
        var decision = policy.Decide(context.Connection, context.Macros, context.Headers);
        var state = message = new MessageState(decision);
        if (decision.ExternalSendingAsOurs)
            logger.LogWarning("{QueueId}: external host {Host} attempted to send as {Domain}",
                context.QueueId, context.Connection.HostName, decision.Address?.Domain);

        if (decision.Role == MessageRole.Sign && StartSigning(context, state, decision.Address!)) return Verdict.ContinueTask;
        if (decision.Role == MessageRole.Sign && options.Verifies) state.Role = MessageRole.Verify;
        if (state.Role == MessageRole.Verify) StartVerifying(context, state);
        logger.LogDebug("{QueueId}: DomainKeys {Role} ({Why})", context.QueueId, state.Role, decision.Why);
        return Verdict.ContinueTask;
    }

    private bool StartSigning(IMessageContext context, MessageState state, SendingAddress address)
    {
        if (MessageSigner.UnsignableFieldName(context.Headers) is { } name)
        {
            logger.LogWarning("{QueueId}: not signed: \"{Name}\" is no header field name a signature can list (RFC 5322 §2.2: printable US-ASCII, no colon)",
                context.QueueId, name.Replace("\r", "\\r").Replace("\n", "\\n"));
            return false;
        }
        var usable = new List<SigningKey>();
        foreach (var key in keys.FindKeys(address.Address))
        {
            // RFC 4870 §3.5 step 4: d= must be the sender's domain or a parent, else every verifier says "bad identity".
            if (!address.IsInDomain(key.Domain))
            {
                logger.LogDebug("{QueueId}: key {Key} not used: {Domain} is not a parent of {Sender}", context.QueueId, key, key.Domain, address.Address);
                continue;
            }
            if (key.KeySizeBits < options.MinimumKeyBits)
            {
                logger.LogWarning("{QueueId}: key {Key} not used for signing: shorter than {Bits} bits", context.QueueId, key, options.MinimumKeyBits);
                continue;
            }
            usable.Add(key);
        }
        if (usable.Count == 0)
        {
            logger.LogWarning("{QueueId}: no signing key in the key table for {Sender}", context.QueueId, address.Address);
            return false;
        }
        var omit = options.OmitHeaders;
        var signer = new MessageSigner(options.SigningCanonicalization, context.Headers, omit, options.IncludeHeaderList);
        // Signatures inserted one above another must not cover each other: each lists what it signs.
        if (usable.Count > 1) signer.RequireHeaderList(context.Headers, omit);
        state.Signer = signer;
        state.SigningKeys = usable;
        if (logger.IsEnabled(LogLevel.Trace))
            foreach (var h in context.Headers) logger.LogTrace("{QueueId}: header {Name}:[{Value}]", context.QueueId, h.Name, h.Value.Replace("\r", "\\r").Replace("\n", "\\n"));
        return true;
    }

    private void StartVerifying(IMessageContext context, MessageState state)
    {
        var headers = context.Headers;
        // Identities read once per message: without h= every signature above the From covers the same one, and a
        // 100 KB From parsed per junk signature cost seconds (a code review's find).
        var identities = new Dictionary<HeaderField, SendingAddress?>(ReferenceEqualityComparer.Instance);
        var examined = 0;
        for (var i = 0; i < headers.Count; i++)
        {
            if (!headers[i].Is(DomainKeySignature.HeaderName)) continue;
            // MaxSignatures bounds the signatures that need a key lookup and a hash: signatures refused on sight do
            // not count, or five junk fields on top would hide a good signature below (Mail::DKIM verifies it). They
            // are looked at up to ten times that number (Mail::DKIM's 50 by default), and reported up to it.
            if (state.Checks.Count >= options.MaxSignatures || examined == options.MaxSignatures * 10)
            {
                logger.LogInformation("{QueueId}: more DomainKey-Signature fields than DomainKeys:MaxSignatures allows ({Max} to verify, {Fields} to look at); the rest are ignored",
                    context.QueueId, options.MaxSignatures, options.MaxSignatures * 10);
                break;
            }
            examined++;
            var check = SignatureCheck.Start(headers, i, options.RequireQueryTag, resolver, context.MessageAborted, out var early, keyRecords, identities);
            if (check is not null) state.Checks.Add(check);
            else if (state.Early.Count < options.MaxSignatures) state.Early.Add(early!);
        }
    }

    public override ValueTask<Verdict> BodyChunkAsync(IMessageContext context, ReadOnlyMemory<byte> chunk)
    {
        var state = message;
        // Nothing to hash (unsigned mail, ignored peer): the rest of the body is not needed (SMFIR_SKIP).
        if (state is null || (state.Signer is null && state.Checks.Count == 0)) return new ValueTask<Verdict>(Verdict.Skip);
        var span = chunk.Span;
        state.Signer?.Body(span);
        foreach (var check in state.Checks) check.Body(span);
        return Verdict.ContinueTask;
    }

    public override async ValueTask<Verdict> EndOfMessageAsync(IMessageContext context)
    {
        var state = message;
        if (state is null) return Verdict.Continue;
        try
        {
            var verdict = state.Signer is not null ? Sign(context, state)
                : state.Role == MessageRole.Verify ? await VerifyAsync(context, state).ConfigureAwait(false)
                : Verdict.Continue;
            // dk-filter -h. Queued last at the top, so it sits above any signature and is never covered by one.
            if (options.AddFilterHeader && state.Role != MessageRole.Ignore)
                context.Edits.InsertHeader(0, FilterHeaderName, HeaderText.Sanitize($" Milters DomainKeys filter v{Version} {context.Macros.Get("j") ?? "localhost"} {context.QueueId}"));
            return verdict;
        }
        finally
        {
            Reset();
        }
    }

    private Verdict Sign(IMessageContext context, MessageState state)
    {
        var signer = state.Signer!;
        byte[] digest = signer.Finish();
        var index = 0;
        foreach (var key in state.SigningKeys)
        {
            byte[] data;
            try
            {
                data = MessageSigner.Sign(key.PrivateKey, digest);
            }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                logger.LogError(e, "{QueueId}: signing with {Key} failed", context.QueueId, key);
                return Act(context, options.Actions.InternalError, "DomainKeys signing failed");
            }
            var value = SignatureFormatter.Format(key.Domain, key.Selector, signer.Canonicalization, signer.HeaderNames, data);
            // Above the fields it covers; several keys in table order, top to bottom.
            context.Edits.InsertHeader(index++, DomainKeySignature.HeaderName, value);
            logger.LogInformation("{QueueId}: DomainKey-Signature added (d={Domain}, s={Selector}) for {Sender}",
                context.QueueId, key.Domain, key.Selector, state.Decision.Address?.Address);
        }
        return Verdict.Continue;
    }

    private async ValueTask<Verdict> VerifyAsync(IMessageContext context, MessageState state)
    {
        var results = new List<VerificationResult>(state.Early);
        foreach (var check in state.Checks)
        {
            try
            {
                results.Add(await check.FinishAsync().ConfigureAwait(false));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "{QueueId}: DomainKeys verification failed", context.QueueId);
                results.Add(new VerificationResult(AuthResultCode.TempError, "internal error", VerificationFailure.Internal));
            }
        }
        if (results.Count == 0)
        {
            var from = state.Decision.Address;
            results.Add(new VerificationResult(AuthResultCode.None, null, VerificationFailure.NoSignature, Identity: from));
        }
        foreach (var r in results)
        {
            context.AddResult(r.ToAuthenticationResult());
            if (r.Domain is null)
                logger.LogInformation("{QueueId}: domainkeys={Result}{Reason}", context.QueueId, AuthResultCodes.ToToken(r.Code), r.Reason is null ? "" : $" ({r.Reason})");
            else
                logger.LogInformation("{QueueId}: domainkeys={Result}{Reason} d={Domain} s={Selector}", context.QueueId,
                    AuthResultCodes.ToToken(r.Code), r.Reason is null ? "" : $" ({r.Reason})", r.Domain, r.Selector);
        }
        return ActOn(context, results);
    }

    /// <summary>
    /// dk-filter -C: one action for the message. A verified signature (or a testing domain's) settles it;
    /// otherwise the worst failure counts: internal, then DNS, then bad signature, then no signature.
    /// Plugin result codes map to dk-filter outcomes as follows:
    ///   pass                                  → (verified, accept)
    ///   fail (bad signature)                  → badsignature
    ///   permerror (syntax, bad identity, no key, revoked, granularity) → badsignature
    ///   temperror (dns error)                 → dnserror
    ///   temperror (internal error)            → internal
    ///   none (unsigned)                       → nosignature
    ///   any result with (testing)             → treated as unsigned mail (RFC 4870 §3.2.3), no action
    /// </summary>
    private Verdict ActOn(IMessageContext context, IReadOnlyList<VerificationResult> results)
    {
        if (results.Any(r => r.Failure == VerificationFailure.None)) return Verdict.Continue;
        var failure = results.Select(r => r.Failure).OrderBy(Severity).First();
        return failure switch
        {
            VerificationFailure.Internal => Act(context, options.Actions.InternalError, "DomainKeys verification failed internally"),
            VerificationFailure.DnsError => Act(context, options.Actions.DnsError, "DomainKeys key retrieval failed"),
            VerificationFailure.BadSignature => Act(context, options.Actions.BadSignature, "DomainKeys signature verification failed"),
            _ => Act(context, options.Actions.NoSignature, "DomainKeys signature missing"),
        };

        static int Severity(VerificationFailure f) => f switch
        {
            VerificationFailure.Internal => 0,
            VerificationFailure.DnsError => 1,
            VerificationFailure.BadSignature => 2,
            _ => 3,
        };
    }

    private static Verdict Act(IMessageContext context, FailureAction action, string text)
    {
        switch (action)
        {
            case FailureAction.Discard: return Verdict.Discard;
            case FailureAction.Reject: return Verdict.RejectWith("550", "5.7.1", text);
            case FailureAction.TempFail: return Verdict.TempFailWith("451", "4.7.1", text);
            case FailureAction.Quarantine:
                context.Edits.Quarantine(text);
                return Verdict.Continue;
            default: return Verdict.Continue; // accept: deliver, and let the rest of the chain run
        }
    }

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

    private void Reset()
    {
        message?.Dispose();
        message = null;
    }

    private static string Version => typeof(DomainKeysFilter).Assembly.GetName().Version?.ToString(3) ?? "1.0.0";

    /// <summary>Everything that belongs to one message.</summary>
    private sealed class MessageState(SigningDecision decision) : IDisposable
    {
        public SigningDecision Decision { get; } = decision;
        public MessageRole Role { get; set; } = decision.Role;
        public MessageSigner? Signer { get; set; }
        public IReadOnlyList<SigningKey> SigningKeys { get; set; } = Array.Empty<SigningKey>();
        public List<SignatureCheck> Checks { get; } = new();
        public List<VerificationResult> Early { get; } = new();

        public void Dispose()
        {
            Signer?.Dispose();
            foreach (var c in Checks) c.Dispose();
        }
    }
}
