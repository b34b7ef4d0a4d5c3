using Microsoft.Extensions.Configuration;

namespace Milters.Host.Hosting;

/// <summary>
/// Finds keys nobody reads — almost always typos ("Listen:Sockett", a plugin section spelled differently from
/// its name in the order). Warnings, not errors: a section for a plugin taken out of the order is legitimate.
/// A plugin section is checked key by key when the plugin lists its keys (IPluginSettings), else only by name.
/// </summary>
public static class ConfigurationLint
{
    private static readonly Dictionary<string, string[]?> HostSections = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Listen"] = ["Socket", "UnixSocketMode", "AllowedClients", "Backlog", "DrainTimeout", "MaxConnections", "InlineCompletions", "EventLoops"],
        ["Plugins"] = ["Directory", "Order"],
        ["Dns"] = ["Servers", "Timeout", "Retries", "UseCache", "CacheMegabytes"],
        ["Keys"] = ["Strict", "Table", "MultipleSignatures"],
        ["Hosting"] = ["PidFile", "User"],
        ["Milter"] = typeof(Milters.Host.Milter.MilterOptions).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).ToArray(),
        // Console: the console logger's own options (FormatterName, LogLevel per provider), read by the logging library.
        ["Logging"] = ["LogLevel", "Syslog", "SyslogSocket", "SyslogIdentity", "Console"],
        ["Metrics"] = ["SummaryInterval"],
    };

    private static readonly string[] KeyEntryKeys = ["Domain", "Selector", "KeyFile", "Senders"];

    /// <summary>Keys the host reads in every plugin's section.</summary>
    private static readonly string[] HostKeysInPluginSections = ["OnError", "Timeout"];

    public static IReadOnlyList<string> Check(IConfiguration configuration, IEnumerable<string> pluginNames) =>
        Check(configuration, pluginNames.Select(n => (n, (IReadOnlyCollection<string>?)null)));

    /// <param name="plugins">Each plugin's name and, when it says (<c>IPluginSettings</c>), the keys of its section.</param>
    public static IReadOnlyList<string> Check(IConfiguration configuration, IEnumerable<(string Name, IReadOnlyCollection<string>? Settings)> plugins)
    {
        var warnings = new List<string>();
        // Configuration keys are case-insensitive, so a section "domainkeys" does reach plugin "DomainKeys".
        var settingsOf = new Dictionary<string, IReadOnlyCollection<string>?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, settings) in plugins) settingsOf[name] = settings;
        foreach (var section in configuration.GetChildren())
        {
            if (HostSections.TryGetValue(section.Key, out var keys))
            {
                if (keys is null) continue;
                foreach (var child in section.GetChildren())
                {
                    if (!keys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                        warnings.Add($"unknown setting {child.Path} (known in {section.Key}: {string.Join(", ", keys)})");
                }
                continue;
            }
            if (settingsOf.TryGetValue(section.Key, out var pluginKeys))
            {
                if (pluginKeys is null) continue;
                var known = pluginKeys.Concat(HostKeysInPluginSections).ToList();
                foreach (var child in section.GetChildren())
                {
                    if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                        warnings.Add($"unknown setting {child.Path} (known in {section.Key}: {string.Join(", ", known)})");
                }
                continue;
            }
            warnings.Add($"section \"{section.Key}\" is not read: no host setting and no plugin in Plugins:Order has that name");
        }

        foreach (var entry in configuration.GetSection("Keys:Table").GetChildren())
        {
            foreach (var child in entry.GetChildren())
            {
                if (!KeyEntryKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                    warnings.Add($"unknown setting {child.Path} (known: {string.Join(", ", KeyEntryKeys)})");
            }
        }
        return warnings;
    }
}
