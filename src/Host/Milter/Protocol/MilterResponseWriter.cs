using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Milters.Host.Milter.Protocol;

/// <summary>
/// Writes reply and modification frames into a buffer. Several frames written to one buffer leave in one
/// socket write, which is how the session answers end of message (no Nagle / delayed-ACK stall).
/// </summary>
public static class MilterResponseWriter
{
    private static readonly Encoding Utf8 = new UTF8Encoding(false);

    public static void WriteEmpty(IBufferWriter<byte> writer, MilterResponse code)
    {
        var span = writer.GetSpan(5);
        BinaryPrimitives.WriteInt32BigEndian(span, 1);
        span[4] = (byte)code;
        writer.Advance(5);
    }

    public static void WriteContinue(IBufferWriter<byte> w) => WriteEmpty(w, MilterResponse.Continue);     // SMFIR_CONTINUE
    public static void WriteAccept(IBufferWriter<byte> w) => WriteEmpty(w, MilterResponse.Accept);         // SMFIR_ACCEPT
    public static void WriteReject(IBufferWriter<byte> w) => WriteEmpty(w, MilterResponse.Reject);         // SMFIR_REJECT
    public static void WriteTempFail(IBufferWriter<byte> w) => WriteEmpty(w, MilterResponse.TempFail);     // SMFIR_TEMPFAIL
    public static void WriteDiscard(IBufferWriter<byte> w) => WriteEmpty(w, MilterResponse.Discard);       // SMFIR_DISCARD
    public static void WriteSkip(IBufferWriter<byte> w) => WriteEmpty(w, MilterResponse.Skip);             // SMFIR_SKIP
    public static void WriteProgress(IBufferWriter<byte> w) => WriteEmpty(w, MilterResponse.Progress);     // SMFIR_PROGRESS

    /// <summary>SMFIR_REPLYCODE: "xyz[ x.y.z] text\0".</summary>
    public static void WriteReplyCode(IBufferWriter<byte> w, string reply) => WriteStrings(w, MilterResponse.ReplyCode, null, reply, null);

    /// <summary>SMFIR_ADDHEADER: name\0value\0.</summary>
    public static void WriteAddHeader(IBufferWriter<byte> w, string name, ReadOnlySpan<char> value) =>
        WriteStrings(w, MilterResponse.AddHeader, null, name, value, hasSecond: true);

    /// <summary>SMFIR_INSHEADER: index, name\0value\0.</summary>
    public static void WriteInsertHeader(IBufferWriter<byte> w, int index, string name, ReadOnlySpan<char> value) =>
        WriteStrings(w, MilterResponse.InsertHeader, index, name, value, hasSecond: true);

    /// <summary>SMFIR_CHGHEADER: occurrence (1-based), name\0value\0; an empty value deletes the header.</summary>
    public static void WriteChangeHeader(IBufferWriter<byte> w, int occurrence, string name, ReadOnlySpan<char> value) =>
        WriteStrings(w, MilterResponse.ChangeHeader, occurrence, name, value, hasSecond: true);

    /// <summary>SMFIR_ADDRCPT: rcpt\0.</summary>
    public static void WriteAddRecipient(IBufferWriter<byte> w, string recipient) =>
        WriteStrings(w, MilterResponse.AddRecipient, null, recipient, null);

    /// <summary>SMFIR_ADDRCPT_PAR: rcpt\0args\0.</summary>
    public static void WriteAddRecipientWithArgs(IBufferWriter<byte> w, string recipient, string arguments) =>
        WriteStrings(w, MilterResponse.AddRecipientWithArgs, null, recipient, arguments);

    /// <summary>SMFIR_DELRCPT: rcpt\0.</summary>
    public static void WriteDeleteRecipient(IBufferWriter<byte> w, string recipient) =>
        WriteStrings(w, MilterResponse.DeleteRecipient, null, recipient, null);

    /// <summary>SMFIR_CHGFROM: sender\0[args\0].</summary>
    public static void WriteChangeFrom(IBufferWriter<byte> w, string sender, string? arguments) =>
        WriteStrings(w, MilterResponse.ChangeFrom, null, sender, arguments);

    /// <summary>SMFIR_QUARANTINE: reason\0.</summary>
    public static void WriteQuarantine(IBufferWriter<byte> w, string reason) =>
        WriteStrings(w, MilterResponse.Quarantine, null, reason, null);

    /// <summary>SMFIR_REPLBODY in chunks of at most MILTER_CHUNK_SIZE (the MTA appends them in order).</summary>
    public static void WriteReplaceBody(IBufferWriter<byte> w, ReadOnlySpan<byte> body)
    {
        do
        {
            var chunk = body[..Math.Min(body.Length, MilterLimits.ChunkSize)];
            var span = w.GetSpan(5 + chunk.Length);
            BinaryPrimitives.WriteInt32BigEndian(span, chunk.Length + 1);
            span[4] = (byte)MilterResponse.ReplaceBody;
            chunk.CopyTo(span[5..]);
            w.Advance(5 + chunk.Length);
            body = body[chunk.Length..];
        }
        while (!body.IsEmpty);
    }

    /// <summary>The SMFIC_OPTNEG reply: version, actions, protocol flags.</summary>
    public static void WriteOptionNegotiation(IBufferWriter<byte> w, OptionNegotiation options)
    {
        var span = w.GetSpan(5 + MilterLimits.OptionLength);
        BinaryPrimitives.WriteInt32BigEndian(span, 1 + MilterLimits.OptionLength);
        span[4] = (byte)MilterResponse.OptionNegotiation;
        BinaryPrimitives.WriteUInt32BigEndian(span[5..], options.Version);
        BinaryPrimitives.WriteUInt32BigEndian(span[9..], (uint)options.Actions);
        BinaryPrimitives.WriteUInt32BigEndian(span[13..], (uint)options.Protocol);
        w.Advance(5 + MilterLimits.OptionLength);
    }

    /// <summary>[index] first\0[second\0]: the layout every string-carrying reply shares.</summary>
    private static void WriteStrings(IBufferWriter<byte> w, MilterResponse code, int? index, string first, string? second) =>
        WriteStrings(w, code, index, first, second, hasSecond: second is not null);

    private static void WriteStrings(IBufferWriter<byte> w, MilterResponse code, int? index, string first, ReadOnlySpan<char> second, bool hasSecond)
    {
        int firstBytes = Utf8.GetByteCount(first);
        int secondBytes = hasSecond ? Utf8.GetByteCount(second) + 1 : 0;
        int length = 1 + (index is null ? 0 : 4) + firstBytes + 1 + secondBytes;
        var span = w.GetSpan(4 + length);
        BinaryPrimitives.WriteInt32BigEndian(span, length);
        span[4] = (byte)code;
        int pos = 5;
        if (index is int i)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[pos..], i);
            pos += 4;
        }
        pos += Utf8.GetBytes(first, span[pos..]);
        span[pos++] = 0;
        if (hasSecond)
        {
            pos += Utf8.GetBytes(second, span[pos..]);
            span[pos++] = 0;
        }
        w.Advance(pos);
    }
}
