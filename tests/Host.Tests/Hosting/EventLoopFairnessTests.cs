using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.Host.Hosting;
using Milters.Host.Milter;
using Milters.Host.Pipeline;
using Milters.Host.Tests.Milter;
using Milters.Testing.Milter;
using static Milters.Testing.Milter.MilterFrames;
using static Milters.Testing.Milter.PipelinedConversation;

namespace Milters.Host.Tests.Hosting;

/// <summary>
/// A connection whose MTA always has its next command ready must not keep its event loop from the others: reads are
/// tried at once, and before the loops took turns one persistent connection at saturation waited up to 716 ms for its
/// end-of-message reply while its neighbours ran (docs/BENCHMARKS.md 0n).
/// </summary>
[SupportedOSPlatform("linux")]
[Collection(FairnessCollection.Name)]
public sealed class EventLoopFairnessTests
{
    [Fact]
    public async Task A_connection_that_never_runs_dry_does_not_starve_another_on_its_loop()
    {
        const int messages = 4000;
        var (greedyEndsWhenServed, _) = await GreedyAndNeighbourAsync(messages, endOfMessageWork: TimeSpan.Zero);
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
        var (_, longestWait) = await GreedyAndNeighbourAsync(1000, endOfMessageWork: TimeSpan.FromMilliseconds(1));
        Assert.True(longestWait < 30,
            $"{longestWait} greedy messages were answered while one of the neighbour's waited");
    }

    /// <summary>
    /// One loop; a greedy MTA writes <paramref name="messages"/> messages without waiting and reads its replies as they
    /// come; once 50 are answered a neighbour sends its messages one at a time, as an MTA does. The greedy connection's
    /// answered messages when the neighbour's first was answered, and the most it answered while one of the neighbour's
    /// waited (one wait can fall near the end of a greedy read buffer by chance: the worst of several cannot).
    /// </summary>
    private static async Task<(int AtFirstAnswer, int LongestWait)> GreedyAndNeighbourAsync(int messages, TimeSpan endOfMessageWork)
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
                var reader = new RawReplyReader(greedy, timeout.Token);
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
            var neighbourReplies = new RawReplyReader(neighbour, timeout.Token);
            var answered = 0;
            int atFirstAnswer = 0, longestWait = 0;
            await neighbour.SendAsync(Session(), SocketFlags.None, timeout.Token);
            for (var i = 0; i < 3; i++) answered += await neighbourReplies.NextAsync() is null ? 0 : 1;
            for (var m = 0; m < NeighbourMessages; m++)
            {
                var atSend = Volatile.Read(ref greedyEnds);
                await neighbour.SendAsync(Message(), SocketFlags.None, timeout.Token);
                for (var i = 0; i < ExpectedRepliesPerMessage; i++) answered += await neighbourReplies.NextAsync() is null ? 0 : 1;
                var atAnswer = Volatile.Read(ref greedyEnds);
                if (m == 0) atFirstAnswer = atAnswer;
                longestWait = Math.Max(longestWait, atAnswer - atSend);
            }
            await neighbour.SendAsync(Frame('Q', []), SocketFlags.None, timeout.Token);
            Assert.Null(await neighbourReplies.NextAsync());

            await Task.WhenAll(greedyWriter, greedyReader).WaitAsync(timeout.Token);
            Assert.Equal(ExpectedReplies, answered);
            Assert.Equal(3 + ExpectedRepliesPerMessage * messages, replies);
            Assert.Empty(logs.AtLeast(LogLevel.Error));
            return (atFirstAnswer, longestWait);
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
            listener.Dispose();
        }
    }

    /// <summary>OPTNEG, CONNECT, HELO: replies 'O', 'c', 'c'; a message: MAIL, RCPT, header, EOH, body, EOM, each 'c'.</summary>
    private const int ExpectedRepliesPerMessage = 6;
    private const int NeighbourMessages = 4;
    private const int ExpectedReplies = 3 + ExpectedRepliesPerMessage * NeighbourMessages;

    private sealed class OnePlugin(IMilterPlugin plugin) : IPluginSetProvider
    {
        public PluginSet Current { get; } = new([new LoadedPlugin(plugin.Name, plugin, OnErrorAction.TempFail)], new ServiceCollection().BuildServiceProvider());
    }
}
