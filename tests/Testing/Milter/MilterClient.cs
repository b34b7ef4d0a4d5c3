using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Milters.Testing.Milter;

/// <summary>
/// A milter client that talks like an MTA (Postfix or Sendmail, see <see cref="MtaOffer"/>) over a real
/// socket: negotiate, then connect/helo/mail/rcpt/data/header/eoh/body/end-of-message, abort, quit.
/// It honours what the filter negotiated: commands for stages the filter switched off (SMFIP_NO*) are not
/// sent (<see cref="MilterReply.NotSent"/>), no reply is awaited for no-reply stages (SMFIP_NR_*,
/// <see cref="MilterReply.NoReply"/>), header values lose their leading space without SMFIP_HDR_LEADSPC,
/// and body chunks stop after SMFIR_SKIP. Like Sendmail, negotiation fails if the filter asks for an action
/// or protocol bit that was not offered. Macros in <see cref="StageMacros"/> are sent (SMFIC_MACRO) before
/// each command of that stage. <see cref="SendMessageAsync"/> runs a whole message. Written independently
/// of the host's codec, so the two check each other.
/// </summary>
public sealed class MilterClient : IAsyncDisposable
{
    // SMFIP_* protocol flags this client interprets.
    private const uint NoConnect = 0x1, NoHelo = 0x2, NoMail = 0x4, NoRcpt = 0x8, NoBody = 0x10, NoHeaders = 0x20,
        NoEoh = 0x40, NrHeader = 0x80, NoUnknown = 0x100, NoData = 0x200, NrConnect = 0x1000, NrHelo = 0x2000,
        NrMail = 0x4000, NrRcpt = 0x8000, NrData = 0x10000, NrUnknown = 0x20000, NrEoh = 0x40000, NrBody = 0x80000;

    /// <summary>SMFIP_HDR_LEADSPC.</summary>
    public const uint HeaderLeadingSpace = 0x100000;

    /// <summary>MILTER_CHUNK_SIZE: the largest body chunk an MTA sends by default.</summary>
    public const int ChunkSize = 65535;

    private readonly Stream stream;
    private readonly Socket? socket;
    private byte[] buffer = new byte[64 * 1024];
    private int start, end;

    public MilterClient(Stream stream)
    {
        this.stream = stream;
    }

    private MilterClient(Socket socket)
        : this(new NetworkStream(socket, ownsSocket: true))
    {
        this.socket = socket;
    }

    /// <summary>Connects over TCP (TCP_NODELAY set, as MTAs do).</summary>
    public static async Task<MilterClient> ConnectTcpAsync(IPEndPoint endPoint, CancellationToken ct = default)
    {
        var s = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(endPoint, ct);
        return new MilterClient(s);
    }

