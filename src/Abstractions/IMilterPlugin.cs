using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Milters.Abstractions;

/// <summary>
/// A plugin found in a drop-in folder. The host creates it once (public parameterless constructor),
/// lets it register services, then asks it for one <see cref="MessageFilter"/> per SMTP connection.
/// </summary>
public interface IMilterPlugin
{
    /// <summary>The name used in <c>Plugins:Order</c> and as the plugin's configuration section.</summary>
    string Name { get; }

    /// <summary>What the plugin needs from the MTA; the host negotiates the union over all loaded plugins.</summary>
    PluginNeeds Needs { get; }

    /// <summary>
    /// Register the plugin's services. <paramref name="section"/> is the plugin's own configuration section
    /// (top-level key equal to <see cref="Name"/>). Host services available to every plugin:
    /// <see cref="IDnsResolver"/>, <see cref="ISigningKeyTable"/>, <see cref="TimeProvider"/>,
    /// <c>ILogger&lt;T&gt;</c>, <c>IConfiguration</c>.
    /// </summary>
    void ConfigureServices(IServiceCollection services, IConfiguration section);

    /// <summary>One filter per SMTP connection (it sees every message on that connection).</summary>
    MessageFilter CreateFilter(IServiceProvider services);
}
