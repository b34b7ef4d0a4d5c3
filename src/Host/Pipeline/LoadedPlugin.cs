using Milters.Abstractions;

namespace Milters.Host.Pipeline;

/// <summary>A plugin as loaded and configured, in chain order.</summary>
public sealed record LoadedPlugin(string Name, IMilterPlugin Plugin, OnErrorAction OnError)
{
    /// <summary>"&lt;Name&gt;:Timeout": a callback running longer counts as a failure; null: none.</summary>
    public TimeSpan? Deadline { get; init; }
}

/// <summary>
/// The plugins of one configuration generation and the service provider they were configured into.
/// A connection keeps the set it started with; SIGHUP swaps in a new one for later connections. Each user holds a
/// lease (<see cref="TryAcquire"/>/<see cref="Release"/>); a set that a reload replaced is <see cref="Retire"/>d and its
/// service provider disposed when the last lease goes — the container's promise to a plugin's disposable
/// singletons (a timer, a file, a connection), which otherwise lived on for every SIGHUP.
/// </summary>
public sealed record PluginSet(IReadOnlyList<LoadedPlugin> Plugins, IServiceProvider Services)
{
    private readonly object gate = new();
    private int leases;
    private bool retired;
    private Action<Exception>? onDisposeError;

    /// <summary>The service provider has been (or is being) disposed: the set can no longer be leased.</summary>
    public bool Closed { get; private set; }

    /// <summary>Takes a lease; false when the set is closed (a reload replaced it and its last user has gone).</summary>
    public bool TryAcquire()
    {
        lock (gate)
        {
            if (Closed) return false;
            leases++;
            return true;
        }
    }

    /// <summary>Gives a lease back; the last one of a retired set closes it.</summary>
    public void Release()
    {
        lock (gate)
        {
            if (leases == 0) throw new InvalidOperationException("plugin set released more often than acquired");
            if (--leases > 0 || !retired || Closed) return;
            Closed = true;
        }
        _ = DisposeServicesAsync();
    }

    /// <summary>
    /// A reload replaced this set (or the process is stopping): it closes now if nobody holds it, else when the last
    /// lease goes. The task is the disposal when it started here, else already complete.
    /// </summary>
    public Task Retire(Action<Exception>? onDisposeError = null)
    {
        lock (gate)
        {
            this.onDisposeError = onDisposeError;
            if (retired) return Task.CompletedTask;
            retired = true;
            if (leases > 0 || Closed) return Task.CompletedTask;
            Closed = true;
        }
        return DisposeServicesAsync();
    }

    /// <summary>A set is itself, whatever it holds: compared and hashed by reference, not by its (mutable) lease state.</summary>
    public bool Equals(PluginSet? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    private async Task DisposeServicesAsync()
    {
        try
        {
            // Off the caller's thread: a plugin's DisposeAsync must not hold up the connection that let it go.
            await Task.Yield();
            if (Services is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            else (Services as IDisposable)?.Dispose();
        }
        catch (Exception e)
        {
            onDisposeError?.Invoke(e);
        }
    }

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
