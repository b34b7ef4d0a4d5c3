using System.Buffers;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.Host.Metrics;
using Milters.Host.Milter.Negotiation;
using Milters.Host.Milter.Protocol;
using Milters.Host.Pipeline;

namespace Milters.Host.Milter.Session;

/// <summary>
/// The milter conversation of one connection, apart from any I/O: it takes decoded frames in arrival
/// order, keeps the protocol state (negotiation, stage, macros via the context), drives the
/// <see cref="FilterChain"/> and writes every frame that answers one command into the given buffer, which
/// the caller sends in one write. Out-of-order commands and malformed payloads throw
/// <see cref="MilterProtocolException"/>.
/// </summary>
public sealed class MilterSession : IAsyncDisposable
{
    private PluginSet plugins;
    private readonly Func<PluginSet, MessageContext, FilterChain> createChain;
    private readonly ILogger logger;
    private readonly Action<NegotiatedProtocol>? negotiated;
    private Func<PluginSet>? latestPlugins;

    /// <summary>SMFIC_QUIT_NC was the last word: the next conversation has not begun.</summary>
    private bool awaitingNextConversation;
    private PluginNeeds[] needs;
    private readonly List<KeyValuePair<string, string>> macroPairs = new();
    private readonly List<string> recipientArguments = new();
    private readonly Dictionary<MessageEditKind, int> droppedEdits = new();
    private readonly SessionLimits limits;
    private readonly MilterMetrics? metrics;
    private long messageStarted;
    private FilterChain chain;
    private NegotiatedProtocol? protocol;
    private byte[]? scratch;

    // Per-message state of the session itself; cleared only in EndMessageAsync.
    private SessionStage stage;
    private Verdict? decided;

    /// <summary>A connection-stage verdict given at a no-reply stage, answered with the next reply.</summary>
    private Verdict? deferred;

    /// <summary><see cref="deferred"/> came from a message stage's macros: it belongs to that message and ends with it.</summary>
    private bool deferredForMessage;

    /// <param name="latestPlugins">The plugin set new conversations get (changes on reload); a connection reused with
    /// SMFIC_QUIT_NC takes it up for its next conversation.</param>
    public MilterSession(PluginSet plugins, Func<PluginSet, MessageContext, FilterChain> createChain, ILogger logger,
        Action<NegotiatedProtocol>? negotiated = null, MilterOptions? options = null, MilterMetrics? metrics = null,
        Func<PluginSet>? latestPlugins = null)
    {
        this.latestPlugins = latestPlugins;
        this.metrics = metrics;
        this.plugins = plugins = Lease(plugins, latestPlugins);
        this.createChain = createChain;
        this.logger = logger;
        this.negotiated = negotiated;
        try
        {
            needs = plugins.Plugins.Select(p => p.Plugin.Needs).ToArray();
            limits = new SessionLimits(options ?? new MilterOptions(), logger);
            Context = new MessageContext();
            chain = createChain(plugins, Context);
        }
        catch
        {
            leased = false;
            plugins.Release();
            throw;
        }
    }

    public MessageContext Context { get; }

    /// <summary>Whether <see cref="plugins"/> still holds this session's lease (given back once, at the end).</summary>
    private bool leased = true;

    /// <summary>
    /// A lease on the set: <paramref name="first"/>, or — when a reload closed it between the connection's arrival
    /// and now — the one that replaced it.
    /// </summary>
    private static PluginSet Lease(PluginSet first, Func<PluginSet>? latest)
    {
        var set = first;
        while (!set.TryAcquire())
            set = latest?.Invoke() ?? throw new InvalidOperationException("the plugin set is closed and no other is given");
        return set;
    }

    public SessionStage Stage => stage;

    /// <summary>A message is in flight (MAIL or a later stage seen, end of message not yet answered).</summary>
    public bool InMessage => stage >= SessionStage.Mail;

    public NegotiatedProtocol? Protocol => protocol;

