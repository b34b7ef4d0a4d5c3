using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;

namespace HelloPlugin;

/// <summary>
/// The plugin: the host creates it once (public parameterless constructor), lets it register services from
/// its configuration section, then asks for one <see cref="HelloFilter"/> per SMTP connection.
/// </summary>
public sealed class HelloPlugin : IMilterPlugin, IPluginSettings
{
    /// <summary>The name in Plugins:Order and the configuration section's key.</summary>
    public string Name => "HelloPlugin";

    /// <summary>
    /// Only what is used: header fields (to read Subject) and adding a header. The host negotiates the union of
    /// every plugin's needs with the MTA, so a plugin that asks for less costs the MTA less.
    /// </summary>
    public PluginNeeds Needs => PluginNeeds.Headers | PluginNeeds.AddHeaders;

    /// <summary>The keys of the section: `milters check-config` names any other as a likely typo ("Greting").</summary>
    public IReadOnlyCollection<string> SettingNames { get; } = ["Greeting", "RejectSubjectContaining"];

    public void ConfigureServices(IServiceCollection services, IConfiguration section)
    {
        // Read and check the section here: a bad value then stops start-up (or a reload) with a message naming it.
        var options = new HelloOptions
        {
            Greeting = section["Greeting"] ?? "Hello",
            RejectSubjectContaining = string.IsNullOrEmpty(section["RejectSubjectContaining"]) ? null : section["RejectSubjectContaining"],
        };
        if (options.Greeting.Contains('\n') || options.Greeting.Contains('\r'))
            throw new InvalidOperationException("HelloPlugin:Greeting must be one line");
        services.AddSingleton(options);
    }

    public MessageFilter CreateFilter(IServiceProvider services) =>
        new HelloFilter(services.GetRequiredService<HelloOptions>(), services.GetRequiredService<ILogger<HelloFilter>>());
}
