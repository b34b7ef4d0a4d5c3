using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.Host.Pipeline;
using Milters.Host.Tests.Milter;

namespace Milters.Host.Tests.Pipeline;

public class FilterChainTests
{
    private readonly LogCapture logs = new();

    private FilterChain Chain(MessageContext context, params (ScriptedPlugin Plugin, OnErrorAction OnError)[] plugins) =>
        Chain(context, null, plugins);

    private FilterChain Chain(MessageContext context, Func<LoadedPlugin, TimeSpan?>? deadline, params (ScriptedPlugin Plugin, OnErrorAction OnError)[] plugins)
    {
        var set = new PluginSet(plugins.Select(p => new LoadedPlugin(p.Plugin.Name, p.Plugin, p.OnError)).ToList(),
            new ServiceCollection().BuildServiceProvider());
        return new FilterChain(set, context, logs.CreateLogger("chain"), deadline);
    }

    private static ScriptedPlugin P(string name) => new(name, PluginNeeds.AllStages);

    [Fact]
    public async Task Every_event_reaches_every_plugin_in_order()
    {
        var order = new List<string>();
        var a = P("A");
        var b = P("B");
        a.OnMail = _ => { order.Add("A"); return Verdict.Continue; };
        b.OnMail = _ => { order.Add("B"); return Verdict.Continue; };
        await using var chain = Chain(new MessageContext(), (a, OnErrorAction.TempFail), (b, OnErrorAction.TempFail));
        Assert.Equal(VerdictKind.Continue, (await chain.MailFromAsync()).Kind);
        Assert.Equal(["A", "B"], order);
    }

    [Fact]
    public async Task First_terminal_verdict_wins_and_later_plugins_are_not_called()
    {
        var a = P("A");
        var b = P("B");
        var c = P("C");
        b.OnRecipient = (_, r) => Verdict.RejectWith("550", "5.1.1", $"no {r}");
        c.OnRecipient = (_, _) => Verdict.Accept;
        await using var chain = Chain(new MessageContext(), (a, OnErrorAction.TempFail), (b, OnErrorAction.TempFail), (c, OnErrorAction.TempFail));
        var v = await chain.RecipientAsync("x@example.org");
        Assert.Equal(VerdictKind.Reject, v.Kind);
        Assert.Equal("no x@example.org", v.Reply!.Text);
        Assert.Contains("rcpt:x@example.org", a.Events);
        Assert.DoesNotContain(c.Events, e => e.StartsWith("rcpt"));
    }

    [Fact]
    public async Task Body_skip_only_when_all_plugins_skip_and_skipped_plugins_see_no_more_chunks()
    {
        var a = P("A");
        var b = P("B");
        a.OnBody = (_, _) => Verdict.Skip;
        int bChunks = 0;
        b.OnBody = (_, _) => ++bChunks >= 2 ? Verdict.Skip : Verdict.Continue;
        await using var chain = Chain(new MessageContext(), (a, OnErrorAction.TempFail), (b, OnErrorAction.TempFail));
        Assert.Equal(VerdictKind.Continue, (await chain.BodyChunkAsync(new byte[10])).Kind);
        Assert.True(chain.WantsBody);
        Assert.Equal(VerdictKind.Skip, (await chain.BodyChunkAsync(new byte[10])).Kind);
        Assert.False(chain.WantsBody);
        Assert.Single(a.Events, e => e.StartsWith("body"));

        await chain.EndMessageAsync(aborted: false);
        Assert.True(chain.WantsBody); // the next message starts fresh
    }

    [Fact]
    public async Task A_throwing_plugin_gets_TempFail_by_default_with_one_log_line_naming_plugin_queue_id_and_error()
    {
        var context = new MessageContext();
        context.Macros.Set(MacroStage.MailFrom, [new("i", "4XyZ12")]);
        var a = P("Broken");
        var b = P("Next");
        a.OnHeader = (_, _) => throw new InvalidOperationException("boom");
        await using var chain = Chain(context, (a, OnErrorAction.TempFail), (b, OnErrorAction.TempFail));
        var v = await chain.HeaderAsync(new HeaderField("Subject", " hi"u8.ToArray()));
        Assert.Equal(VerdictKind.TempFail, v.Kind);
        Assert.DoesNotContain(b.Events, e => e.StartsWith("header"));
        var line = Assert.Single(logs.AtLeast(LogLevel.Warning));
        Assert.Contains("Broken", line);
        Assert.Contains("4XyZ12", line);
        Assert.Contains("boom", line);
    }

    [Theory]
    [InlineData(OnErrorAction.Accept, VerdictKind.Accept)]
    [InlineData(OnErrorAction.Reject, VerdictKind.Reject)]
    [InlineData(OnErrorAction.TempFail, VerdictKind.TempFail)]
    public async Task On_error_actions_map_to_verdicts(OnErrorAction action, VerdictKind kind)
    {
        var a = P("A");
        a.OnEndOfMessage = _ => throw new IOException("disk");
        await using var chain = Chain(new MessageContext(), (a, action));
        Assert.Equal(kind, (await chain.EndOfMessageAsync()).Kind);
    }