    /// <summary>Handles one frame; false means the MTA said SMFIC_QUIT and the connection should close.</summary>
    public async ValueTask<bool> HandleAsync(MilterFrame frame, IBufferWriter<byte> replies)
    {
        var command = frame.Command;
        if (!MilterCommands.IsDefined((byte)command))
            throw new MilterProtocolException($"unknown command 0x{(byte)command:x2}");
        if (stage == SessionStage.AwaitingOptions && command != MilterCommand.OptionNegotiation)
            throw OutOfOrder(command);
        if (awaitingNextConversation && command is not (MilterCommand.Macro or MilterCommand.OptionNegotiation
                or MilterCommand.Quit or MilterCommand.QuitNewConnection or MilterCommand.Abort))
            await StartNextConversationAsync();

        switch (command)
        {
            case MilterCommand.OptionNegotiation:
                Negotiate(Bytes(frame.Data).Span, replies);
                break;
            case MilterCommand.Macro:
                await SetMacrosAsync(Bytes(frame.Data));
                break;
            case MilterCommand.Connect:
                await ConnectAsync(Bytes(frame.Data), replies);
                break;
            case MilterCommand.Helo:
                await HeloAsync(Bytes(frame.Data), replies);
                break;
            case MilterCommand.Mail:
                await MailAsync(Bytes(frame.Data), replies);
                break;
            case MilterCommand.Recipient:
                await RecipientAsync(Bytes(frame.Data), replies);
                break;
            case MilterCommand.Data:
                SimplePayloads.ExpectEmpty(Bytes(frame.Data).Span, command);
                Enter(command, SessionStage.Data, repeatable: false);
                await AnswerAsync(replies, command, decided ?? await chain.DataAsync());
                break;
            case MilterCommand.Header:
                await HeaderAsync(Bytes(frame.Data), replies);
                break;
            case MilterCommand.EndOfHeaders:
                SimplePayloads.ExpectEmpty(Bytes(frame.Data).Span, command);
                Enter(command, SessionStage.EndOfHeaders, repeatable: false);
                await AnswerAsync(replies, command, decided ?? await chain.EndOfHeadersAsync());
                break;
            case MilterCommand.Body:
                Enter(command, SessionStage.Body, repeatable: true);
                await AnswerAsync(replies, command, await BodyChunkAsync(frame.Data));
                break;
            case MilterCommand.EndOfMessage:
                await EndOfMessageAsync(frame.Data, replies);
                break;
            case MilterCommand.Unknown:
            {
                var line = SimplePayloads.ParseUnknown(Bytes(frame.Data).Span);
                EnsureConnected(command);
                await AnswerAsync(replies, command, await chain.UnknownCommandAsync(line), messageStage: false);
                break;
            }
            case MilterCommand.Abort:
                SimplePayloads.ExpectEmpty(Bytes(frame.Data).Span, command);
                if (InMessage) await EndMessageAsync(aborted: true);
                break;
            case MilterCommand.QuitNewConnection:
                SimplePayloads.ExpectEmpty(Bytes(frame.Data).Span, command);
                await NewConnectionAsync();
                break;
            case MilterCommand.Quit:
                SimplePayloads.ExpectEmpty(Bytes(frame.Data).Span, command);
                return false;
            default:
                throw new MilterProtocolException($"unknown command 0x{(byte)command:x2}");
        }
        return true;
    }

    private void Negotiate(ReadOnlySpan<byte> data, IBufferWriter<byte> replies)
    {
        if (stage is not (SessionStage.AwaitingOptions or SessionStage.AwaitingConnect))
            throw OutOfOrder(MilterCommand.OptionNegotiation);
        var offer = OptionNegotiation.Parse(data);
        protocol = Negotiator.Negotiate(offer, needs);
        logger.LogDebug("negotiated: MTA offered {Offer}; we asked {Reply}", offer, protocol.Reply);
        negotiated?.Invoke(protocol);
        MilterResponseWriter.WriteOptionNegotiation(replies, protocol.Reply);
        stage = SessionStage.AwaitingConnect;
    }

