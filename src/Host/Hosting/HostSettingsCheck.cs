using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Milters.Host.Metrics;

namespace Milters.Host.Hosting;

/// <summary>
/// The host's own settings that are read elsewhere than the generation (the protocol handler, the metrics timer, the
/// socket engine, the logging filters), checked with every generation: so check-config reports what the start would
/// refuse, and a reload refuses what the next start would (an independent review found check-config passing values
/// the start then refused, and a bad log level crashing the start with a stack trace while a reload took it).
/// </summary>
public static class HostSettingsCheck
{
    public static void Validate(IConfiguration root)
    {
        MilterProtocol.Validate(root);
        MetricsOptions.FromConfiguration(root);
        ConfigValues.ReadBool(root.GetSection("Listen"), "InlineCompletions", true);
        ValidateLogging(root);
    }

    /// <summary>Before the logging filters are built from the section: they throw at the first log line otherwise.</summary>
    public static void ValidateLogging(IConfiguration root)
    {
        var logging = root.GetSection("Logging");
        ConfigValues.ReadBool(logging, "Syslog", false);
        foreach (var (key, value) in logging.AsEnumerable())
        {
            // Empty (an environment file's "X=") is skipped by the logging library, as is a key without a value; blanks
            // are not (it throws on them), so they are refused below.
            if (string.IsNullOrEmpty(value) || !IsLogLevelKey(key)) continue;
            // What the logging library takes (a name or its number, 0-6); another word throws at its first log line.
            if (!Enum.TryParse<LogLevel>(value, ignoreCase: true, out var level) || !Enum.IsDefined(level))
                throw new StartupException($"{key}: \"{value}\" is not a log level (Trace, Debug, Information, Warning, Error, Critical, None)");
        }
    }

    /// <summary>Logging:LogLevel:CATEGORY and PROVIDER:LogLevel:CATEGORY.</summary>
    private static bool IsLogLevelKey(string key)
    {
        var parts = key.Split(':');
        return parts.Length >= 3 && Array.FindIndex(parts, 1, p => p.Equals("LogLevel", StringComparison.OrdinalIgnoreCase)) is > 0 and var at && at < parts.Length - 1;
    }
}
