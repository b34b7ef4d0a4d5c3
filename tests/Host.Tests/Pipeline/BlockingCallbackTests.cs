using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.Host.Pipeline;
using Milters.Host.Tests.Milter;

namespace Milters.Host.Tests.Pipeline;

/// <summary>
/// A callback before end of message that holds its thread (on a socket thread, with inline completions) is
/// named in one warning per plugin and step; end of message, which runs in the pool, is not watched.
/// </summary>
public class BlockingCallbackTests
{
    private readonly LogCapture logs = new();

    /// <summary>Load average 0.5 unless told: the test machine's own, busy with other tests, must not choose the wording.</summary>
    private FilterChain Chain(ScriptedPlugin plugin, TimeSpan blockingWarning, Func<double?>? loadAverage = null) =>
        new(new PluginSet([new LoadedPlugin(plugin.Name, plugin, OnErrorAction.TempFail)], new ServiceCollection().BuildServiceProvider()),
            new MessageContext(), logs.CreateLogger("chain"), blockingWarning: blockingWarning, loadAverage: loadAverage ?? (() => 0.5));

    private List<string> Warnings() => logs.AtLeast(LogLevel.Warning).ToList();

    [Fact]
    public async Task A_header_callback_that_sleeps_is_named_once()
    {
        // Unique name: the "once" is per process, and other tests run in the same one.
        var plugin = new ScriptedPlugin("Sleepy" + Guid.NewGuid().ToString("N"), PluginNeeds.AllStages);
        plugin.OnHeader = (_, _) => { Thread.Sleep(40); return Verdict.Continue; };
        await using var chain = Chain(plugin, TimeSpan.FromMilliseconds(20)); // a sleep of 40 ms is never shorter

        await chain.HeaderAsync(new HeaderField("Subject", " one"u8.ToArray()));
        await chain.HeaderAsync(new HeaderField("Subject", " two"u8.ToArray()));

        var warning = Assert.Single(Warnings());
        Assert.Contains($"plugin {plugin.Name} held its socket thread for", warning);
        Assert.Contains("at Header", warning);
        Assert.Contains("Listen:InlineCompletions=false", warning);
    }

    [Fact]
    public async Task On_an_overloaded_machine_the_warning_says_the_thread_may_have_waited_for_a_core()
    {
        var plugin = new ScriptedPlugin("Sleepy" + Guid.NewGuid().ToString("N"), PluginNeeds.AllStages);
        plugin.OnHeader = (_, _) => { Thread.Sleep(40); return Verdict.Continue; };
        var load = Environment.ProcessorCount * 6.0;
        await using (var busy = Chain(plugin, TimeSpan.FromMilliseconds(20), () => load))
        {
            await busy.HeaderAsync(new HeaderField("Subject", " one"u8.ToArray()));
            await busy.HeaderAsync(new HeaderField("Subject", " two"u8.ToArray()));
        }
        var overloaded = Assert.Single(Warnings());
        Assert.Contains($"plugin {plugin.Name} held its socket thread for", overloaded);
        Assert.Contains($"load average was {load:0.0} on {Environment.ProcessorCount} cores", overloaded);
        Assert.Contains("may have waited for a core", overloaded);

        // The same plugin and step at normal load: named as blocking, once, whatever was said under load.
        await using (var calm = Chain(plugin, TimeSpan.FromMilliseconds(20)))
            await calm.HeaderAsync(new HeaderField("Subject", " three"u8.ToArray()));
        Assert.Equal(2, Warnings().Count);
        Assert.Contains("Listen:InlineCompletions=false", Warnings()[1]);
    }

    [Fact]
    public async Task Quick_callbacks_and_a_slow_end_of_message_are_not_reported()
    {
        var plugin = new ScriptedPlugin("Quick" + Guid.NewGuid().ToString("N"), PluginNeeds.AllStages);
        plugin.OnHeader = (_, _) => Verdict.Continue;
        // A quick callback's first call (JIT) on a loaded 2-core machine, or a preemption, can take 20 ms of wall
        // time: the threshold here is one no quick callback reaches, and end of message sleeps past it.
        plugin.OnEndOfMessage = _ => { Thread.Sleep(1200); return Verdict.Continue; };
        await using var chain = Chain(plugin, TimeSpan.FromSeconds(1));

        await chain.HeaderAsync(new HeaderField("Subject", " hi"u8.ToArray()));
        await chain.EndOfMessageAsync();

        Assert.Empty(Warnings());
    }
}
