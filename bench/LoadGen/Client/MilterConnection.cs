using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Milters.LoadGen.Messages;
using Milters.LoadGen.Protocol;

namespace Milters.LoadGen.Client;

/// <summary>
/// One MTA-side milter connection: negotiates like Postfix (v6, actions 0x1ff, protocol 0x1fffff),
/// then sends the connect and HELO steps once and any number of messages. Honours the filter's
/// NO*/NR_* answer exactly: skipped steps (and their macros) are not sent, no-reply steps are
/// not waited for.
/// </summary>
internal sealed class MilterConnection : IAsyncDisposable
{
    public const uint OfferedVersion = 6;
    public const ProtocolFlags OfferedProtocol = ProtocolFlags.PostfixV6Offer;

    private readonly Socket _socket;
    private readonly FrameReader _reader;
    private readonly FrameWriter _writer = new();
    private readonly ClientOptions _options;
    private readonly TrafficProfile _profile;
    private readonly List<HeaderLine> _added = [];
    private int _messages;
    private int _pendingReplies;
    private bool _closed;

    private MilterConnection(Socket socket, ClientOptions options, TrafficProfile profile)
    {
        _socket = socket;
        _options = options;
        _profile = profile;
        _reader = new FrameReader(socket, options.MaxFrame);
    }

    public Negotiated Negotiated { get; private set; } = null!;

    /// <summary>Set when the filter ended the whole connection (accept/reject at connect or HELO).</summary>
    public string? ConnectionVerdict { get; private set; }

    public bool Usable => !_closed && ConnectionVerdict is null;

