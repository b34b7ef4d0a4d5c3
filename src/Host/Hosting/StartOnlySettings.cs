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
        "Listen:UnixSocketMode", "Listen:Backlog", "Listen:DrainTimeout", "Listen:InlineCompletions", "Listen:EventLoops",
        "Logging:Syslog", "Logging:SyslogSocket", "Logging:SyslogIdentity",
    ];

    /// <summary>
    /// The values in force: taken at start, since they stay until a restart (a reload that changes one and a later
    /// one that changes it back must not warn the second time).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Snapshot(IConfiguration configuration)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in Sections)
            foreach (var (key, value) in configuration.GetSection(section).AsEnumerable())
                if (value is not null) values[key] = value;
        foreach (var key in Keys)
            if (configuration[key] is { } value) values[key] = value;
        return values;
    }

    /// <summary>The keys (as "Section:Key") whose value in <paramref name="next"/> differs from the one in force, sorted.</summary>
    public static IReadOnlyList<string> Changed(IReadOnlyDictionary<string, string> inForce, IConfiguration next)
    {
        var after = Snapshot(next);
        var changed = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in inForce.Keys.Concat(after.Keys))
        {
            if (!string.Equals(inForce.GetValueOrDefault(key), after.GetValueOrDefault(key), StringComparison.Ordinal))
                changed.Add(key);
        }
        return [.. changed];
    }

    public static IReadOnlyList<string> Changed(IConfiguration running, IConfiguration next) => Changed(Snapshot(running), next);
}
