using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Milters.Host.Milter.Protocol;

namespace Milters.Host.Commands;

/// <summary>A modification the milter sent at end of message.</summary>
public sealed record VerifyEdit(MilterResponse Kind, string Text);

/// <summary>The MTA's view of one message: the verdict it got (and at which step) and the modifications.</summary>
public sealed record VerifyOutcome(string Stage, MilterResponse Verdict, string? Reply, IReadOnlyList<VerifyEdit> Edits, uint Actions, uint Steps);

/// <summary>The envelope `milters verify` pretends to have received.</summary>
public sealed record VerifyEnvelope(
    IPAddress ClientAddress, string ClientName, string Helo, string MailFrom, IReadOnlyList<string> Recipients,
    string DaemonName, string HostName, string QueueId, string? AuthenticatedUser);

/// <summary>
/// The MTA side of the milter protocol, as much as `milters verify` needs: offers what Postfix offers
/// (version 6, every action, every protocol step), then sends one message the way the milter asked —
/// leaving out the steps it declined (SMFIP_NO*), not waiting where it wants no reply (SMFIP_NR_*),
/// stripping the header value's leading space unless SMFIP_HDR_LEADSPC — and collects the replies.
/// Frames are read with the host's own <see cref="MilterFrameReader"/>.
/// </summary>
internal sealed class VerifyMtaClient(Stream stream)
{
    private const uint OfferedActions = 0x1FF;       // every SMFIF_* up to SMFIF_SETSYMLIST
    private const uint OfferedSteps = 0x001FFFFF;    // every SMFIP_* Postfix 3.x offers
    private const int MaxReply = 1024 * 1024;

    private readonly PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
    private uint steps;