    private async ValueTask SetMacrosAsync(ReadOnlyMemory<byte> data)
    {
        macroPairs.Clear();
        var macroStage = MacroPayload.Parse(data.Span, macroPairs);
        // The macros of a new MAIL or HELO arrive before the command that ends the current transaction.
        if (InMessage && macroStage is MacroStage.MailFrom or MacroStage.Helo)
            await EndMessageAsync(aborted: true);
        if (limits.Macros(Context.QueueId, macroStage, macroPairs.Count, data.Length) is { } over)
        {
            // Not stored; the next reply the MTA reads (this stage's command, or the end of message) is the tempfail.
            if (deferred is null)
            {
                deferred = over;
                deferredForMessage = macroStage is not (MacroStage.Connect or MacroStage.Helo);
            }
            return;
        }
        Context.Macros.Set(macroStage, macroPairs);
        // With SMFIC_MAIL negotiated away (no plugin needs it) both MTAs still send the MAIL-stage macros:
        // take them as the start of the message, so shutdown lets this message finish instead of
        // closing the connection in the middle of it.
        if (!InMessage && macroStage == MacroStage.MailFrom && protocol is not null && protocol.IsOmitted(MilterCommand.Mail))
        {
            EnsureConnected(MilterCommand.Mail);
            stage = SessionStage.Mail;
            messageStarted = MilterMetrics.Now();
        }
    }

    private async ValueTask ConnectAsync(ReadOnlyMemory<byte> data, IBufferWriter<byte> replies)
    {
        if (stage != SessionStage.AwaitingConnect) throw OutOfOrder(MilterCommand.Connect);
        stage = SessionStage.Connected;
        if (limits.Command(Context.QueueId, "CONNECT", data.Length) is { } tooLong)
        {
            await AnswerAsync(replies, MilterCommand.Connect, tooLong, messageStage: false);
            return;
        }
        Context.Connection = ConnectPayload.Parse(data.Span);
        await AnswerAsync(replies, MilterCommand.Connect, await chain.ConnectAsync(), messageStage: false);
    }

    private async ValueTask HeloAsync(ReadOnlyMemory<byte> data, IBufferWriter<byte> replies)
    {
        EnsureConnected(MilterCommand.Helo);
        // RFC 5321 §4.1.4: HELO/EHLO in the middle of a transaction resets it.
        if (InMessage) await EndMessageAsync(aborted: true);
        if (limits.Command(Context.QueueId, "HELO", data.Length) is { } tooLong)
        {
            await AnswerAsync(replies, MilterCommand.Helo, tooLong, messageStage: false);
            return;
        }
        Context.Helo = SimplePayloads.ParseHelo(data.Span);
        await AnswerAsync(replies, MilterCommand.Helo, await chain.HeloAsync(), messageStage: false);
    }

    private async ValueTask MailAsync(ReadOnlyMemory<byte> data, IBufferWriter<byte> replies)
    {
        EnsureConnected(MilterCommand.Mail);
        // A new MAIL without ABORT: the MTA dropped the old transaction (RSET, or a reply that ended it).
        if (InMessage) await EndMessageAsync(aborted: true);
        var envelope = Context.Envelope;
        envelope.MailFromArguments.Clear();
        stage = SessionStage.Mail;
        messageStarted = MilterMetrics.Now();
        if (limits.Command(Context.QueueId, "MAIL", data.Length) is { } tooLong)
        {
            envelope.MailFrom = null;
            // Without a reply to MAIL the message must still end in the tempfail, whatever else is pending.
            if (protocol!.IsNoReply(MilterCommand.Mail)) decided ??= tooLong;
            else await AnswerAsync(replies, MilterCommand.Mail, tooLong);
            return;
        }
        envelope.MailFrom = EnvelopePayload.Parse(data.Span, "SMFIC_MAIL", envelope.MailFromArguments);
        await AnswerAsync(replies, MilterCommand.Mail, await chain.MailFromAsync());
    }

