using System.Diagnostics;
using Milters.LoadGen.Run;

namespace Milters.LoadGen.Tests;

/// <summary>Order and completion only: nothing here depends on how fast the machine is.</summary>
public sealed class PacerTests
{
    private static long In(int ms) => Stopwatch.GetTimestamp() + ms * Stopwatch.Frequency / 1000;

    [Fact]
    public void A_due_time_already_past_completes_at_once()
    {
        using var pacer = new Pacer();
        Assert.True(pacer.WaitUntilAsync(Stopwatch.GetTimestamp() - 1).IsCompleted);
    }

    [Fact]
    public async Task Messages_are_released_in_the_order_of_their_due_times_not_of_their_requests()
    {
        using var pacer = new Pacer();
        var released = new List<int>();
        var waits = new[] { 60, 20, 40 }.Select(ms => pacer.WaitUntilAsync(In(ms)).ContinueWith(_ => { lock (released) released.Add(ms); },
            TaskContinuationOptions.ExecuteSynchronously)).ToArray();
        await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([20, 40, 60], released);
    }

    [Fact]
    public async Task None_is_released_before_its_due_time()
    {
        using var pacer = new Pacer();
        var due = In(30);
        await pacer.WaitUntilAsync(due).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(Stopwatch.GetTimestamp() >= due);
    }

    [Fact]
    public async Task Disposing_cancels_what_is_still_waiting()
    {
        var pacer = new Pacer();
        var wait = pacer.WaitUntilAsync(In(60_000));
        pacer.Dispose();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
