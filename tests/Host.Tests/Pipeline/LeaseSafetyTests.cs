using System.Buffers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Milters.Abstractions;
using Milters.Host.Milter.Session;
using Milters.Host.Pipeline;
using Milters.Host.Tests.Milter;

namespace Milters.Host.Tests.Pipeline;

/// <summary>
/// The plugin-set leases and the abort/close deadlines under the paths a concurrency review walked: nothing closes a
/// set under a running filter, no lease leaks or is given back twice, and what an abandoned call holds cannot reach
/// the next message or conversation.
/// </summary>
public class LeaseSafetyTests
{
    private readonly LogCapture logs = new();

    private static PluginSet Set(params IMilterPlugin[] plugins) =>
        new(plugins.Select(p => new LoadedPlugin(p.Name, p, OnErrorAction.Continue)).ToList(), new ServiceCollection().BuildServiceProvider());

    private static ScriptedPlugin P(string name) => new(name, PluginNeeds.AllStages);

    private static async Task<bool> EventuallyAsync(Func<bool> condition, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(10);
        return condition();
    }

    private static Task<bool> Send(MilterSession session, char command, ReadOnlySpan<byte> data) =>
        SessionFrames.SendAsync(session, SessionFrames.Frame(command, data), new ArrayBufferWriter<byte>());

    private static async Task StartMessage(MilterSession session)
    {
        await Send(session, 'O', Convert.FromHexString("00000006000001ff001fffff"));
        await Send(session, 'C', System.Text.Encoding.Latin1.GetBytes("h\0" + "4\u0000\u0019" + "127.0.0.1\0"));
        await Send(session, 'M', "<a@example.com>\0"u8);
    }

    /// <summary>A session whose construction fails after taking its lease gives it back.</summary>
    [Fact]
    public void A_constructor_that_throws_after_the_lease_gives_it_back()
    {
        var set = Set(P("A"));
        Assert.Throws<InvalidOperationException>(() =>
            new MilterSession(set, (_, _) => throw new InvalidOperationException("chain"), NullLogger.Instance));
        _ = set.Retire();
        Assert.True(set.Closed);
    }

    /// <summary>
    /// An abort that overran at a normal end of message is abandoned, and the token it took is cancelled: its lookups
    /// stop, the next message gets a token of its own, and the abandoned call's lease goes once it has ended.
    /// </summary>
    [Fact]
    public async Task An_abandoned_abort_is_told_to_stop_and_its_token_is_not_the_next_messages()
    {
        var a = P("Deaf");
        CancellationToken taken = default;
        var first = true;
        a.OnAbort = c => { if (first) { taken = c.MessageAborted; first = false; } };
        a.AbortTakes = () => Task.Delay(Timeout.Infinite, taken);
        var context = new MessageContext { Helo = "client.example" };
        var set = Set(a);
        Assert.True(set.TryAcquire()); // the session's lease
        var chain = new FilterChain(set, context, logs.CreateLogger("chain"), _ => TimeSpan.FromMilliseconds(50));
        await chain.ConnectAsync();
        await chain.MailFromAsync();
        _ = context.MessageAborted; // the session/plugins would have created it
        await chain.EndMessageAsync(aborted: false).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, a.FiltersCreated); // abandoned

        Assert.True(taken.IsCancellationRequested);
        Assert.NotEqual(taken, context.MessageAborted);

