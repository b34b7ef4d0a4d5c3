using System.Buffers.Binary;

namespace Milters.Testing.Milter;

/// <summary>Raw milter frames for tests that write the wire bytes themselves (length, command letter, data).</summary>
public static class MilterFrames
{
    public static byte[] Frame(char command, byte[] data)
    {
        var frame = new byte[5 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, data.Length + 1);
        frame[4] = (byte)command;
        data.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>A 32-bit big-endian field (SMFIC_OPTNEG's version, actions, protocol).</summary>
    public static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>A NUL-terminated ASCII string, as milter payloads carry them.</summary>
    public static byte[] Cstr(string text) => [.. System.Text.Encoding.ASCII.GetBytes(text), 0];
}
