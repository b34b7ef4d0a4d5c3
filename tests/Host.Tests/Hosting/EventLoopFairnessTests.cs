using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.Host.Hosting;
using Milters.Host.Milter;
using Milters.Host.Pipeline;
using Milters.Host.Tests.Milter;
using static Milters.Testing.Milter.MilterFrames;

namespace Milters.Host.Tests.Hosting;

/// <summary>
/// A connection whose MTA always has its next command ready must not keep its event loop from the others: reads are
/// tried at once, and before the loops took turns one persistent connection at saturation waited up to 716 ms for its
/// end-of-message reply while its neighbours ran (docs/BENCHMARKS.md 0n).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class EventLoopFairnessTests
{
    [Fact]
    public async Task A_connection_that_never_runs_dry_does_not_starve_another_on_its_loop()
    {
        const int messages = 4000;
        var (_, greedyEndsWhenServed) = await GreedyAndNeighbourAsync(messages, endOfMessageWork: TimeSpan.Zero);
        Assert.True(greedyEndsWhenServed < messages,
            $"the neighbour was answered only after the greedy connection's last reply ({greedyEndsWhenServed} of {messages} messages)");
    }

    /// <summary>
    /// The greedy client's whole messages sit in the connection's read buffer already, so no read of it ever waits; with
    /// end of message as costly as a signature, a 16 KB buffer of small messages held the loop ~60 ms.
    /// </summary>
    [Fact]
    public async Task A_client_writing_whole_messages_ahead_leaves_its_loop_after_a_turn()
    {
        var (atSend, atAnswer) = await GreedyAndNeighbourAsync(600, endOfMessageWork: TimeSpan.FromMilliseconds(1));
        Assert.True(atAnswer - atSend < 30,
            $"{atAnswer - atSend} greedy messages were answered while the neighbour's one waited");
    }

    /// <summary>
    /// One loop; a greedy MTA writes <paramref name="messages"/> messages without waiting and reads its replies as they
    /// come; once 50 are answered a neighbour sends one message. The greedy connection's answered messages when the
    /// neighbour sent, and when it was answered.
    /// </summary>
    private static async Task<(int AtSend, int AtAnswer)> GreedyAndNeighbourAsync(int messages, TimeSpan endOfMessageWork)
    {
        var plugin = new ScriptedPlugin("observer", PluginNeeds.Headers | PluginNeeds.Body)
        {
            // Holds the thread as RSA does.
            OnEndOfMessage = _ =>
            {
                var until = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(endOfMessageWork.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
                while (System.Diagnostics.Stopwatch.GetTimestamp() < until) { }
                return Verdict.Continue;
            },
        };
        var logs = new LogCapture();
        var handler = new MilterConnectionHandler(new OnePlugin(plugin), new ConfigurationBuilder().Build(), logs);
        var services = new ServiceCollection().AddSingleton<IMilterConnectionHandler>(handler).BuildServiceProvider();
        var spec = new SocketSpec(SocketKind.Inet, "127.0.0.1", 0, null, "inet:0@127.0.0.1");
        var options = new ListenOptions(spec, (UnixFileMode)0x1B0, ClientAllowList.LoopbackOnly, 64, TimeSpan.FromSeconds(10)) { EventLoops = 1 };
        var listener = new MilterListener(options, services, logs.CreateLogger<MilterListener>());
        listener.Bind();
        await listener.StartAsync(CancellationToken.None);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var server = listener.LocalEndPoint!;

            using var greedy = await ConnectAsync(server);
            var greedyEnds = 0;
            var replies = 0;
            var firstReplies = new TaskCompletionSource();
            var greedyReader = Task.Run(async () =>
            {
                var reader = new Replies(greedy, timeout.Token);
                while (await reader.NextAsync() is not null)
                {
                    // Every reply is 'c'; the sixth of each message answers its end of message.
                    if (++replies <= 3 || (replies - 3) % ExpectedRepliesPerMessage != 0) continue;
                    if (Interlocked.Increment(ref greedyEnds) == 50) firstReplies.TrySetResult();
                }
            });
            var greedyWriter = Task.Run(async () =>
            {
                await greedy.SendAsync(Session(), SocketFlags.None, timeout.Token);
                var message = Message();
                for (var i = 0; i < messages; i++) await greedy.SendAsync(message, SocketFlags.None, timeout.Token);
                await greedy.SendAsync(Frame('Q', []), SocketFlags.None, timeout.Token);
            });

            await firstReplies.Task.WaitAsync(timeout.Token);
            using var neighbour = await ConnectAsync(server);
            byte[] conversation = [.. Session(), .. Message(), .. Frame('Q', [])];
            var atSend = Volatile.Read(ref greedyEnds);
            await neighbour.SendAsync(conversation, SocketFlags.None, timeout.Token);
            var neighbourReplies = new Replies(neighbour, timeout.Token);
            var answered = 0;
            while (await neighbourReplies.NextAsync() is not null) answered++;
            var atAnswer = Volatile.Read(ref greedyEnds);

            await Task.WhenAll(greedyWriter, greedyReader).WaitAsync(timeout.Token);
            Assert.Equal(ExpectedReplies, answered);
            Assert.Equal(3 + ExpectedRepliesPerMessage * messages, replies);
            Assert.Empty(logs.AtLeast(LogLevel.Error));
            return (atSend, atAnswer);
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
            listener.Dispose();
        }
    }

    /// <summary>OPTNEG, CONNECT, HELO: replies 'O', 'c', 'c'; a message: MAIL, RCPT, header, EOH, body, EOM, each 'c'.</summary>
    private const int ExpectedRepliesPerMessage = 6;
    private const int ExpectedReplies = 3 + ExpectedRepliesPerMessage;

    private static async Task<Socket> ConnectAsync(EndPoint server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server);
        return socket;
    }

    private static byte[] Session() =>
    [
        // Version 6, every action, of the protocol flags only SMFIP_HDR_LEADSPC: every command is sent and answered.
        .. Frame('O', [.. U32(6), .. U32(0x1ff), .. U32(0x100000)]),
        .. Frame('C', [.. Cstr("client.example.org"), (byte)'4', 0x1f, 0x90, .. Cstr("192.0.2.1")]),
        .. Frame('H', Cstr("client.example.org")),
    ];

    private static byte[] Message() =>
    [
        .. Frame('M', Cstr("<a@example.org>")),
        .. Frame('R', Cstr("<b@example.net>")),
        .. Frame('L', [.. Cstr("Subject"), .. Cstr(" hello")]),
        .. Frame('N', []),
        .. Frame('B', Encoding.ASCII.GetBytes("body\r\n")),
        .. Frame('E', []),
    ];

    private sealed class OnePlugin(IMilterPlugin plugin) : IPluginSetProvider
    {
        public PluginSet Current { get; } = new([new LoadedPlugin(plugin.Name, plugin, OnErrorAction.TempFail)], new ServiceCollection().BuildServiceProvider());
    }

    /// <summary>Reply letters off a socket, one frame at a time; null at the end of the stream.</summary>
    private sealed class Replies(Socket socket, CancellationToken ct)
    {
        private readonly byte[] buffer = new byte[64 * 1024];
        private int start, end;

        public async Task<char?> NextAsync()
        {
            if (!await FillAsync(5)) return null;
            var length = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(start));
            if (!await FillAsync(4 + length)) throw new InvalidDataException("connection closed inside a reply");
            var letter = (char)buffer[start + 4];
            start += 4 + length;
            return letter;
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
                    if (end - start == 0) return false;
                    throw new InvalidDataException("connection closed inside a reply");
                }
                end += n;
            }
            return true;
        }
    }
}
