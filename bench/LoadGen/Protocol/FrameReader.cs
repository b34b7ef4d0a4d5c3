using System.Buffers.Binary;
using System.Net.Sockets;

namespace Milters.LoadGen.Protocol;

/// <summary>Reads length-prefixed milter frames from a socket through one reusable buffer.</summary>
internal sealed class FrameReader
{
    private readonly Socket _socket;
    private readonly int _maxFrame;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    public FrameReader(Socket socket, int maxFrame)
    {
        _socket = socket;
        _maxFrame = maxFrame;
    }

    public async ValueTask<Frame> ReadAsync(CancellationToken cancel)
    {
        await FillAsync(4, cancel).ConfigureAwait(false);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start));
        // Check the announced length before allocating anything for it.
        if (length == 0 || length > (uint)_maxFrame)
            throw new MilterProtocolException($"filter sent a frame of {length} bytes (limit {_maxFrame})");
        await FillAsync(4 + (int)length, cancel).ConfigureAwait(false);
        byte command = _buffer[_start + 4];
        var data = _buffer.AsMemory(_start + 5, (int)length - 1);
        _start += 4 + (int)length;
        return new Frame(command, data);
    }

    private async ValueTask FillAsync(int needed, CancellationToken cancel)
    {
        if (_end - _start >= needed) return;
        if (_buffer.Length - _start < needed)
        {
            // Move the unread tail to the front (and grow if one frame is larger than the buffer).
            byte[] target = needed > _buffer.Length ? new byte[Math.Max(needed, _buffer.Length * 2)] : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, _end - _start);
            _end -= _start;
            _start = 0;
            _buffer = target;
        }
        while (_end - _start < needed)
        {
            int read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancel).ConfigureAwait(false);
            if (read == 0) throw new MilterProtocolException("filter closed the connection");
            _end += read;
        }
    }
}
