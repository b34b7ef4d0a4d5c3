using Milters.LoadGen.Protocol;

namespace Milters.LoadGen.Messages;

/// <summary>
/// Walks a message body chunk by chunk, copying from the shared <see cref="BodyPattern"/> straight
/// into the outgoing frame: a unique first line, then the pattern repeated, then a closing CRLF.
/// </summary>
internal struct BodyCursor(TestMessage message)
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();
    private long _position;

    public readonly bool Done => _position >= message.BodyLength;

    /// <summary>Appends up to <paramref name="max"/> body bytes to the open frame; returns how many.</summary>
    public int WriteChunk(FrameWriter writer, int max)
    {
        long total = message.BodyLength;
        byte[] first = message.FirstBodyLine;
        byte[] pattern = BodyPattern.Bytes;
        int written = 0;
        while (written < max && _position < total)
        {
            int room = max - written;
            ReadOnlySpan<byte> piece;
            if (_position < first.Length)
                piece = first.AsSpan((int)_position);
            else if (_position >= total - 2)
                piece = Crlf.AsSpan((int)(_position - (total - 2)));
            else
            {
                int offset = (int)((_position - first.Length) % pattern.Length);
                long untilEnd = total - 2 - _position;
                piece = pattern.AsSpan(offset, (int)Math.Min(pattern.Length - offset, untilEnd));
            }
            if (piece.Length > room) piece = piece[..room];
            writer.Bytes(piece);
            written += piece.Length;
            _position += piece.Length;
        }
        return written;
    }
}
