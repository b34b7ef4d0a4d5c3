using System.Diagnostics;

namespace Milters.LoadGen.Run;

/// <summary>Latency percentiles in milliseconds (nearest-rank on the sorted samples).</summary>
internal sealed record LatencySummary(double P50, double P90, double P99, double P999, double Max, double Mean, long Samples)
{
    public static readonly LatencySummary Empty = new(0, 0, 0, 0, 0, 0, 0);

    /// <summary>Sorts <paramref name="ticks"/> in place.</summary>
    public static LatencySummary From(long[] ticks)
    {
        if (ticks.Length == 0) return Empty;
        Array.Sort(ticks);
        double Ms(long t) => Math.Round(t * 1000.0 / Stopwatch.Frequency, 3);
        long At(double q) => ticks[Math.Clamp((int)Math.Ceiling(q * ticks.Length) - 1, 0, ticks.Length - 1)];
        return new LatencySummary(Ms(At(0.50)), Ms(At(0.90)), Ms(At(0.99)), Ms(At(0.999)), Ms(ticks[^1]),
            Math.Round(ticks.Average() * 1000.0 / Stopwatch.Frequency, 3), ticks.Length);
    }
}
