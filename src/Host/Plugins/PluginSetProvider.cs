using Milters.Host.Hosting;
using Milters.Host.Pipeline;

namespace Milters.Host.Plugins;

/// <summary>
/// Holds the current <see cref="HostGeneration"/>. Each new connection reads <see cref="Current"/> once and
/// keeps that set; a reload swaps the reference atomically, so connections in flight are never disturbed.
/// </summary>
public sealed class PluginSetProvider : IPluginSetProvider, IAsyncDisposable, IDisposable
{
    /// <summary>
    /// How long the process waits at exit for the plugins' services to close: a plugin stuck in its own disposal
    /// must not keep a stopped milter from exiting (the MTA's connections are closed by then).
    /// </summary>
    public static readonly TimeSpan DisposeTimeout = TimeSpan.FromSeconds(5);

    private HostGeneration generation;
    private readonly Action<Exception>? onDisposeError;

    public PluginSetProvider(HostGeneration initial, Action<Exception>? onDisposeError = null)
    {
        generation = initial;
        this.onDisposeError = onDisposeError;
    }

    public HostGeneration Generation => Volatile.Read(ref generation);

    public PluginSet Current => Generation.Plugins;

    /// <summary>Installs <paramref name="next"/>; returns the one it replaced.</summary>
    public HostGeneration Swap(HostGeneration next) => Interlocked.Exchange(ref generation, next);

    /// <summary>
    /// At exit the current set is retired as a reload would retire it, so its disposable singletons are closed too
    /// (the container promises it); a connection still holding it (past the drain) closes it when it lets go.
    /// </summary>
    public void Dispose()
    {
        // The disposal runs on a pool thread (PluginSet yields first), so waiting here cannot deadlock on our own thread.
        if (!Current.Retire(onDisposeError).Wait(DisposeTimeout)) onDisposeError?.Invoke(TimedOut());
    }

    public async ValueTask DisposeAsync()
    {
        var closing = Current.Retire(onDisposeError);
        try
        {
            await closing.WaitAsync(DisposeTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            onDisposeError?.Invoke(TimedOut());
        }
    }

    private static TimeoutException TimedOut() => new($"the plugins' services did not close within {DisposeTimeout.TotalSeconds:0} s");
}
