namespace Milters.Host.Hosting;

/// <summary>
/// For a log line that a misbehaving client can cause at will (one per bad connection): at most <c>burst</c> lines per
/// <c>interval</c>; how many were left out rides on the next line that is written. A chaos run against the host wrote
/// some 2,000 protocol-error lines a minute from one local client; the first lines say what is wrong, the rest is noise
/// that buries everything else (and the count stays in the metrics).
/// </summary>
public sealed class LogThrottle(int burst, TimeSpan interval, TimeProvider? time = null)
{
    private readonly TimeProvider time = time ?? TimeProvider.System;
    private readonly Lock gate = new();
    private long windowStart;
    private bool started;
    private int inWindow;
    private long leftOut;

    /// <summary>True when this line may be written; <paramref name="leftOutBefore"/> is how many were not, since the last that was.</summary>
    public bool TryWrite(out long leftOutBefore)
    {
        var now = time.GetTimestamp();
        lock (gate)
        {
            if (!started || time.GetElapsedTime(windowStart, now) >= interval)
            {
                started = true;
                windowStart = now;
                inWindow = 0;
            }
            if (inWindow < burst)
            {
                inWindow++;
                leftOutBefore = leftOut;
                leftOut = 0;
                return true;
            }
            leftOut++;
            leftOutBefore = 0;
            return false;
        }
    }
}
