namespace Milters.Host.Commands;

/// <summary>
/// A `milters NAME ...` subcommand (check-config, genkey, testkey, verify, migrate, dk-filter, sid-filter…).
/// Program finds every implementation in this assembly by reflection (public parameterless constructor),
/// so adding a command touches no shared file. Running the milter itself is the default command ("run").
/// </summary>
public interface ICliCommand
{
    /// <summary>The word after `milters`.</summary>
    string Name { get; }

    /// <summary>One line for `milters --help`.</summary>
    string Summary { get; }

    /// <summary>Runs the command; returns the process exit code (0 = success).</summary>
    Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken);
}