    private async ValueTask RecipientAsync(ReadOnlyMemory<byte> data, IBufferWriter<byte> replies)
    {
        recipientArguments.Clear();
        Enter(MilterCommand.Recipient, SessionStage.Recipient, repeatable: true);
        var recipients = Context.Envelope.Recipients;
        if ((limits.Command(Context.QueueId, "RCPT", data.Length) ?? limits.Recipient(Context.QueueId, recipients.Count)) is { } refused)
        {
            // One recipient refused (the client sends it again later, RFC 5321 §4.5.3.1.10), not the message. With
            // SMFIP_NR_RCPT the MTA hears no answer and keeps the recipient: we only stop keeping a list, and must
            // not let the refusal stand for the whole message at the next reply.
            if (!protocol!.IsNoReply(MilterCommand.Recipient)) await AnswerAsync(replies, MilterCommand.Recipient, decided ?? refused);
            return;
        }
        var recipient = EnvelopePayload.Parse(data.Span, "SMFIC_RCPT", recipientArguments);
        recipients.Add(recipient);
        var verdict = decided ?? await chain.RecipientAsync(recipient);
        if (verdict.Kind is VerdictKind.Reject or VerdictKind.TempFail && !protocol!.IsNoReply(MilterCommand.Recipient))
            recipients.RemoveAt(recipients.Count - 1); // the MTA drops a recipient we refuse
        await AnswerAsync(replies, MilterCommand.Recipient, verdict);
    }

    private async ValueTask HeaderAsync(ReadOnlyMemory<byte> data, IBufferWriter<byte> replies)
    {
        HeaderPayload.Parse(data.Span, out var name, out var value);
        Enter(MilterCommand.Header, SessionStage.Header, repeatable: true);
        if (decided is { } d)
        {
            await AnswerAsync(replies, MilterCommand.Header, d);
            return;
        }
        if (limits.Header(Context.QueueId, name.Length, value.Length) is { } over)
        {
            await AnswerAsync(replies, MilterCommand.Header, over);
            return;
        }
        var header = new HeaderField(HeaderValues.Name(name), HeaderValues.FromMta(value, protocol!.HeaderLeadingSpace));
        await AnswerAsync(replies, MilterCommand.Header, await chain.HeaderAsync(header));
    }

    /// <summary>A body chunk goes to the plugins straight from the read buffer when it is contiguous.</summary>
    private async ValueTask<Verdict> BodyChunkAsync(ReadOnlySequence<byte> data)
    {
        if (decided is { } d) return d;
        if (!chain.WantsBody) return Verdict.Skip;
        return await chain.BodyChunkAsync(Bytes(data));
    }

    private async ValueTask EndOfMessageAsync(ReadOnlySequence<byte> data, IBufferWriter<byte> replies)
    {
        Enter(MilterCommand.EndOfMessage, SessionStage.EndOfMessage, repeatable: false);
        // libmilter lets SMFIC_BODYEOB carry the last body chunk.
        if (!data.IsEmpty && decided is null && chain.WantsBody)
        {
            var last = await chain.BodyChunkAsync(Bytes(data));
            if (last.IsTerminal) decided = last;
        }

        bool fromPlugins = decided is null;
        var verdict = decided ?? await chain.EndOfMessageAsync();
        if (!verdict.IsTerminal && deferred is { } connectionVerdict)
        {
            verdict = connectionVerdict;
            deferred = null;
            deferredForMessage = false;
        }

        if (fromPlugins && verdict.Kind is VerdictKind.Continue or VerdictKind.Accept or VerdictKind.Skip)
        {
            int argumentsDropped = 0;
            droppedEdits.Clear();
            EditWriter.Write(replies, Context.Edits.Queued, protocol!, droppedEdits, ref argumentsDropped);
            if (droppedEdits.Count > 0)
                logger.LogWarning("{QueueId}: dropped {Edits}: the MTA did not grant the action", Context.QueueId,
                    string.Join(", ", droppedEdits.Select(kv => $"{kv.Value} {kv.Key}")));
            if (argumentsDropped > 0)
                logger.LogWarning("{QueueId}: {Count} recipient(s) added without their ESMTP arguments: the MTA did not grant SMFIF_ADDRCPT_PAR",
                    Context.QueueId, argumentsDropped);
        }
        WriteVerdict(replies, verdict, canSkip: false);
        metrics?.MessageFinished(verdict, messageStarted);
        await EndMessageAsync(aborted: false);
    }

