using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Milters.Host.Metrics;

/// <summary>Logs <see cref="MetricsSummary.TakeLine"/> every <c>Metrics:SummaryInterval</c> (Information level), and once at shutdown.</summary>
public sealed partial class MetricsSummaryService(MetricsSummary summary, MetricsOptions options, TimeProvider time, ILogger<MetricsSummaryService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var last = time.GetTimestamp();
        using var timer = new PeriodicTimer(options.SummaryInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var now = time.GetTimestamp();
                LogSummary(summary.TakeLine(time.GetElapsedTime(last, now)));
                last = now;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The final period's numbers are not lost on a clean stop.
            LogSummary(summary.TakeLine(time.GetElapsedTime(last)));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Summary}")]
    private partial void LogSummary(string summary);
}
