using Milters.Host.Hosting;
using Milters.Host.Pipeline;

namespace Milters.Host.Plugins;

/// <summary>
/// Holds the current <see cref="HostGeneration"/>. Each new connection reads <see cref="Current"/> once and
/// keeps that set; a reload swaps the reference atomically, so connections in flight are never disturbed.
/// </summary>
public sealed class PluginSetProvider : IPluginSetProvider
{
    private HostGeneration generation;

    public PluginSetProvider(HostGeneration initial) => generation = initial;

    public HostGeneration Generation => Volatile.Read(ref generation);

    public PluginSet Current => Generation.Plugins;

    /// <summary>Installs <paramref name="next"/>; returns the one it replaced.</summary>
    public HostGeneration Swap(HostGeneration next) => Interlocked.Exchange(ref generation, next);
}