    [Fact]
    public async Task On_error_Continue_notes_the_plugin_and_leaves_it_out_for_the_rest_of_the_message()
    {
        var context = new MessageContext();
        var a = P("Flaky");
        var b = P("Next");
        int calls = 0;
        a.OnHeader = (_, _) => { calls++; throw new FormatException("bad"); };
        await using var chain = Chain(context, (a, OnErrorAction.Continue), (b, OnErrorAction.TempFail));
        Assert.Equal(VerdictKind.Continue, (await chain.HeaderAsync(new HeaderField("A", " 1"u8.ToArray()))).Kind);
        Assert.Equal(VerdictKind.Continue, (await chain.HeaderAsync(new HeaderField("B", " 2"u8.ToArray()))).Kind);
        Assert.Equal(1, calls);
        Assert.Equal(["Flaky"], context.FailedPlugins);
        Assert.Equal(2, b.Events.Count(e => e.StartsWith("header")));

        await chain.EndMessageAsync(aborted: false);
        Assert.Empty(context.FailedPlugins);
        await chain.HeaderAsync(new HeaderField("C", " 3"u8.ToArray()));
        Assert.Equal(2, calls); // called again in the next message
    }

    [Fact]
    public async Task A_plugin_over_its_deadline_is_treated_as_failed()
    {
        var a = P("Slow");
        a.OnEndOfMessageAsync = async _ => { await Task.Delay(Timeout.Infinite); return Verdict.Accept; };
        await using var chain = Chain(new MessageContext(), p => p.Name == "Slow" ? TimeSpan.FromMilliseconds(50) : null, (a, OnErrorAction.Reject));
        Assert.Equal(VerdictKind.Reject, (await chain.EndOfMessageAsync()).Kind);
        Assert.Contains(logs.AtLeast(LogLevel.Warning), l => l.Contains("Slow") && l.Contains("deadline"));
    }

    /// <summary>
    /// A plugin over its deadline keeps running; when it ends it must not write into the connection's next message
    /// (an independent review saw SenderId's late "spf=pass" for one sender stamped on the next sender's message,
    /// and its reset wipe that message's state). A fresh filter takes over and is shown CONNECT and HELO first.
    /// </summary>
    [Fact]
    public async Task A_plugin_that_overran_cannot_touch_the_next_message()
    {
        var release = new TaskCompletionSource();
        var lateDone = new TaskCompletionSource();
        var calls = 0;
        var a = P("Slow");
        a.OnEndOfMessageAsync = async c =>
        {
            if (Interlocked.Increment(ref calls) > 1) return Verdict.Continue;
            // Taken before the deadline, used after it: ordinary plugin code must not reach the next message either.
            var edits = c.Edits;
            var items = c.Items;
            await release.Task;
            c.Edits.AddHeader("X-Late", "from the first message");
            edits.AddHeader("X-Later", "through a reference taken earlier");
            items["late"] = "from the first message";
            c.AddResult(new AuthenticationResult(AuthMethods.Spf, AuthResultCode.Pass));
            lateDone.SetResult();
            return Verdict.Continue;
        };
        var context = new MessageContext { Helo = "client.example" };
        await using var chain = Chain(context, _ => TimeSpan.FromMilliseconds(50), (a, OnErrorAction.Continue));
        await chain.ConnectAsync();
        await chain.HeloAsync();
        await chain.MailFromAsync();
        var token = context.MessageAborted;
        Assert.Equal(VerdictKind.Continue, (await chain.EndOfMessageAsync()).Kind);
        Assert.Contains("Slow", context.FailedPlugins);
        await chain.EndMessageAsync(aborted: false);
        Assert.True(token.IsCancellationRequested); // the overrunning call's lookups stop with its message

        context.Envelope.MailFrom = "<second@example.org>";
        await chain.MailFromAsync();
        Assert.False(context.MessageAborted.IsCancellationRequested);
        release.SetResult();
        await lateDone.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(VerdictKind.Continue, (await chain.EndOfMessageAsync()).Kind);
        Assert.Empty(context.Edits.Queued);
        Assert.Empty(context.Items);
        Assert.Empty(context.Results);
        Assert.Empty(context.FailedPlugins);

        Assert.Equal(2, a.FiltersCreated);
        var events = a.Events.ToArray();
        var second = Array.IndexOf(events, "mail:<second@example.org>");
        // The new filter saw nothing of the first message: no abort for it before it is shown the connection.
        Assert.Equal(["eom", "connect:", "helo:client.example"], events[(second - 3)..second].Select(e => e.StartsWith("connect:", StringComparison.Ordinal) ? "connect:" : e));
        // The given-up filter is closed once its call has ended.
        for (var i = 0; i < 1200 && !a.Events.Contains("dispose"); i++) await Task.Delay(50); // up to a minute on a loaded machine
        Assert.Contains("dispose", a.Events);
    }