    /// <summary>Connects to a unix-domain socket.</summary>
    public static async Task<MilterClient> ConnectUnixAsync(string path, CancellationToken ct = default)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
        return new MilterClient(s);
    }

    /// <summary>What was offered; set by <see cref="NegotiateAsync"/>.</summary>
    public MtaOffer Offer { get; private set; } = MtaOffer.Postfix;

    /// <summary>The filter's answer to SMFIC_OPTNEG (null before negotiation).</summary>
    public NegotiationResult? Negotiated { get; private set; }

    /// <summary>Time to wait for one reply before failing the test.</summary>
    public TimeSpan ReplyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Macros sent before each command of a stage, keyed by the stage's command letter ('C','H','M','R','T','L','N','B','E','U').</summary>
    public Dictionary<char, Dictionary<string, string>> StageMacros { get; } = new();

    /// <summary>SMFIC_OPTNEG. Throws if the filter requests bits that were not offered.</summary>
    public async Task<NegotiationResult> NegotiateAsync(MtaOffer offer)
    {
        Offer = offer;
        var data = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(data, offer.Version);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), offer.Actions);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(8), offer.Protocol);
        await SendAsync('O', data);
        var reply = await ReadFrameAsync();
        if (reply.Code != 'O' || reply.Data.Length < 12)
            throw new InvalidDataException($"bad OPTNEG reply {reply}");
        var d = reply.Data;
        var result = new NegotiationResult(
            BinaryPrimitives.ReadUInt32BigEndian(d), BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(4)),
            BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(8)));
        if (result.Version < 2 || result.Version > offer.Version)
            throw new InvalidDataException($"filter answered version {result.Version} to {offer}");
        if ((result.Actions & ~offer.Actions) != 0)
            throw new InvalidDataException($"filter abilities 0x{result.Actions:x} not offered ({offer})");
        if ((result.Protocol & ~offer.Protocol) != 0)
            throw new InvalidDataException($"protocol abilities 0x{result.Protocol:x} not offered ({offer})");
        Negotiated = result;
        return result;
    }

    /// <summary>SMFIC_CONNECT for an IP client (family '4' or '6').</summary>
    public Task<MilterReply> ConnectAsync(string hostName, IPAddress address, int port = 25)
    {
        var family = address.AddressFamily == AddressFamily.InterNetworkV6 ? (byte)'6' : (byte)'4';
        var data = new List<byte>();
        data.AddRange(Cstr(hostName));
        data.Add(family);
        data.Add((byte)(port >> 8));
        data.Add((byte)port);
        data.AddRange(Cstr(address.ToString()));
        return CommandAsync('C', data.ToArray(), NoConnect, NrConnect);
    }

    /// <summary>SMFIC_CONNECT for a client of unknown family ('U').</summary>
    public Task<MilterReply> ConnectUnknownAsync(string hostName = "unknown") =>
        CommandAsync('C', [.. Cstr(hostName), (byte)'U'], NoConnect, NrConnect);

    public Task<MilterReply> HeloAsync(string name) => CommandAsync('H', Cstr(name), NoHelo, NrHelo);

    /// <summary>SMFIC_MAIL: the sender as the MTA sends it (angle brackets added if missing) plus ESMTP arguments.</summary>
    public Task<MilterReply> MailFromAsync(string sender, params string[] esmtpArguments) =>
        CommandAsync('M', Args(sender, esmtpArguments), NoMail, NrMail);

    public Task<MilterReply> RcptAsync(string recipient, params string[] esmtpArguments) =>
        CommandAsync('R', Args(recipient, esmtpArguments), NoRcpt, NrRcpt);

    public Task<MilterReply> DataAsync() =>
        Negotiated is { Version: < 4 } ? Task.FromResult(MilterReply.NotSent) : CommandAsync('T', [], NoData, NrData);

    /// <summary>
    /// SMFIC_HEADER. <paramref name="value"/> is everything after the colon as in the message (leading space,
    /// folded lines with CRLF); it is adapted like the offered MTA would (leading space, line breaks).
    /// </summary>
    public Task<MilterReply> HeaderAsync(string name, string value)
    {
        var negotiated = Negotiated?.Protocol ?? 0;
        if ((negotiated & HeaderLeadingSpace) == 0 && value.StartsWith(' '))
            value = value[1..];
        value = value.Replace("\r\n", Offer.HeaderLineBreak);
        return CommandAsync('L', [.. Cstr(name), .. Cstr(value)], NoHeaders, NrHeader);
    }

    public Task<MilterReply> EndOfHeadersAsync() => CommandAsync('N', [], NoEoh, NrEoh);

    /// <summary>SMFIC_BODY in chunks of at most <see cref="ChunkSize"/>; stops early on SMFIR_SKIP or a terminal reply.</summary>
    public async Task<MilterReply> BodyAsync(ReadOnlyMemory<byte> body)
    {
        var last = MilterReply.NotSent;
        for (int offset = 0; offset < body.Length; offset += ChunkSize)
        {
            var chunk = body.Slice(offset, Math.Min(ChunkSize, body.Length - offset));
            last = await CommandAsync('B', chunk.ToArray(), NoBody, NrBody);
            if (last == MilterReply.NotSent || !(last.IsContinue || last == MilterReply.NoReply)) break;
        }
        return last;
    }

    /// <summary>SMFIC_UNKNOWN: an SMTP command the MTA did not recognise.</summary>
    public Task<MilterReply> UnknownAsync(string command) => CommandAsync('U', Cstr(command), NoUnknown, NrUnknown);

    /// <summary>SMFIC_BODYEOB; collects every modification frame and the final verdict.</summary>
    public async Task<EndOfMessageResult> EndOfMessageAsync()
    {
        await SendStageMacrosAsync('E');
        await SendAsync('E', []);
        reads = 0;
        var mods = new List<MilterModification>();
        int progress = 0;
        while (true)
        {
            var frame = await ReadFrameAsync();
            switch (frame.Code)
            {
                case 'p': progress++; continue; // SMFIR_PROGRESS
                case 'c' or 'a' or 'r' or 't' or 'd' or 'y':
                    return new EndOfMessageResult(mods, frame, reads, progress);
                default:
                    mods.Add(MilterModification.Decode(frame));
                    break;
            }
        }
    }

    /// <summary>SMFIC_ABORT (no reply).</summary>
    public Task AbortAsync() => SendAsync('A', []);

    /// <summary>SMFIC_QUIT (no reply); the filter closes the connection.</summary>
    public Task QuitAsync() => SendAsync('Q', []);

    /// <summary>SMFIC_QUIT_NC: end this SMTP connection, keep the milter connection for the next one.</summary>
    public Task QuitNewConnectionAsync() => SendAsync('K', []);

    /// <summary>SMFIC_MACRO for one stage.</summary>
    public Task SendMacrosAsync(char stage, IReadOnlyDictionary<string, string> macros)
    {
        var data = new List<byte> { (byte)stage };
        foreach (var (k, v) in macros)
        {
            data.AddRange(Cstr(k));
            data.AddRange(Cstr(v));
        }
        return SendAsync('D', data.ToArray());
    }

    /// <summary>
    /// Runs a whole message: MAIL, RCPT…, DATA, each header, EOH, body, end of message. Stops at the first
    /// terminal reply (reject, tempfail, accept, discard), as an MTA would. <paramref name="message"/> is the
    /// raw message (CRLF or LF line ends).
    /// </summary>
    public async Task<MessageResult> SendMessageAsync(string sender, IReadOnlyList<string> recipients, byte[] message)
    {
        var steps = new List<(string Stage, MilterReply Reply)>();
        bool Stop(string stage, MilterReply r)
        {
            steps.Add((stage, r));
            return !(r.IsContinue || r == MilterReply.NotSent || r == MilterReply.NoReply || r.IsSkip);
        }

        if (Stop("mail", await MailFromAsync(sender))) return new MessageResult(steps, null);
        foreach (var rcpt in recipients)
            if (Stop("rcpt", await RcptAsync(rcpt)) && !steps[^1].Reply.IsReject && !steps[^1].Reply.IsTempFail)
                return new MessageResult(steps, null);
        if (Stop("data", await DataAsync())) return new MessageResult(steps, null);
        var (headers, body) = SplitMessage(message);
        foreach (var (name, value) in headers)
            if (Stop("header", await HeaderAsync(name, value))) return new MessageResult(steps, null);
        if (Stop("eoh", await EndOfHeadersAsync())) return new MessageResult(steps, null);
        if (body.Length > 0 && Stop("body", await BodyAsync(body))) return new MessageResult(steps, null);
        return new MessageResult(steps, await EndOfMessageAsync());
    }

    /// <summary>Splits a raw message into header fields (name, value after the colon with CRLF folding) and a CRLF body.</summary>
    public static (List<(string Name, string Value)> Headers, byte[] Body) SplitMessage(byte[] message)
    {
        var text = Encoding.UTF8.GetString(message).Replace("\r\n", "\n");
        int sep = text.IndexOf("\n\n", StringComparison.Ordinal);
        string head = sep < 0 ? text.TrimEnd('\n') : text[..sep];
        string body = sep < 0 ? "" : text[(sep + 2)..];
        var headers = new List<(string, string)>();
        foreach (var line in head.Split('\n'))
        {
            if (line.Length == 0) continue;
            if ((line[0] == ' ' || line[0] == '\t') && headers.Count > 0)
            {
                var (n, v) = headers[^1];
                headers[^1] = (n, v + "\r\n" + line);
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon <= 0) throw new ArgumentException($"not a header line: {line}");
            headers.Add((line[..colon], line[(colon + 1)..]));
        }
        return (headers, Encoding.UTF8.GetBytes(body.Replace("\n", "\r\n")));
    }

    /// <summary>Sends raw bytes (for malformed-frame tests).</summary>
    public async Task SendRawAsync(byte[] bytes)
    {
        await stream.WriteAsync(bytes);
        await stream.FlushAsync();
    }

    /// <summary>Sends one frame: 4-byte big-endian length, command letter, data.</summary>
    public async Task SendAsync(char command, byte[] data)
    {
        var frame = new byte[5 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, data.Length + 1);
        frame[4] = (byte)command;
        data.CopyTo(frame, 5);
        await SendRawAsync(frame);
    }

    /// <summary>Closes our sending side (the filter sees end of stream) while still reading its answers.</summary>
    public void ShutdownSend()
    {
        if (socket is null) throw new InvalidOperationException("not a socket connection");
        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>True when the filter closed the connection (EOF or reset) within <paramref name="wait"/>.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            var tmp = new byte[4096];
            while (true)
            {
                int n = await stream.ReadAsync(tmp, cts.Token);
                if (n == 0) return true;
            }
        }
        catch (OperationCanceledException) { return false; }
        catch (IOException) { return true; }
        catch (SocketException) { return true; }
    }

    /// <summary>Reads the next reply frame.</summary>
    public async Task<MilterReply> ReadFrameAsync()
    {
        await FillAsync(4);
        int length = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(start));
        if (length < 1 || length > 16 * 1024 * 1024) throw new InvalidDataException($"bad reply length {length}");
        await FillAsync(4 + length);
        var code = (char)buffer[start + 4];
        var data = buffer.AsSpan(start + 5, length - 1).ToArray();
        start += 4 + length;
        return new MilterReply(code, data);
    }

    private int reads;

    private async Task FillAsync(int needed)
    {
        if (end - start >= needed) return;
        if (buffer.Length - start < needed)
        {
            var bigger = new byte[Math.Max(buffer.Length, needed * 2)];
            Buffer.BlockCopy(buffer, start, bigger, 0, end - start);
            end -= start;
            start = 0;
            buffer = bigger;
        }
        using var cts = new CancellationTokenSource(ReplyTimeout);
        while (end - start < needed)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(end), cts.Token);
            reads++;
            if (n == 0) throw new EndOfStreamException("the filter closed the connection");
            end += n;
        }
    }

    private async Task<MilterReply> CommandAsync(char command, byte[] data, uint noFlag, uint noReplyFlag)
    {
        var protocol = Negotiated?.Protocol ?? 0;
        if ((protocol & noFlag) != 0) return MilterReply.NotSent;
        await SendStageMacrosAsync(command);
        await SendAsync(command, data);
        if ((protocol & noReplyFlag) != 0) return MilterReply.NoReply;
        while (true)
        {
            var reply = await ReadFrameAsync();
            if (reply.Code != 'p') return reply; // SMFIR_PROGRESS: keep waiting
        }
    }

    private async Task SendStageMacrosAsync(char stage)
    {
        if (StageMacros.TryGetValue(stage, out var macros) && macros.Count > 0)
            await SendMacrosAsync(stage, macros);
    }

    private static byte[] Args(string address, string[] esmtpArguments)
    {
        var a = address.StartsWith('<') ? address : $"<{address}>";
        var data = new List<byte>(Cstr(a));
        foreach (var arg in esmtpArguments) data.AddRange(Cstr(arg));
        return data.ToArray();
    }

    private static byte[] Cstr(string s) => [.. Encoding.UTF8.GetBytes(s), 0];

    public async ValueTask DisposeAsync()
    {
        try { socket?.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        await stream.DisposeAsync();
    }
}

/// <summary>Replies per stage of a whole message, and the end-of-message result when it got that far.</summary>
public sealed record MessageResult(IReadOnlyList<(string Stage, MilterReply Reply)> Steps, EndOfMessageResult? EndOfMessage)
{
    /// <summary>The verdict that decided the message: the end-of-message verdict or the terminal reply that stopped it.</summary>
    public MilterReply Verdict => EndOfMessage?.Verdict ?? Steps[^1].Reply;
}