    private async ValueTask NewConnectionAsync()
    {
        if (InMessage) await EndMessageAsync(aborted: true);
        await chain.DisposeAsync();
        Context.ResetConnection();
        deferred = null;
        deferredForMessage = false;
        chain = createChain(plugins, Context);
        stage = SessionStage.AwaitingConnect;
        // The next conversation may start much later (the MTA keeps the connection for its next SMTP client): a
        // reload in between is taken up when it starts, not here.
        awaitingNextConversation = true;
    }

    /// <summary>After SMFIC_QUIT_NC, at the next conversation's first command: the configuration of that moment.</summary>
    private async ValueTask StartNextConversationAsync()
    {
        awaitingNextConversation = false;
        if (latestPlugins?.Invoke() is not { } latest || ReferenceEquals(latest, plugins)) return;
        // The chain made at QUIT_NC has seen nothing yet: it goes before its set's lease does.
        await chain.DisposeAsync();
        TakeUpReloadedPlugins();
        chain = createChain(plugins, Context);
    }

    /// <summary>
    /// A connection reused with SMFIC_QUIT_NC could otherwise carry the configuration of its first conversation for
    /// ever — a key removed from the key table still signing (found by an independent review). The MTA does not
    /// negotiate again, so the new set is taken up when it needs what was negotiated; when it needs more, the
    /// connection keeps the old set, says so once, and the next connection gets the new one.
    /// </summary>
    private void TakeUpReloadedPlugins()
    {
        if (latestPlugins?.Invoke() is not { } latest || ReferenceEquals(latest, plugins) || protocol is null) return;
        var latestNeeds = latest.Plugins.Select(p => p.Plugin.Needs).ToArray();
        if (Negotiator.Negotiate(protocol.Offer, latestNeeds).Reply == protocol.Reply)
        {
            // Closed already (a later reload replaced it and nobody held it): the next conversation looks again.
            if (!latest.TryAcquire()) return;
            plugins.Release();
            plugins = latest;
            needs = latestNeeds;
            return;
        }
        logger.LogWarning("the reloaded plugins need other protocol steps than this connection negotiated; it keeps the configuration it started with until the MTA closes it");
        latestPlugins = null;
    }

    /// <summary>
    /// Sends the answer unless the stage is no-reply. A terminal answer at a no-reply stage is kept and
    /// given with the next reply. A terminal answer the MTA receives at a message stage ends the message
    /// (except reject/tempfail of one recipient).
    /// </summary>
    private async ValueTask AnswerAsync(IBufferWriter<byte> replies, MilterCommand command, Verdict verdict, bool messageStage = true)
    {
        if (protocol!.IsNoReply(command))
        {
            if (verdict.IsTerminal && decided is null && deferred is null)
            {
                logger.LogWarning("{QueueId}: {Verdict} at {Command}, which was negotiated without reply (SMFIP_NR_*); it is answered with the next reply",
                    Context.QueueId, verdict.Kind, MilterCommands.Name(command));
                if (messageStage) decided = verdict;
                else deferred = verdict;
            }
            return;
        }

        var forTheMessage = false;
        if (!verdict.IsTerminal && deferred is { } connectionVerdict)
        {
            verdict = connectionVerdict;
            forTheMessage = deferredForMessage;
            deferred = null;
            deferredForMessage = false;
        }
        WriteVerdict(replies, verdict, protocol.CanSkip);

        // A tempfail at RCPT refuses that recipient only — unless it is a message-stage limit answered there (MAIL
        // negotiated without reply): then the whole message was refused, and ends here.
        if (messageStage && verdict.IsTerminal
            && !(command == MilterCommand.Recipient && verdict.Kind is VerdictKind.Reject or VerdictKind.TempFail && !forTheMessage))
        {
            metrics?.MessageFinished(verdict, messageStarted);
            await EndMessageAsync(aborted: true);
        }
    }

