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

    private FilterChain Chain(ScriptedPlugin plugin, TimeSpan blockingWarning) =>
        new(new PluginSet([new LoadedPlugin(plugin.Name, plugin, OnErrorAction.TempFail)], new ServiceCollection().BuildServiceProvider()),
            new MessageContext(), logs.CreateLogger("chain"), blockingWarning: blockingWarning);

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
