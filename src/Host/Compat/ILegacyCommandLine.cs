namespace Milters.Host.Compat;

/// <summary>
/// Turns an old filter's command line (dk-filter, sid-filter) into configuration keys
/// ("Listen:Socket" = "inet:8892@localhost", "DomainKeys:Mode" = "sv", "Keys:Table:0:Domain" = …) that
/// are layered over the JSON file like command-line overrides. Used by `milters dk-filter …`,
/// `milters sid-filter …` and `milters migrate`. Found by reflection like ICliCommand.
/// </summary>
public interface ILegacyCommandLine
{
    /// <summary>"dk-filter" or "sid-filter".</summary>
    string Tool { get; }

    /// <summary>The old tool's getopt(3) string ("x:" takes a value), so `migrate` can drop a flag with its value.</summary>
    string OptionString { get; }

    /// <summary>
    /// Translates the arguments. Throws <see cref="LegacyCommandLineException"/> naming the flag for an
    /// unknown flag, a flag not supported (never silently ignored) or a bad value.
    /// </summary>
    LegacyTranslation Translate(IReadOnlyList<string> args);

    /// <summary>What the old tool's <c>-V</c> printed beside its version (what it implements, algorithms), printed after ours.</summary>
    string VersionDetails { get; }
}

/// <summary>Configuration produced from an old command line, plus notes for flags that map to nothing (for `migrate`).</summary>
public sealed record LegacyTranslation(IReadOnlyDictionary<string, string?> Settings, IReadOnlyList<string> Notes)
{
    /// <summary><c>-V</c> was given: print the version and exit, as the old tools did, instead of running.</summary>
    public bool VersionRequested { get; init; }

    /// <summary><c>-f</c> was given: stay in the foreground; without it the old tools forked into the background.</summary>
    public bool Foreground { get; init; }

    /// <summary>What a command line with <c>-V</c> amounts to: the old tools printed and exited before looking at the other flags.</summary>
    public static LegacyTranslation VersionOnly { get; } = new(new Dictionary<string, string?>(), []) { VersionRequested = true };
}

/// <param name="noEquivalent">The flag is valid for the old daemon but Milters has nothing like it (-A, Cloudmark …):
/// refused when starting, but `migrate` may carry on without it. A bad value or an unknown flag is not that.</param>
public sealed class LegacyCommandLineException(string message, bool noEquivalent = false) : Exception(message)
{
    public bool NoEquivalent { get; } = noEquivalent;
}