        await chain.DisposeAsync();
        set.Release();
        _ = set.Retire();
        Assert.True(await EventuallyAsync(() => set.Closed));
    }

    /// <summary>
    /// A close past the deadline is left running with its view detached: on SMFIC_QUIT_NC the same MessageContext
    /// serves the next SMTP client, and what the late close writes must not land there.
    /// </summary>
    [Fact]
    public async Task A_late_close_cannot_write_into_the_next_conversation_after_quit_nc()
    {
        var release = new TaskCompletionSource();
        var plugin = new StashingPlugin(release.Task);
        var context = new MessageContext();
        var set = Set(plugin);
        Assert.True(set.TryAcquire());
        var chain = new FilterChain(set, context, logs.CreateLogger("chain"), _ => TimeSpan.FromMilliseconds(50));
        await chain.ConnectAsync();
        await chain.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)); // close overran: left running

        context.ResetConnection(); // what NewConnectionAsync does, on the same context
        var next = new FilterChain(set, context, logs.CreateLogger("chain"), _ => TimeSpan.FromMilliseconds(50));
        await next.ConnectAsync();
        await next.MailFromAsync();
        release.SetResult();
        Assert.True(await EventuallyAsync(() => plugin.LateWriteDone));
        Assert.DoesNotContain(context.Edits.Queued, e => e.Name == "X-Late");
    }

    private sealed class StashingPlugin(Task closeWaitsFor) : IMilterPlugin
    {
        public volatile bool LateWriteDone;
        public string Name => "Stash";
        public PluginNeeds Needs => PluginNeeds.AllStages;
        public void ConfigureServices(IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration section) { }
        public MessageFilter CreateFilter(IServiceProvider services) => new Filter(this, closeWaitsFor);

        private sealed class Filter(StashingPlugin p, Task closeWaitsFor) : MessageFilter
        {
            private IMessageContext? stashed;

            public override ValueTask<Verdict> ConnectAsync(IMessageContext c)
            {
                stashed ??= c;
                return new(Verdict.Continue);
            }

            public override async ValueTask DisposeAsync()
            {
                if (stashed is null) return;
                await closeWaitsFor;
                stashed.Edits.AddHeader("X-Late", "from the previous conversation's filter");
                p.LateWriteDone = true;
            }
        }
    }

    /// <summary>
    /// A plugin callback registered on MessageAborted that throws: once it made CancelMessage throw out of
    /// EndMessageAsync (the filters had to be closed before the lease went all the same); now it is logged and the
    /// message ends as any other — the filters closed, then the lease given back.
    /// </summary>
    [Fact]
    public async Task A_throwing_token_callback_still_closes_the_filters_before_the_lease_goes()
    {
        var a = P("Callback");
        a.OnMail = c => { c.MessageAborted.Register(() => throw new InvalidOperationException("callback")); return Verdict.Continue; };
        var set = Set(a);
        var session = new MilterSession(set, (s, c) => new FilterChain(s, c, logs.CreateLogger("chain")), NullLogger.Instance);
        await StartMessage(session);
        _ = set.Retire();
        await session.DisposeAsync();
        Assert.Contains("dispose", a.Events);
        Assert.True(set.Closed);
        Assert.Contains(logs.AtLeast(LogLevel.Warning), l => l.Contains("MessageAborted callback failed: InvalidOperationException: callback", StringComparison.Ordinal));
    }

    /// <summary>A TimeoutException thrown by the plugin's own AbortAsync is its failure, not the deadline: the filter stays.</summary>
    [Fact]
    public async Task A_plugins_own_TimeoutException_is_not_taken_for_the_deadline()
    {
        var a = P("OwnTimeout");
        a.AbortTakes = () => Task.FromException(new TimeoutException("dns"));
        var context = new MessageContext();
        var chain = new FilterChain(Set(a), context, logs.CreateLogger("chain"), _ => TimeSpan.FromSeconds(30));
        await chain.ConnectAsync();
        await chain.MailFromAsync();
        await chain.EndMessageAsync(aborted: true);
        Assert.Equal(1, a.FiltersCreated);
        Assert.DoesNotContain(logs.AtLeast(LogLevel.Warning), l => l.Contains("did not finish aborting", StringComparison.Ordinal));
        Assert.Contains(logs.AtLeast(LogLevel.Warning), l => l.Contains("failed to abort message", StringComparison.Ordinal));
    }

    /// <summary>an overrun call that outlives its session keeps the retired set open until it ends.</summary>
    [Fact]
    public async Task An_overrun_call_outliving_its_session_holds_the_set()
    {
        var never = new TaskCompletionSource<Verdict>();
        var a = P("Slow");
        a.OnEndOfMessageAsync = _ => never.Task;
        var set = Set(a);
        var session = new MilterSession(set, (s, c) => new FilterChain(s, c, NullLogger.Instance, _ => TimeSpan.FromMilliseconds(50)), NullLogger.Instance);
        await StartMessage(session);
        await Send(session, 'R', "<b@example.org>\0"u8);
        await Send(session, 'E', default);
        await session.DisposeAsync();
        _ = set.Retire();
        await Task.Delay(100);
        Assert.False(set.Closed);
        never.SetResult(Verdict.Continue);
        Assert.True(await EventuallyAsync(() => set.Closed));
    }

    /// <summary>a close past the deadline holds the set until it ends.</summary>
    [Fact]
    public async Task A_close_past_its_deadline_holds_the_set()
    {
        var done = new TaskCompletionSource();
        var a = P("SlowClose");
        a.DisposeTakes = () => done.Task;
        var set = Set(a);
        var session = new MilterSession(set, (s, c) => new FilterChain(s, c, NullLogger.Instance, _ => TimeSpan.FromMilliseconds(50)), NullLogger.Instance);
        await StartMessage(session);
        await session.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        _ = set.Retire();
        await Task.Delay(100);
        Assert.False(set.Closed);
        done.SetResult();
        Assert.True(await EventuallyAsync(() => set.Closed));
    }

    /// <summary>QUIT_NC swap (at the next conversation's first command) then dispose (and a second dispose) give back exactly one lease each.</summary>
    [Fact]
    public async Task Quit_nc_swap_and_double_dispose_are_balanced()
    {
        var oldSet = Set(P("A"));
        var newSet = Set(P("A"));
        var session = new MilterSession(oldSet, (s, c) => new FilterChain(s, c, NullLogger.Instance), NullLogger.Instance, latestPlugins: () => newSet);
        await StartMessage(session);
        _ = oldSet.Retire();
        Assert.False(oldSet.Closed);
        await Send(session, 'K', default);
        Assert.False(oldSet.Closed); // the next conversation has not begun
        await Send(session, 'C', System.Text.Encoding.Latin1.GetBytes("h\0" + "4\u0000\u0019" + "127.0.0.1\0"));
        Assert.True(oldSet.Closed);
        await session.DisposeAsync();
        await session.DisposeAsync();
        _ = newSet.Retire();
        Assert.True(newSet.Closed);
    }

    /// <summary>the Swap/Retire gap: a set closed between read and lease is skipped for the latest.</summary>
    [Fact]
    public async Task A_set_closed_before_the_lease_is_replaced_by_the_latest()
    {
        var oldSet = Set(P("A"));
        var newSet = Set(P("A"));
        _ = oldSet.Retire();
        var session = new MilterSession(oldSet, (s, c) => new FilterChain(s, c, NullLogger.Instance), NullLogger.Instance, latestPlugins: () => newSet);
        await session.DisposeAsync();
        _ = newSet.Retire();
        Assert.True(newSet.Closed);
    }

    /// <summary>hammer TryAcquire/Release/Retire: the services are disposed exactly once, never while held.</summary>
    [Fact]
    public async Task Concurrent_leases_and_retire_dispose_once()
    {
        for (int round = 0; round < 200; round++)
        {
            var services = new ServiceCollection().AddSingleton<DisposeCounter>().BuildServiceProvider();
            var counter = services.GetRequiredService<DisposeCounter>();
            var set = new PluginSet([], services);
            int held = 0, violations = 0;
            var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                for (int i = 0; i < 500; i++)
                {
                    if (!set.TryAcquire()) return;
                    Interlocked.Increment(ref held);
                    if (counter.Count > 0) Interlocked.Increment(ref violations);
                    Interlocked.Decrement(ref held);
                    set.Release();
                }
            })).ToList();
            workers.Add(Task.Run(() => { Thread.SpinWait(round * 10); set.Retire(); }));
            await Task.WhenAll(workers);
            Assert.True(await EventuallyAsync(() => counter.Count == 1));
            await Task.Delay(1);
            Assert.Equal(1, counter.Count);
            Assert.Equal(0, violations);
        }
    }

    private sealed class DisposeCounter : IDisposable
    {
        private int count;
        public int Count => Volatile.Read(ref count);
        public void Dispose() => Interlocked.Increment(ref count);
    }
}
