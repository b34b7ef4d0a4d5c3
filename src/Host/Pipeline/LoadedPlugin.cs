using Milters.Abstractions;

namespace Milters.Host.Pipeline;

/// <summary>A plugin as loaded and configured, in chain order.</summary>
public sealed record LoadedPlugin(string Name, IMilterPlugin Plugin, OnErrorAction OnError);

/// <summary>
/// The plugins of one configuration generation and the service provider they were configured into.
/// A connection keeps the set it started with; SIGHUP swaps in a new one for later connections.
/// </summary>
public sealed record PluginSet(IReadOnlyList<LoadedPlugin> Plugins, IServiceProvider Services)
{
    /// <summary>The union of what the plugins need: what the host negotiates with the MTA.</summary>
    public PluginNeeds Needs
    {
        get
        {
            var needs = PluginNeeds.None;
            foreach (var p in Plugins) needs |= p.Plugin.Needs;
            return needs;
        }
    }
}

/// <summary>Gives each new connection the current plugin set (swapped on reload).</summary>
public interface IPluginSetProvider
{
    PluginSet Current { get; }
}
