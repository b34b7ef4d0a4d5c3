using Microsoft.Extensions.Configuration;

namespace Milters.Host.Hosting;

/// <summary>
/// Settings a reload cannot take up: the socket and how it was bound, the protocol limits every connection handler
/// was built with, the pid file and user, the log destination, the metrics timer. A SIGHUP that changes one of them
/// says so (the running value stays until a restart) rather than letting the administrator believe it applied.
/// </summary>
public static class StartOnlySettings
{
    /// <summary>Whole sections read once at start.</summary>
    private static readonly string[] Sections = ["Milter", "Hosting", "Metrics"];

    /// <summary>Single keys read once at start; Listen:Socket has a warning of its own, AllowedClients and MaxConnections follow a reload.</summary>
    private static readonly string[] Keys =
    [
        "Listen:UnixSocketMode", "Listen:Backlog", "Listen:DrainTimeout", "Listen:InlineCompletions",
        "Logging:Syslog", "Logging:SyslogSocket", "Logging:SyslogIdentity",
    ];

    /// <summary>The keys (as "Section:Key") whose value differs between the running and the new configuration, sorted.</summary>
    public static IReadOnlyList<string> Changed(IConfiguration running, IConfiguration next)
    {
        var changed = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in Sections)
        {
            var before = Flatten(running.GetSection(section));
            var after = Flatten(next.GetSection(section));
            foreach (var key in before.Keys.Concat(after.Keys))
            {
                if (!string.Equals(before.GetValueOrDefault(key), after.GetValueOrDefault(key), StringComparison.Ordinal))
                    changed.Add(key);
            }
        }
        foreach (var key in Keys)
        {
            if (!string.Equals(running[key], next[key], StringComparison.Ordinal)) changed.Add(key);
        }
        return [.. changed];
    }

    private static Dictionary<string, string?> Flatten(IConfigurationSection section)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in section.AsEnumerable())
        {
            if (value is not null) values[key] = value;
        }
        return values;
    }
}