    public async Task<VerifyOutcome> SendAsync(VerifyEnvelope envelope, VerifyMessage message, CancellationToken ct)
    {
        // SMFIC_OPTNEG
        var negotiate = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(negotiate, 6);
        BinaryPrimitives.WriteUInt32BigEndian(negotiate.AsSpan(4), OfferedActions);
        BinaryPrimitives.WriteUInt32BigEndian(negotiate.AsSpan(8), OfferedSteps);
        await WriteAsync((byte)MilterCommand.OptionNegotiation, negotiate, ct);
        var (code, data) = await ReadAsync(ct);
        if (code != (byte)MilterResponse.OptionNegotiation || data.Length < 12)
            throw new InvalidOperationException($"the milter answered SMFIC_OPTNEG with '{(char)code}'");
        var actions = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4));
        steps = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(8));

        var connectMacros = new[]
        {
            ("j", envelope.HostName), ("_", $"{envelope.ClientName} [{envelope.ClientAddress}]"), ("{daemon_name}", envelope.DaemonName),
            ("{client_addr}", envelope.ClientAddress.ToString()), ("{client_name}", envelope.ClientName), ("{if_addr}", "127.0.0.1"),
        };
        var family = envelope.ClientAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? (byte)'6' : (byte)'4';
        var connect = Concat(CString(envelope.ClientName), [family], [0x00, 0x19], CString(envelope.ClientAddress.ToString()));
        var verdict = await StepAsync("connect", MilterCommand.Connect, connect, MilterProtocolFlags.NoConnect, MilterProtocolFlags.NoReplyConnect, connectMacros, ct);
        if (verdict is not null) return Done(verdict.Value, actions, []);

        verdict = await StepAsync("helo", MilterCommand.Helo, CString(envelope.Helo), MilterProtocolFlags.NoHelo, MilterProtocolFlags.NoReplyHelo, [], ct);
        if (verdict is not null) return Done(verdict.Value, actions, []);

        var mailMacros = new List<(string, string)> { ("i", envelope.QueueId), ("{mail_addr}", envelope.MailFrom) };
        if (envelope.AuthenticatedUser is { } user) { mailMacros.Add(("{auth_authen}", user)); mailMacros.Add(("{auth_type}", "PLAIN")); }
        verdict = await StepAsync("mail", MilterCommand.Mail, CString($"<{envelope.MailFrom}>"), MilterProtocolFlags.NoMail, MilterProtocolFlags.NoReplyMail, mailMacros, ct);
        if (verdict is not null) return Done(verdict.Value, actions, []);

        foreach (var rcpt in envelope.Recipients)
        {
            verdict = await StepAsync("rcpt", MilterCommand.Recipient, CString($"<{rcpt}>"), MilterProtocolFlags.NoRecipient, MilterProtocolFlags.NoReplyRecipient, [("{rcpt_addr}", rcpt)], ct);
            if (verdict is not null) return Done(verdict.Value, actions, []);
        }

        verdict = await StepAsync("data", MilterCommand.Data, [], MilterProtocolFlags.NoData, MilterProtocolFlags.NoReplyData, [], ct);
        if (verdict is not null) return Done(verdict.Value, actions, []);

        var leadingSpace = Has(MilterProtocolFlags.HeaderLeadingSpace);
        foreach (var (name, value) in message.Headers)
        {
            var sent = leadingSpace || !value.StartsWith(' ') ? value : value[1..];
            verdict = await StepAsync("header", MilterCommand.Header, Concat(CString(name), CString(sent)), MilterProtocolFlags.NoHeaders, MilterProtocolFlags.NoReplyHeader, [], ct);
            if (verdict is not null) return Done(verdict.Value, actions, []);
        }

        verdict = await StepAsync("eoh", MilterCommand.EndOfHeaders, [], MilterProtocolFlags.NoEndOfHeaders, MilterProtocolFlags.NoReplyEndOfHeaders, [], ct);
        if (verdict is not null) return Done(verdict.Value, actions, []);

        for (var offset = 0; offset < message.Body.Length; offset += MilterLimits.ChunkSize)
        {
            var chunk = message.Body.AsMemory(offset, Math.Min(MilterLimits.ChunkSize, message.Body.Length - offset)).ToArray();
            verdict = await StepAsync("body", MilterCommand.Body, chunk, MilterProtocolFlags.NoBody, MilterProtocolFlags.NoReplyBody, [], ct);
            if (verdict is { Item1: MilterResponse.Skip }) break;
            if (verdict is not null) return Done(verdict.Value, actions, []);
        }

        await WriteAsync((byte)MilterCommand.EndOfMessage, [], ct);
        var edits = new List<VerifyEdit>();
        while (true)
        {
            var (replyCode, reply) = await ReadAsync(ct);
            var kind = (MilterResponse)replyCode;
            switch (kind)
            {
                case MilterResponse.Progress:
                    continue;
                case MilterResponse.Accept or MilterResponse.Continue or MilterResponse.Discard or MilterResponse.Reject or MilterResponse.TempFail
                    or MilterResponse.ReplyCode or MilterResponse.ConnectionFailure or MilterResponse.Shutdown:
                    await WriteAsync((byte)MilterCommand.Quit, [], ct);
                    return new VerifyOutcome("eom", kind, kind == MilterResponse.ReplyCode ? Text(reply) : null, edits, actions, steps);
                default:
                    edits.Add(new VerifyEdit(kind, DescribeEdit(kind, reply)));
                    break;
            }
        }
    }

    private VerifyOutcome Done((MilterResponse Kind, string? Reply, string Stage) verdict, uint actions, IReadOnlyList<VerifyEdit> edits) =>
        new(verdict.Stage, verdict.Kind, verdict.Reply, edits, actions, steps);

    private bool Has(MilterProtocolFlags flag) => (steps & (uint)flag) != 0;

    /// <summary>Sends a step (macros first) unless declined; returns a terminal reply, (Skip) for SMFIR_SKIP, or null to go on.</summary>
    private async Task<(MilterResponse, string?, string)?> StepAsync(string stage, MilterCommand command, byte[] payload,
        MilterProtocolFlags declined, MilterProtocolFlags noReply, IReadOnlyList<(string Name, string Value)> macros, CancellationToken ct)
    {
        if (macros.Count > 0)
        {
            var parts = new List<byte[]> { new[] { (byte)command } };
            foreach (var (name, value) in macros) { parts.Add(CString(name)); parts.Add(CString(value)); }
            await WriteAsync((byte)MilterCommand.Macro, Concat([.. parts]), ct);
        }
        if (Has(declined)) return null;
        await WriteAsync((byte)command, payload, ct);
        if (Has(noReply)) return null;

        while (true)
        {
            var (code, data) = await ReadAsync(ct);
            var kind = (MilterResponse)code;
            switch (kind)
            {
                case MilterResponse.Progress: continue;
                case MilterResponse.Continue: return null;
                case MilterResponse.Skip: return (kind, null, stage);
                default:
                    return (kind, kind == MilterResponse.ReplyCode ? Text(data) : null, stage);
            }
        }
    }

    private async Task WriteAsync(byte command, byte[] payload, CancellationToken ct)
    {
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(payload.Length + 1));
        frame[4] = command;
        payload.CopyTo(frame, 5);
        await stream.WriteAsync(frame, ct);
        await stream.FlushAsync(ct);
    }

    private async Task<(byte Code, byte[] Data)> ReadAsync(CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            if (MilterFrameReader.TryRead(ref buffer, MaxReply, out var frame))
            {
                var reply = ((byte)frame.Command, frame.Data.ToArray());
                reader.AdvanceTo(buffer.Start);
                return reply;
            }
            if (result.IsCompleted) throw new EndOfStreamException("the milter closed the connection");
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static string DescribeEdit(MilterResponse kind, byte[] data)
    {
        var strings = Strings(data);
        switch (kind)
        {
            case MilterResponse.AddHeader:
                return $"add header {Field(strings, 0)}";
            case MilterResponse.InsertHeader:
            {
                var index = BinaryPrimitives.ReadUInt32BigEndian(data);
                return $"insert header at {index}: {Field(Strings(data[4..]), 0)}";
            }
            case MilterResponse.ChangeHeader:
            {
                var index = BinaryPrimitives.ReadUInt32BigEndian(data);
                var s = Strings(data[4..]);
                return s.Count > 1 && s[1].Length == 0 ? $"delete header {s[0]} #{index}" : $"change header {s[0]} #{index}: {(s.Count > 1 ? s[1] : "")}";
            }
            case MilterResponse.Quarantine: return $"quarantine: {Field(strings, -1)}";
            case MilterResponse.AddRecipient or MilterResponse.AddRecipientWithArgs: return $"add recipient {string.Join(' ', strings)}";
            case MilterResponse.DeleteRecipient: return $"delete recipient {Field(strings, -1)}";
            case MilterResponse.ChangeFrom: return $"change sender {string.Join(' ', strings)}";
            case MilterResponse.ReplaceBody: return $"replace body ({data.Length} bytes)";
            default: return $"'{(char)kind}' ({data.Length} bytes)";
        }
    }

    private static string Field(IReadOnlyList<string> s, int start) =>
        start < 0 ? (s.Count > 0 ? s[0] : "") : s.Count > start + 1 ? $"{s[start]}:{(s[start + 1].StartsWith(' ') ? "" : " ")}{s[start + 1]}" : string.Join(' ', s);

    /// <summary>Reply strings for the report: the milter writes UTF-8 (an SMTPUTF8 identity, a U-label), shown as such.</summary>
    private static List<string> Strings(ReadOnlySpan<byte> data)
    {
        var list = new List<string>();
        while (data.Length > 0)
        {
            var nul = data.IndexOf((byte)0);
            if (nul < 0) { list.Add(Encoding.UTF8.GetString(data)); break; }
            list.Add(Encoding.UTF8.GetString(data[..nul]));
            data = data[(nul + 1)..];
        }
        return list;
    }

    private static string Text(byte[] data) => Encoding.UTF8.GetString(data).TrimEnd('\0');

    private static byte[] CString(string s) => [.. Encoding.Latin1.GetBytes(s), 0];

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
