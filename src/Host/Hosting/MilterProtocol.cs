using Microsoft.Extensions.DependencyInjection;
using Milters.Host.Milter;

namespace Milters.Host.Hosting;

/// <summary>The one place the hosting side registers the milter protocol (src/Host/Milter) into the host's services.</summary>
public static class MilterProtocol
{
    public static void Register(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IMilterConnectionHandler))) return;
        services.AddSingleton<IMilterConnectionHandler>(_ =>
            throw new StartupException("this build has no milter protocol handler (src/Host/Milter); cannot serve connections"));
    }
}
