using Microsoft.Extensions.DependencyInjection;
using Milters.Host.Pipeline;

namespace Milters.Host.Tests.Pipeline;

/// <summary>A replaced plugin set closes its service provider (disposing the plugins' singletons) once nobody holds it.</summary>
public class PluginSetLeaseTests
{
    private sealed class Singleton : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    private static (PluginSet Set, Singleton Singleton) NewSet()
    {
        var services = new ServiceCollection().AddSingleton<Singleton>().BuildServiceProvider();
        return (new PluginSet([], services), services.GetRequiredService<Singleton>());
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(10);
        return condition();
    }

    [Fact]
    public async Task The_last_lease_of_a_retired_set_disposes_its_services()
    {
        var (set, singleton) = NewSet();
        Assert.True(set.TryAcquire());
        Assert.True(set.TryAcquire());
        _ = set.Retire();
        set.Release();
        Assert.False(set.Closed);
        Assert.False(singleton.Disposed);
        set.Release();
        Assert.True(set.Closed);
        Assert.True(await EventuallyAsync(() => singleton.Disposed));
        Assert.False(set.TryAcquire());
    }

    [Fact]
    public async Task A_retired_set_nobody_holds_closes_at_once_and_a_current_one_never()
    {
        var (current, kept) = NewSet();
        Assert.True(current.TryAcquire());
        current.Release();
        Assert.False(current.Closed); // not retired: a set in use by new connections stays open with no lease

        var (replaced, singleton) = NewSet();
        _ = replaced.Retire();
        Assert.True(replaced.Closed);
        Assert.True(await EventuallyAsync(() => singleton.Disposed));
        Assert.False(kept.Disposed);
    }

    [Fact]
    public void More_releases_than_leases_is_a_bug_said_plainly()
    {
        var (set, _) = NewSet();
        Assert.Throws<InvalidOperationException>(set.Release);
    }

    [Fact]
    public void Sets_are_compared_by_reference()
    {
        var (a, _) = NewSet();
        var b = new PluginSet(a.Plugins, a.Services);
        Assert.NotEqual(a, b);
        Assert.Equal(a, a);
    }
}