    public static async Task<MilterConnection> OpenAsync(SocketSpec spec, ClientOptions options, TrafficProfile profile, CancellationToken cancel)
    {
        var socket = spec.CreateSocket();
        try
        {
            if (!spec.IsUnix) socket.NoDelay = options.NoDelay;
            await socket.ConnectAsync(spec.EndPoint, cancel).ConfigureAwait(false);
            var connection = new MilterConnection(socket, options, profile);
            await connection.NegotiateAsync(cancel).ConfigureAwait(false);
            await connection.ConnectAndHeloAsync(cancel).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task NegotiateAsync(CancellationToken cancel)
    {
        _writer.Begin(MilterCommand.OptNeg);
        _writer.UInt32(OfferedVersion);
        _writer.UInt32(ActionFlags.AllV6);
        _writer.UInt32((uint)OfferedProtocol);
        _writer.End();
        await FlushAsync(cancel).ConfigureAwait(false);

        var frame = await _reader.ReadAsync(cancel).ConfigureAwait(false);
        if (frame.Command != MilterReply.OptNeg || frame.Data.Length < 12)
            throw new MilterProtocolException($"expected an OPTNEG reply, got '{(char)frame.Command}' with {frame.Data.Length} bytes");
        var data = frame.Data.Span;
        uint version = BinaryPrimitives.ReadUInt32BigEndian(data);
        uint actions = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        var protocol = (ProtocolFlags)BinaryPrimitives.ReadUInt32BigEndian(data[8..]);
        if (version < 2 || version > OfferedVersion)
            throw new MilterProtocolException($"filter answered protocol version {version}; the MTA offered {OfferedVersion}");
        if ((actions & ~ActionFlags.AllV6) != 0)
            throw new MilterProtocolException($"filter asked for actions 0x{actions:x} beyond the offered 0x{ActionFlags.AllV6:x}");
        if ((protocol & ~OfferedProtocol) != 0)
            throw new MilterProtocolException($"filter asked for protocol bits 0x{(uint)protocol:x} beyond the offered 0x{(uint)OfferedProtocol:x}");
        Negotiated = new Negotiated
        {
            Version = version,
            Actions = actions,
            Protocol = protocol,
            MacroLists = ParseSymbolLists(data[12..]),
        };
    }

    // After the three words an OPTNEG reply may carry, per stage, the macros the filter wants
    // (SMFIR_SETSYMLIST data): a 32-bit stage number and a NUL-terminated, space-separated list.
    private static Dictionary<MacroStage, HashSet<string>> ParseSymbolLists(ReadOnlySpan<byte> rest)
    {
        var lists = new Dictionary<MacroStage, HashSet<string>>();
        while (rest.Length >= 5)
        {
            var stage = (MacroStage)BinaryPrimitives.ReadUInt32BigEndian(rest);
            rest = rest[4..];
            int nul = rest.IndexOf((byte)0);
            if (nul < 0) throw new MilterProtocolException("unterminated macro list in OPTNEG reply");
            string names = Encoding.ASCII.GetString(rest[..nul]);
            lists[stage] = [.. names.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
            rest = rest[(nul + 1)..];
        }
        return lists;
    }

    private async Task ConnectAndHeloAsync(CancellationToken cancel)
    {
        if (Negotiated.Sends(MilterCommand.Connect))
        {
            WriteMacros(MacroStage.Connect, MilterCommand.Connect, null);
            _writer.Begin(MilterCommand.Connect);
            _writer.CString(_profile.ClientName);
            bool v6 = _profile.ClientAddress.Contains(':');
            _writer.Byte(v6 ? MilterCommand.FamilyInet6 : MilterCommand.FamilyInet);
            _writer.UInt16(40025);
            _writer.CString(_profile.ClientAddress);
            _writer.End();
            var reply = await StepAsync(MilterCommand.Connect, cancel).ConfigureAwait(false);
            if (reply.Command != MilterReply.Continue) { ConnectionVerdict = $"connect: {reply.Describe()}"; return; }
        }
        if (Negotiated.Sends(MilterCommand.Helo))
        {
            _writer.Begin(MilterCommand.Helo);
            _writer.CString(_profile.Helo);
            _writer.End();
            var reply = await StepAsync(MilterCommand.Helo, cancel).ConfigureAwait(false);
            if (reply.Command != MilterReply.Continue) ConnectionVerdict = $"helo: {reply.Describe()}";
        }
    }

    /// <summary>Sends one whole message; protocol and I/O failures throw (the connection is then unusable).</summary>
    public async Task<MessageOutcome> SendMessageAsync(TestMessage message, CancellationToken cancel)
    {
        if (!Usable) throw new InvalidOperationException("connection is not usable");
        long start = Stopwatch.GetTimestamp();
        _added.Clear();
        if (_messages++ > 0 && _options.AbortBetweenMessages) _writer.Frame(MilterCommand.Abort);

        var early = await EnvelopeAndHeadersAsync(message, cancel).ConfigureAwait(false);
        if (early is not null) return Early(early.Value, start);

        if (Negotiated.Sends(MilterCommand.Body))
        {
            var cursor = new BodyCursor(message);
            while (!cursor.Done)
            {
                _writer.Begin(MilterCommand.Body);
                cursor.WriteChunk(_writer, _options.ChunkSize);
                _writer.End();
                var reply = await StepAsync(MilterCommand.Body, cancel).ConfigureAwait(false);
                if (reply.Command == MilterReply.Skip) break; // SMFIR_SKIP: no more body, go on to end of message
                if (reply.Command != MilterReply.Continue) return Early(reply, start);
            }
        }

        WriteMacros(MacroStage.Eom, MilterCommand.BodyEob, message);
        _writer.Frame(MilterCommand.BodyEob);
        await FlushAsync(cancel).ConfigureAwait(false);
        long eomStart = Stopwatch.GetTimestamp();
        for (; _pendingReplies > 0; _pendingReplies--)
        {
            var skipped = await ReadVerdictAsync(collectEdits: false, cancel).ConfigureAwait(false);
            if (skipped.Command != MilterReply.Continue)
                throw new MilterProtocolException($"pipeline experiment: a step was answered with {skipped.Describe()}");
        }
        var verdict = await ReadVerdictAsync(collectEdits: true, cancel).ConfigureAwait(false);
        long end = Stopwatch.GetTimestamp();
        return Judge(verdict, end - eomStart, end - start);
    }

    private async Task<Reply?> EnvelopeAndHeadersAsync(TestMessage message, CancellationToken cancel)
    {
        if (Negotiated.Sends(MilterCommand.Mail))
        {
            WriteMacros(MacroStage.EnvFrom, MilterCommand.Mail, message);
            _writer.Begin(MilterCommand.Mail);
            _writer.CString($"<{message.MailFrom}>");
            _writer.CString($"SIZE={message.TotalBytes}");
            _writer.End();
            var reply = await StepAsync(MilterCommand.Mail, cancel).ConfigureAwait(false);
            if (reply.Command != MilterReply.Continue) return reply;
        }
        if (Negotiated.Sends(MilterCommand.Rcpt))
        {
            WriteMacros(MacroStage.EnvRcpt, MilterCommand.Rcpt, message);
            _writer.Begin(MilterCommand.Rcpt);
            _writer.CString($"<{message.RcptTo}>");
            _writer.End();
            var reply = await StepAsync(MilterCommand.Rcpt, cancel).ConfigureAwait(false);
            if (reply.Command != MilterReply.Continue) return reply;
        }
        if (Negotiated.Sends(MilterCommand.Data))
        {
            WriteMacros(MacroStage.Data, MilterCommand.Data, message);
            _writer.Frame(MilterCommand.Data);
            var reply = await StepAsync(MilterCommand.Data, cancel).ConfigureAwait(false);
            if (reply.Command != MilterReply.Continue) return reply;
        }
        if (Negotiated.Sends(MilterCommand.Header))
        {
            bool leadingSpace = Negotiated.Has(ProtocolFlags.HdrLeadSpc);
            foreach (var header in message.Headers)
            {
                _writer.Begin(MilterCommand.Header);
                _writer.CString(header.Name);
                string value = _options.HeaderEol == "\r\n" ? header.Value : header.Value.Replace("\r\n", _options.HeaderEol);
                _writer.CString(leadingSpace ? " " + value : value);
                _writer.End();
                var reply = await StepAsync(MilterCommand.Header, cancel).ConfigureAwait(false);
                if (reply.Command == MilterReply.Skip) break;
                if (reply.Command != MilterReply.Continue) return reply;
            }
        }
        if (Negotiated.Sends(MilterCommand.Eoh))
        {
            WriteMacros(MacroStage.Eoh, MilterCommand.Eoh, message);
            _writer.Frame(MilterCommand.Eoh);
            var reply = await StepAsync(MilterCommand.Eoh, cancel).ConfigureAwait(false);
            if (reply.Command != MilterReply.Continue) return reply;
        }
        return null;
    }

    private void WriteMacros(MacroStage stage, byte command, TestMessage? message)
    {
        bool open = false;
        foreach (var (name, value) in _profile.Macros(stage, message))
        {
            string bare = name.Trim('{', '}');
            if (!Negotiated.Wants(stage, name) && !Negotiated.Wants(stage, bare)) continue;
            if (!open)
            {
                _writer.Begin(MilterCommand.Macro);
                _writer.Byte(command);
                open = true;
            }
            _writer.CString(name);
            _writer.CString(value);
        }
        if (open) _writer.End();
    }

    /// <summary>Sends (or queues) the command just written and, unless the filter said NR_*, reads its reply.</summary>
    private async ValueTask<Reply> StepAsync(byte command, CancellationToken cancel)
    {
        if (_options.PipelineExperiment && command != MilterCommand.Connect && Negotiated.AwaitsReply(command))
        {
            // Experiment, not MTA behaviour: go on without the reply; it is collected before the verdict.
            _pendingReplies++;
            if (_writer.Length >= 64 * 1024) await FlushAsync(cancel).ConfigureAwait(false);
            return Reply.Continue;
        }
        if (!Negotiated.AwaitsReply(command))
        {
            if (_options.WritePerCommand || _writer.Length >= 64 * 1024) await FlushAsync(cancel).ConfigureAwait(false);
            return Reply.Continue;
        }
        await FlushAsync(cancel).ConfigureAwait(false);
        return await ReadVerdictAsync(collectEdits: false, cancel).ConfigureAwait(false);
    }

    private async ValueTask<Reply> ReadVerdictAsync(bool collectEdits, CancellationToken cancel)
    {
        while (true)
        {
            var frame = await _reader.ReadAsync(cancel).ConfigureAwait(false);
            if (MilterReply.IsFinal(frame.Command))
                return new Reply(frame.Command, frame.Command == MilterReply.ReplyCode ? CText(frame.Data.Span) : null);
            switch (frame.Command)
            {
                case MilterReply.Progress:
                    continue;
                case MilterReply.AddHeader when collectEdits:
                    _added.Add(ReadHeader(frame.Data.Span));
                    continue;
                case MilterReply.InsHeader when collectEdits:
                case MilterReply.ChgHeader when collectEdits:
                    if (frame.Data.Length < 4) throw new MilterProtocolException($"short '{(char)frame.Command}' reply");
                    var header = ReadHeader(frame.Data.Span[4..]);
                    if (frame.Command == MilterReply.InsHeader || header.Value.Length > 0) _added.Add(header);
                    continue;
                case MilterReply.ReplBody or MilterReply.AddRcpt or MilterReply.DelRcpt or MilterReply.AddRcptPar
                    or MilterReply.ChgFrom or MilterReply.Quarantine when collectEdits:
                    continue;
                default:
                    throw new MilterProtocolException($"unexpected reply '{(char)frame.Command}' ({frame.Data.Length} bytes){(collectEdits ? "" : " before end of message")}");
            }
        }
    }

    private static HeaderLine ReadHeader(ReadOnlySpan<byte> data)
    {
        int nul = data.IndexOf((byte)0);
        if (nul < 0) throw new MilterProtocolException("header name not NUL-terminated");
        string name = Encoding.UTF8.GetString(data[..nul]);
        return new HeaderLine(name, CText(data[(nul + 1)..]));
    }

    private static string CText(ReadOnlySpan<byte> data)
    {
        int nul = data.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? data[..nul] : data);
    }

    private MessageOutcome Judge(Reply verdict, long eomTicks, long totalTicks)
    {
        var kind = Classify(verdict);
        string? detail = kind == OutcomeKind.Ok ? null : verdict.Describe();
        if (kind == OutcomeKind.Ok && _options.ExpectHeader is { } expected)
        {
            bool found = _added.Any(h => h.Name.Equals(expected, StringComparison.OrdinalIgnoreCase)
                && (_options.ExpectContains is null || h.Value.Contains(_options.ExpectContains, StringComparison.OrdinalIgnoreCase)));
            if (!found)
            {
                kind = OutcomeKind.MissingHeader;
                detail = _added.Count == 0 ? "no header added" : "added: " + string.Join(" | ", _added.Select(h => $"{h.Name}:{Shorten(h.Value)}"));
            }
        }
        return new MessageOutcome(kind, eomTicks, totalTicks, detail, [.. _added]);
    }

    private static string Shorten(string value) => value.Length <= 120 ? value : value[..117] + "...";

    private static OutcomeKind Classify(Reply verdict) => verdict.Command switch
    {
        MilterReply.Accept or MilterReply.Continue => OutcomeKind.Ok,
        MilterReply.Discard => OutcomeKind.Discarded,
        MilterReply.TempFail => OutcomeKind.TempFailed,
        MilterReply.ReplyCode when verdict.Text is ['4', ..] => OutcomeKind.TempFailed,
        MilterReply.Reject or MilterReply.ReplyCode => OutcomeKind.Rejected,
        _ => OutcomeKind.ProtocolError,
    };

    private MessageOutcome Early(Reply reply, long start)
    {
        var kind = reply.Command == MilterReply.Accept ? OutcomeKind.AcceptedEarly : Classify(reply);
        return new MessageOutcome(kind, 0, Stopwatch.GetTimestamp() - start, "before end of message: " + reply.Describe(), []);
    }

    private async ValueTask FlushAsync(CancellationToken cancel)
    {
        var pending = _writer.Written;
        while (!pending.IsEmpty)
        {
            int sent = await _socket.SendAsync(pending, SocketFlags.None, cancel).ConfigureAwait(false);
            pending = pending[sent..];
        }
        _writer.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_closed)
        {
            _closed = true;
            try
            {
                _writer.Clear();
                _writer.Frame(MilterCommand.Quit);
                using var quitTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await FlushAsync(quitTimeout.Token).ConfigureAwait(false);
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The filter may already have closed its side; quitting is best effort.
            }
        }
        _socket.Dispose();
    }

    /// <summary>Marks the connection broken so that disposing it does not try to say QUIT.</summary>
    public void Abandon() => _closed = true;

    private readonly record struct Reply(byte Command, string? Text)
    {
        public static readonly Reply Continue = new(MilterReply.Continue, null);

        public string Describe() => Command switch
        {
            MilterReply.Accept => "accept",
            MilterReply.Continue => "continue",
            MilterReply.Discard => "discard",
            MilterReply.Reject => "reject",
            MilterReply.TempFail => "tempfail",
            MilterReply.ReplyCode => $"replycode {Text}",
            MilterReply.Skip => "skip",
            _ => $"'{(char)Command}'",
        };
    }
}
