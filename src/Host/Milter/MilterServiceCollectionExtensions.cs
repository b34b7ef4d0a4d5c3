using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Milters.Host.Milter;

public static class MilterServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IMilterConnectionHandler"/> (needs IPluginSetProvider, IConfiguration and
    /// ILoggerFactory from the container; options from the "Milter" section).
    /// </summary>
    public static IServiceCollection AddMilterProtocol(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MilterConnectionHandler>();
        services.TryAddSingleton<IMilterConnectionHandler>(sp => sp.GetRequiredService<MilterConnectionHandler>());
        return services;
    }
}
