using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Milters.Abstractions;
using Milters.Host.Milter;
using Milters.Host.Pipeline;
using Milters.Testing.Milter;
using static Milters.Testing.Milter.MilterFrames;

namespace Milters.Host.Tests.Milter;

/// <summary>
/// The handler asks the connection for an immediate ACK (TCP_QUICKACK) only after a read it answered with
/// nothing: an MTA writing with Nagle on (Postfix) holds its next frame until then, while a reply carries
/// the ACK by itself and an extra ACK would be a wasted packet.
/// </summary>
public class AcknowledgeNowTests
{
    /// <summary>One read per chunk; records "write" and "ack" in the order they happen.</summary>
    private sealed class RecordingConnection(params byte[][] reads) : MtaStream, IAcknowledgeNow
    {
        private int next;
        public List<string> Events { get; } = [];
        public void AcknowledgeNow() => Events.Add("ack");
        public override int Read(Span<byte> buffer)
        {
            if (next == reads.Length) return 0;
            var chunk = reads[next++];
            chunk.CopyTo(buffer);
            Events.Add("read");
            return chunk.Length;
        }
        public override void Write(ReadOnlySpan<byte> buffer) => Events.Add("write");
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
