using System.Buffers.Binary;
using System.Text;

namespace Milters.LoadGen.Protocol;

/// <summary>
/// Builds milter frames (4-byte big-endian length incl. the command byte, command, data) into one
/// growable buffer, so several commands that need no reply can leave in one write.
/// </summary>
internal sealed class FrameWriter
{
    private byte[] _buffer;
    private int _length;
    private int _frameStart = -1;

    public FrameWriter(int initialCapacity = 80 * 1024) => _buffer = new byte[initialCapacity];

    public int Length => _length;

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    public void Clear() => _length = 0;

    public void Begin(byte command)
    {
        if (_frameStart >= 0) throw new InvalidOperationException("frame already open");
        Ensure(5);
        _frameStart = _length;
        _length += 4;
        _buffer[_length++] = command;
    }

    public void End()
    {
        if (_frameStart < 0) throw new InvalidOperationException("no open frame");
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_frameStart), (uint)(_length - _frameStart - 4));
        _frameStart = -1;
    }

    public void Frame(byte command)
    {
        Begin(command);
        End();
    }

    public void Bytes(ReadOnlySpan<byte> data)
    {
        Ensure(data.Length);
        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
    }

    public void Byte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void UInt16(ushort value)
    {
        Ensure(2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(_length), value);
        _length += 2;
    }

    public void UInt32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    /// <summary>A NUL-terminated string, as every text argument of the protocol is.</summary>
    public void CString(string value)
    {
        Ensure(Encoding.UTF8.GetMaxByteCount(value.Length) + 1);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
        _buffer[_length++] = 0;
    }

    private void Ensure(int more)
    {
        if (_length + more <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
    }
}
