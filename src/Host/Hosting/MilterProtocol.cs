using Microsoft.Extensions.DependencyInjection;
using Milters.Host.Milter;

namespace Milters.Host.Hosting;

/// <summary>The one place the hosting side registers the milter protocol (src/Host/Milter) into the host's services.</summary>
public static class MilterProtocol
{
    public static void Register(IServiceCollection services) => services.AddMilterProtocol();

    /// <summary>Checks the protocol's own settings (the <c>Milter</c> section) the way the handler will read them.</summary>
    public static void Validate(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        try
        {
            MilterOptions.From(configuration);
        }
        catch (InvalidOperationException e)
        {
            throw new StartupException(e.Message, e);
        }
    }
}