    private void WriteVerdict(IBufferWriter<byte> replies, Verdict verdict, bool canSkip)
    {
        VerdictWriter.Write(replies, verdict, canSkip, out var invalid);
        if (invalid is not null)
            logger.LogWarning("{QueueId}: {Invalid}; sent a plain {Verdict}", Context.QueueId, invalid, verdict.Kind);
    }

    /// <summary>The one place the message ends: plugins drop their state, the context and session forget the message.</summary>
    private async ValueTask EndMessageAsync(bool aborted)
    {
        decided = null;
        // A message that ended another way (a plugin's reject at end of message) leaves no tempfail for the next one.
        if (deferredForMessage) deferred = null;
        deferredForMessage = false;
        limits.ResetMessage();
        if (stage >= SessionStage.Mail) stage = SessionStage.Connected;
        await chain.EndMessageAsync(aborted);
    }

    /// <summary>SMFIC_CONNECT may have been negotiated away (SMFIP_NOCONNECT); then any stage may come first.</summary>
    private void EnsureConnected(MilterCommand command)
    {
        if (stage == SessionStage.AwaitingConnect)
        {
            if (!protocol!.IsOmitted(MilterCommand.Connect)) throw OutOfOrder(command);
            stage = SessionStage.Connected;
        }
    }

    /// <summary>
    /// Message stages only move forward (RCPT, HEADER and BODY repeat); MAIL and RCPT cannot be passed
    /// over unless negotiated off. DATA, headers, EOH and body may be absent (old MTAs, empty parts).
    /// </summary>
    private void Enter(MilterCommand command, SessionStage target, bool repeatable)
    {
        EnsureConnected(command);
        var from = InMessage ? stage : SessionStage.Connected;
        if (!InMessage) messageStarted = MilterMetrics.Now(); // MAIL negotiated away: the message starts here
        if (target < from || (target == from && !repeatable)) throw OutOfOrder(command);
        if (from < SessionStage.Mail && target > SessionStage.Mail && !protocol!.IsOmitted(MilterCommand.Mail))
            throw OutOfOrder(command, "no SMFIC_MAIL before it");
        if (from < SessionStage.Recipient && target > SessionStage.Recipient && !protocol!.IsOmitted(MilterCommand.Recipient))
            throw OutOfOrder(command, "no SMFIC_RCPT before it");
        stage = target;
    }

    private MilterProtocolException OutOfOrder(MilterCommand command, string? why = null) =>
        new($"{MilterCommands.Name(command)} out of order (after {stage}{(why is null ? "" : "; " + why)})");

    /// <summary>
    /// Largest copy kept for the next frame: a body chunk (64 KB) and the usual header fit. A bigger frame (up to
    /// Milter:MaxFrameSize) gets a copy of its own that goes with it — kept, 900 idle connections that had each
    /// sent one 1 MB frame held 900 MB (found by an independent review).
    /// </summary>
    private const int MaxKeptScratch = 128 * 1024;

    /// <summary>The frame data as one block: the read buffer itself when contiguous, else a reused copy.</summary>
    private ReadOnlyMemory<byte> Bytes(ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment) return data.First;
        int length = checked((int)data.Length);
        if (length > MaxKeptScratch) return data.ToArray();
        if (scratch is null || scratch.Length < length)
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
            scratch = ArrayPool<byte>.Shared.Rent(length);
        }
        data.CopyTo(scratch);
        return scratch.AsMemory(0, length);
    }

    /// <summary>Connection over (QUIT, EOF, error, shutdown): abort a message in flight and close the plugins' filters.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            try
            {
                if (InMessage) await EndMessageAsync(aborted: true);
            }
            finally
            {
                await chain.DisposeAsync();
            }
        }
        finally
        {
            if (leased)
            {
                leased = false;
                plugins.Release();
            }
        }
        if (scratch is not null)
        {
            ArrayPool<byte>.Shared.Return(scratch);
            scratch = null;
        }
    }
}
