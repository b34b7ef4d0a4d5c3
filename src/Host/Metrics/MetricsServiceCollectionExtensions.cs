using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Milters.Host.Metrics;

public static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="MilterMetrics"/> (meter "Milters", through the host's IMeterFactory), the
    /// <see cref="MetricsSummary"/> listener and, unless <c>Metrics:SummaryInterval</c> is zero, the hosted
    /// service that logs the summary line.
    /// </summary>
    public static IServiceCollection AddMilterMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        var options = MetricsOptions.FromConfiguration(configuration);
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(options);
        services.TryAddSingleton<MilterMetrics>();
        services.TryAddSingleton<MetricsSummary>();
        if (options.SummaryInterval > TimeSpan.Zero)
            services.AddSingleton<IHostedService, MetricsSummaryService>();
        return services;
    }
}
