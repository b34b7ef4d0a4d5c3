using System.Buffers.Binary;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Milters.Abstractions;
using Milters.Host.Milter;
using Milters.Host.Pipeline;

namespace Milters.Host.Tests.Milter;

/// <summary>
/// The handler asks the connection for an immediate ACK (TCP_QUICKACK) only after a read it answered with
/// nothing: an MTA writing with Nagle on (Postfix) holds its next frame until then, while a reply carries
/// the ACK by itself and an extra ACK would be a wasted packet.
/// </summary>
public class AcknowledgeNowTests
{
    private static byte[] Frame(char command, byte[] data)
    {
        var f = new byte[5 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(f, data.Length + 1);
        f[4] = (byte)command;
        data.CopyTo(f, 5);
        return f;
    }

    /// <summary>One read per chunk; records "write" and "ack" in the order they happen.</summary>
    private sealed class RecordingConnection(params byte[][] reads) : Stream, IAcknowledgeNow
    {
        private int next;
        public List<string> Events { get; } = [];
        public void AcknowledgeNow() => Events.Add("ack");
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            if (next == reads.Length) return 0;
            var chunk = reads[next++];
            chunk.CopyTo(buffer);
            Events.Add("read");
            return chunk.Length;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));
        public override void Write(byte[] buffer, int offset, int count) => Events.Add("write");
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Events.Add("write");
            return ValueTask.CompletedTask;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private sealed class FixedPlugins(PluginSet set) : IPluginSetProvider
    {
        public PluginSet Current => set;
    }

    [Fact]
    public async Task Only_reads_without_a_reply_are_acknowledged_at_once()
    {
        // Connect and HELO answered (no ObserveOnly), so only the macro-only read goes unanswered.
        var plugin = new ScriptedPlugin("P", PluginNeeds.Connect | PluginNeeds.Helo);
        var set = new PluginSet([new LoadedPlugin("P", plugin, OnErrorAction.TempFail)], new ServiceCollection().BuildServiceProvider());
        var handler = new MilterConnectionHandler(new FixedPlugins(set), new ConfigurationBuilder().Build(), new LogCapture());
        var connection = new RecordingConnection(
            Frame('O', Convert.FromHexString("00000006000001ff001fffff")),          // answered: SMFIC_OPTNEG
            Frame('D', "Cj\0mx.example.com\0"u8.ToArray()),                         // macros: never answered
            Frame('C', [.. "client.example.net\0"u8, (byte)'4', 0x9c, 0x40, .. "192.0.2.1\0"u8]),   // answered: connect (port 40000)
            Frame('H', "client.example.net\0"u8.ToArray()));                     // answered: HELO

        await handler.HandleAsync(connection, "test", CancellationToken.None);

        Assert.Equal(["read", "write", "read", "ack", "read", "write", "read", "write"], connection.Events);
    }
}
