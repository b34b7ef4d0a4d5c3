using System.Buffers;

namespace Milters.Host.Milter.Protocol;

/// <summary>Splits a byte stream into frames: 4-byte big-endian length (command byte included), command, data.</summary>
public static class MilterFrameReader
{
    /// <summary>
    /// Reads one frame from the front of <paramref name="buffer"/> and slices it off. Returns false when
    /// more bytes are needed (the buffer is left as it was). Throws <see cref="MilterProtocolException"/>
    /// as soon as the length prefix is known to be wrong, before any payload is awaited or allocated. The
    /// command byte is not judged here (the session refuses unknown commands), so this also frames replies.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxFrame, out MilterFrame frame)
    {
        frame = default;
        if (buffer.Length < MilterLimits.LengthBytes) return false;

        var reader = new SequenceReader<byte>(buffer);
        reader.TryReadBigEndian(out int signedLength);
        uint length = (uint)signedLength;
        if (length == 0)
            throw new MilterProtocolException("frame of length 0 (a frame holds at least the command byte)");
        if (length > (uint)maxFrame)
            throw new MilterProtocolException($"frame length {length} over the maximum of {maxFrame}");

        long total = MilterLimits.LengthBytes + (long)length;
        if (buffer.Length < total) return false;

        var code = buffer.Slice(MilterLimits.LengthBytes, 1).FirstSpan[0];
        frame = new MilterFrame((MilterCommand)code, buffer.Slice(MilterLimits.LengthBytes + 1, length - 1));
        buffer = buffer.Slice(total);
        return true;
    }
}
