using System.Diagnostics;
using Milters.LoadGen.Run;

namespace Milters.LoadGen.Tests;

/// <summary>Order and completion only: nothing here depends on how fast the machine is (due times share one base).</summary>
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
        // Due times from one base, not from a clock read per request: a test thread preempted for 20 ms between two
        // In() calls (a loaded 2-core CI machine) gave 40 a later due time than 60. The base lies far enough ahead
        // that none is already due when it is requested (that one would complete at once, in request order); a
        // registration slower than that margin says nothing about the order and is tried again.
        for (var attempt = 0; ; attempt++)
        {
            using var pacer = new Pacer();
            var released = new List<int>();
            var start = In(500);
            var waits = new[] { 60, 20, 40 }.Select(ms => pacer.WaitUntilAsync(start + ms * Stopwatch.Frequency / 1000).ContinueWith(_ => { lock (released) released.Add(ms); },
                TaskContinuationOptions.ExecuteSynchronously)).ToArray();
            var registeredInTime = Stopwatch.GetTimestamp() < start;
            await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(30));
            if (!registeredInTime && attempt < 5) continue;
            Assert.Equal([20, 40, 60], released);
            return;
        }
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
