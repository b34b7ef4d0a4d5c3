using Microsoft.Extensions.Configuration;
using Milters.Host.Hosting;

namespace Milters.Host.Metrics;

/// <summary>The <c>Metrics</c> section.</summary>
public sealed record MetricsOptions(TimeSpan SummaryInterval)
{
    public static readonly TimeSpan DefaultSummaryInterval = TimeSpan.FromMinutes(5);

    /// <summary>Reads <c>Metrics:SummaryInterval</c> (00:00:00 turns the summary line off).</summary>
    public static MetricsOptions FromConfiguration(IConfiguration configuration) =>
        new(ConfigValues.ReadTime(configuration.GetSection("Metrics"), "SummaryInterval", DefaultSummaryInterval));
}
