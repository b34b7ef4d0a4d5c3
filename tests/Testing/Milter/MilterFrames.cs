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
}