    /// <summary>
    /// With a deadline, AbortAsync and DisposeAsync are bounded too: a plugin deaf in them held its connection for
    /// ever. A filter whose abort overran is replaced (the fresh one is shown the connection first); a close that
    /// overran is left to finish on its own.
    /// </summary>
    [Fact]
    public async Task Abort_and_close_past_the_deadline_do_not_hold_the_connection()
    {
        var never = new TaskCompletionSource();
        var a = P("Deaf");
        a.AbortTakes = () => never.Task;
        a.DisposeTakes = () => never.Task;
        var context = new MessageContext { Helo = "client.example" };
        var chain = Chain(context, _ => TimeSpan.FromMilliseconds(50), (a, OnErrorAction.Continue));
        await chain.ConnectAsync();
        await chain.HeloAsync();
        await chain.MailFromAsync();
        await chain.EndMessageAsync(aborted: true).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, a.FiltersCreated);

        context.Envelope.MailFrom = "<second@example.org>";
        Assert.Equal(VerdictKind.Continue, (await chain.MailFromAsync()).Kind);
        var events = a.Events.ToArray();
        Assert.Equal(["abort", "connect:", "helo:client.example", "mail:<second@example.org>"],
            events[Array.IndexOf(events, "abort")..].Select(e => e.StartsWith("connect:", StringComparison.Ordinal) ? "connect:" : e));

        await chain.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains(logs.AtLeast(LogLevel.Warning), l => l.Contains("Deaf did not finish aborting message", StringComparison.Ordinal));
        Assert.Contains(logs.AtLeast(LogLevel.Warning), l => l.Contains("Deaf did not finish closing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Results_carry_the_name_of_the_plugin_that_added_them()
    {
        var context = new MessageContext();
        var a = P("DomainKeys");
        var b = P("AuthResults");
        a.OnEndOfMessage = c => { c.AddResult(new AuthenticationResult(AuthMethods.DomainKeys, AuthResultCode.Pass)); return Verdict.Continue; };
        IReadOnlyList<AuthenticationResult>? seen = null;
        b.OnEndOfMessage = c => { seen = c.Results.ToList(); return Verdict.Continue; };
        await using var chain = Chain(context, (a, OnErrorAction.TempFail), (b, OnErrorAction.TempFail));
        await chain.EndOfMessageAsync();
        var r = Assert.Single(seen!);
        Assert.Equal("DomainKeys", r.Plugin);
    }

    [Fact]
    public async Task A_plugin_whose_CreateFilter_throws_fails_every_event_with_its_action()
    {
        var broken = new ThrowingFactoryPlugin();
        var b = P("B");
        var set = new PluginSet([new LoadedPlugin("Broken", broken, OnErrorAction.Continue), new LoadedPlugin("B", b, OnErrorAction.TempFail)],
            new ServiceCollection().BuildServiceProvider());
        var context = new MessageContext();
        await using var chain = new FilterChain(set, context, logs.CreateLogger("chain"));
        Assert.Equal(VerdictKind.Continue, (await chain.MailFromAsync()).Kind);
        Assert.Equal(["Broken"], context.FailedPlugins);
        Assert.Contains("mail:", b.Events);
    }

    [Fact]
    public async Task Ending_a_message_aborts_filters_and_clears_the_message_but_not_the_connection()
    {
        var context = new MessageContext { Helo = "client" };
        context.Macros.Set(MacroStage.Connect, [new("{daemon_name}", "MSA")]);
        context.Macros.Set(MacroStage.MailFrom, [new("i", "Q1")]);
        context.Envelope.MailFrom = "a@example.com";
        var a = P("A");
        await using var chain = Chain(context, (a, OnErrorAction.TempFail));
        await chain.HeaderAsync(new HeaderField("Subject", " x"u8.ToArray()));
        context.Edits.AddHeader("X-A", " 1");
        context.Items["A.x"] = 1;
        var token = context.MessageAborted;

        await chain.EndMessageAsync(aborted: true);

        Assert.True(token.IsCancellationRequested);
        Assert.Contains("abort", a.Events);
        Assert.Null(context.Envelope.MailFrom);
        Assert.Empty(context.Headers);
        Assert.Empty(context.Edits.Queued);
        Assert.Empty(context.Items);
        Assert.Equal("NOQUEUE", context.QueueId);
        Assert.Equal("MSA", context.Macros.Get("daemon_name"));
        Assert.Equal("client", context.Helo);
        Assert.False(context.MessageAborted.IsCancellationRequested);
    }

    private sealed class ThrowingFactoryPlugin : IMilterPlugin
    {
        public string Name => "Broken";
        public PluginNeeds Needs => PluginNeeds.MailFrom;
        public void ConfigureServices(IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration section) { }
        public MessageFilter CreateFilter(IServiceProvider services) => throw new InvalidOperationException("no key");
    }
}
