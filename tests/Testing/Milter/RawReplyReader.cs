using System.Buffers.Binary;
using System.Net.Sockets;

namespace Milters.Testing.Milter;

/// <summary>
/// Reply frames (length, letter, data) read straight off a socket, buffered, for tests that write the wire bytes
/// themselves (<see cref="MilterFrames"/>) and may have many replies in flight. Null at the end of the stream.
/// </summary>
public sealed class RawReplyReader(Socket socket, CancellationToken ct)
{
    private readonly byte[] buffer = new byte[64 * 1024];
    private int start, end;

    public async Task<(char Letter, byte[] Data)?> NextAsync()
    {
        if (!await FillAsync(5)) return null;
        var length = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(start));
        if (length < 1 || length > buffer.Length - 4) throw new InvalidDataException($"reply frame length {length}");
        if (!await FillAsync(4 + length)) throw new InvalidDataException("connection closed inside a reply frame");
        var reply = ((char)buffer[start + 4], buffer.AsSpan(start + 5, length - 1).ToArray());
        start += 4 + length;
        return reply;
    }

    public async Task<List<(char Letter, byte[] Data)>> ReadAllAsync()
    {
        var all = new List<(char, byte[])>();
        while (await NextAsync() is { } reply) all.Add(reply);
        return all;
    }

    private async Task<bool> FillAsync(int count)
    {
        while (end - start < count)
        {
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            var n = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, ct);
            if (n == 0)
            {
                if (end == start) return false;
                throw new InvalidDataException("connection closed inside a reply frame");
            }
            end += n;
        }
        return true;
    }
}
