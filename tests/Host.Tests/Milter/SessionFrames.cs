using System.Buffers;
using System.Buffers.Binary;
using Milters.Host.Milter.Protocol;
using Milters.Host.Milter.Session;

namespace Milters.Host.Tests.Milter;

/// <summary>Frames handed straight to a <see cref="MilterSession"/>, without a socket: what the handler does per frame.</summary>
internal static class SessionFrames
{
    public static ReadOnlySequence<byte> Frame(char command, ReadOnlySpan<byte> data)
    {
        var bytes = new byte[5 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, data.Length + 1);
        bytes[4] = (byte)command;
        data.CopyTo(bytes.AsSpan(5));
        return new ReadOnlySequence<byte>(bytes);
    }

    /// <summary>One whole frame through the session; its replies go to <paramref name="replies"/>; false: the session ends.</summary>
    public static async Task<bool> SendAsync(MilterSession session, ReadOnlySequence<byte> bytes, IBufferWriter<byte> replies)
    {
        Assert.True(MilterFrameReader.TryRead(ref bytes, 1 << 20, out var frame));
        return await session.HandleAsync(frame, replies);
    }
}
