using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Milters.Abstractions;

namespace Milters.AuthResults;

/// <summary>
/// RFC 8601: one Authentication-Results header from every result the earlier plugins recorded, and the
/// removal of headers that forge our authserv-id. Runs last in the plugin order.
/// </summary>
public sealed class AuthResultsPlugin : IMilterPlugin, IPluginSettings
{
    public string Name => "AuthResults";

    public IReadOnlyCollection<string> SettingNames { get; } =
        ["AuthservId", "OtherAuthservIds", "InternalHosts", "Remove", "SiblingMethods", "Placement", "ReasonStyle", "FailedPluginMethods"];

    /// <summary>
    /// CONNECT for the client address and the <c>j</c> macro, the headers to find forged ones, the right to add
    /// and delete headers; before end of message it only watches (ObserveOnly).
    /// </summary>
    public PluginNeeds Needs => PluginNeeds.Connect | PluginNeeds.Headers | PluginNeeds.AddHeaders | PluginNeeds.ChangeHeaders | PluginNeeds.ObserveOnly;

    public void ConfigureServices(IServiceCollection services, IConfiguration section)
    {
        services.AddSingleton(AuthResultsOptions.FromConfiguration(section));
    }

    public MessageFilter CreateFilter(IServiceProvider services)
    {
        var options = services.GetRequiredService<AuthResultsOptions>();
        var logger = (ILogger?)services.GetService<ILogger<AuthResultsPlugin>>() ?? NullLogger.Instance;
        // Read once per plugin load (a reload makes a new plugin instance), not per connection: GetChildren
        // walks every configuration key; it showed in the profile of one connection per message.
        var order = pluginOrder ??= services.GetService<IConfiguration>() is { } configuration
            ? AuthResultsOptions.ListOf(configuration.GetSection("Plugins:Order"))
            : [];
        return new AuthResultsFilter(options, new ResultsBuilder(options, order, logger), HostName.Value, logger);
    }

    private IReadOnlyList<string>? pluginOrder;

    /// <summary>The last fallback for the authserv-id; the system call is made once.</summary>
    private static readonly Lazy<string> HostName = new(System.Net.Dns.GetHostName);
}
