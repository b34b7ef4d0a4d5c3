using System.Diagnostics;
using Milters.LoadGen.Run;

namespace Milters.LoadGen.Tests;

public sealed class LatencySummaryTests
{
    private static long Ms(double ms) => (long)Math.Round(ms * Stopwatch.Frequency / 1000.0);

    [Fact]
    public void Percentiles_are_nearest_rank_on_the_sorted_samples()
    {
        // 1 … 100 ms, shuffled: nearest rank p50 = 50th value, p90 = 90th, p99 = 99th, p99.9 = 100th.
        var samples = Enumerable.Range(1, 100).Select(i => Ms(i)).OrderBy(t => (t * 7919) % 101).ToArray();
        var s = LatencySummary.From(samples);
        Assert.Equal(50, s.P50);
        Assert.Equal(90, s.P90);
        Assert.Equal(99, s.P99);
        Assert.Equal(100, s.P999);
        Assert.Equal(100, s.Max);
        Assert.Equal(50.5, s.Mean);
        Assert.Equal(100, s.Samples);
    }

    [Fact]
    public void One_slow_message_in_a_hundred_is_the_p99_and_in_two_hundred_is_not()
    {
        var hundred = Enumerable.Repeat(Ms(1), 99).Append(Ms(40)).ToArray();
        Assert.Equal(1, LatencySummary.From(hundred).P99);
        var ninetyNineFast = Enumerable.Repeat(Ms(1), 98).Concat([Ms(40), Ms(40)]).ToArray();
        Assert.Equal(40, LatencySummary.From(ninetyNineFast).P99);
        var twoHundred = Enumerable.Repeat(Ms(1), 199).Append(Ms(40)).ToArray();
        Assert.Equal(1, LatencySummary.From(twoHundred).P99);
        Assert.Equal(40, LatencySummary.From(twoHundred).Max);
    }

    [Fact]
    public void No_samples_give_the_empty_summary()
    {
        Assert.Same(LatencySummary.Empty, LatencySummary.From([]));
    }
}
