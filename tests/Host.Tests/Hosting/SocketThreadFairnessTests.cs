using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Milters.Testing.Milter;
using Milters.Testing.Peers;
using static Milters.Testing.Milter.MilterFrames;
using static Milters.Testing.Milter.PipelinedConversation;

namespace Milters.Host.Tests.Hosting;

/// <summary>
/// On .NET's sockets (Listen:EventLoops 0) a conversation starts on the accept loop's thread and resumes on a socket
/// thread shared with other connections (Listen:InlineCompletions, on by default). An MTA that writes whole messages
/// ahead never lets a read wait: before conversations took turns there, such a client kept its thread for as long as it
/// wrote, and a second connection was never answered. The built process, as an administrator runs it: the socket
/// threads' inline completions are a process-wide setting the runtime reads once.
/// </summary>
[Collection(FairnessCollection.Name)]
public sealed class SocketThreadFairnessTests
{
    /// <summary>
    /// Which thread the greedy conversation holds depends on a race (whether its first read, on the accepting thread, finds
    /// its bytes there already, the case in which nobody else was ever accepted): several rounds, so that a build without
    /// turns fails, not only sometimes.
    /// </summary>
    private const int Rounds = 3;

    [Fact]
    public async Task A_client_writing_whole_messages_ahead_does_not_keep_others_waiting_on_dotnet_sockets()
    {
        var options = new MilterProcessOptions
        {
            Config = new JsonObject
            {
                ["Listen"] = new JsonObject { ["EventLoops"] = 0 },
                ["Plugins"] = new JsonObject { ["Order"] = new JsonArray("HeaderStamp") },
                // End of message as costly as a signature: the filter, not the client, is the slower side.
                ["HeaderStamp"] = new JsonObject { ["BusyMicroseconds"] = 300 },
                ["Dns"] = new JsonObject { ["Servers"] = new JsonArray("127.0.0.1:1") },
            },
        };
        options.TestPlugins.Add("HeaderStamp");
        using var milter = MilterProcess.Start(options);
        var server = new IPEndPoint(IPAddress.Loopback, milter.Socket.Port!.Value);
        for (var round = 1; round <= Rounds; round++)
            await GreedyAndNeighbourAsync(server, round);
        Assert.DoesNotContain("internal error", milter.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A greedy client writes hundreds of messages a write, without waiting for replies (the filter's reads never wait),
    /// its first write at once (its first read, on the accepting thread, need not wait either); once it is under way a
    /// neighbour sends one whole conversation and must have every answer while the greedy client still writes.
    /// </summary>
    private static async Task GreedyAndNeighbourAsync(IPEndPoint server, int round)
    {
        using var run = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var batch = Enumerable.Repeat(Message(), 500).SelectMany(m => m).ToArray();
        using var greedy = await ConnectAsync(server);
        greedy.Send([.. Session(), .. batch]);
        var greedyReplies = 0;
        var greedyUnderWay = new TaskCompletionSource();
        var greedyReader = Task.Run(async () =>
        {
            var reader = new RawReplyReader(greedy, run.Token);
            while (await reader.NextAsync() is not null)
                if (Interlocked.Increment(ref greedyReplies) == 300) greedyUnderWay.TrySetResult();
        });
        using var neighbourDone = CancellationTokenSource.CreateLinkedTokenSource(run.Token);
        var greedyWriter = Task.Run(async () =>
        {
            while (!neighbourDone.IsCancellationRequested)
                await greedy.SendAsync(batch, SocketFlags.None, neighbourDone.Token);
        });

        try
        {
            await greedyUnderWay.Task.WaitAsync(run.Token);
            using var neighbour = await ConnectAsync(server);
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(run.Token);
            patience.CancelAfter(TimeSpan.FromSeconds(30));
            var greedyAtSend = Volatile.Read(ref greedyReplies);
            List<(char Letter, byte[] Data)> answers = [];
            try
            {
                byte[] conversation = [.. Session(), .. Message(), .. Frame('Q', [])];
                await neighbour.SendAsync(conversation, SocketFlags.None, patience.Token);
                answers = await new RawReplyReader(neighbour, patience.Token).ReadAllAsync();
            }
            catch (OperationCanceledException) when (patience.IsCancellationRequested && !run.IsCancellationRequested)
            {
                Assert.Fail($"round {round}: a second connection was not answered within 30 s while a client wrote messages ahead " +
                    $"({Volatile.Read(ref greedyReplies) - greedyAtSend} replies to it meanwhile)");
            }
            var greedyWhileWaiting = Volatile.Read(ref greedyReplies) - greedyAtSend;

            Assert.False(greedyWriter.IsCompleted, $"round {round}: the greedy client had stopped before the neighbour was answered");
            // O, then c for CONNECT, HELO, MAIL, RCPT, the header, EOH and the body; end of message: HeaderStamp's h, then c.
            Assert.Equal("Occccccchc", new string(answers.Select(a => a.Letter).ToArray()));
            // Seven replies a greedy message: some while the neighbour's conversation waited its turns, not a thread's worth
            // of them (hundreds of thousands, or all, without turns).
            Assert.True(greedyWhileWaiting < 7 * 1000, $"round {round}: {greedyWhileWaiting} replies went to the greedy client while the neighbour waited");
        }
        finally
        {
            // Reset, not QUIT: the filter would otherwise work through every message still buffered first.
            neighbourDone.Cancel();
            greedy.LingerState = new LingerOption(true, 0);
            greedy.Close();
            await Task.WhenAll(greedyWriter, greedyReader).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
