using Milters.Host.Hosting;

namespace Milters.Host.Tests.Hosting;

public class LogThrottleTests
{
    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualTime : TimeProvider
    {
        public long Ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Ticks;
        public void Advance(TimeSpan by) => Ticks += by.Ticks;
    }

    [Fact]
    public void A_burst_is_written_then_lines_are_left_out_and_counted_on_the_next_one_written()
    {
        var time = new ManualTime();
        var throttle = new LogThrottle(3, TimeSpan.FromMinutes(1), time);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(throttle.TryWrite(out var none));
            Assert.Equal(0, none);
        }
        for (var i = 0; i < 5; i++) Assert.False(throttle.TryWrite(out _));

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(throttle.TryWrite(out _)); // still the same minute: six left out now

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(throttle.TryWrite(out var leftOut));
        Assert.Equal(6, leftOut);
        Assert.True(throttle.TryWrite(out var again));
        Assert.Equal(0, again);
    }
}
