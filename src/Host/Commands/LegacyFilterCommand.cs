using Milters.Host.Compat;
using Milters.Host.Hosting;

namespace Milters.Host.Commands;

/// <summary>
/// `milters dk-filter ARGS` / `milters sid-filter ARGS`: runs the milter configured by an old filter's
/// command line. The translated settings are layered over the configuration with the highest priority;
/// our own long options (--config, --plugins, --nameserver, --Section:Key=value) still apply.
/// </summary>
public sealed class LegacyFilterCommand(ILegacyCommandLine translator) : ICliCommand
{
    public string Name => translator.Tool;

    public string Summary => $"run the milter with {translator.Tool}'s command-line flags";

    /// <summary>The configuration this command line amounts to (also used by tests and `migrate`).</summary>
    public StartupArguments Translate(IReadOnlyList<string> args) => Translate(args, out _);

    private StartupArguments Translate(IReadOnlyList<string> args, out bool versionRequested) => Translate(args, out versionRequested, out _);

    private StartupArguments Translate(IReadOnlyList<string> args, out bool versionRequested, out bool foreground)
    {
        var legacyArgs = new List<string>();
        var commandLine = HostCommandLine.Parse(args, legacyArgs);
        LegacyTranslation translation;
        try
        {
            translation = translator.Translate(legacyArgs);
        }
        catch (LegacyCommandLineException e)
        {
            throw new StartupException($"{translator.Tool}: {e.Message}", e);
        }
        versionRequested = translation.VersionRequested;
        foreground = translation.Foreground;
        return new StartupArguments(commandLine, translation.Settings);
    }

    public Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        // --help answers before the old flags are checked (a missing -p is no reason to withhold the usage).
        if (HostCommandLine.Parse(args, new List<string>()).Help)
        {
            stdout.WriteLine($"usage: milters {translator.Tool} [{translator.Tool} flags] [--config PATH] [--plugins DIR] [--nameserver HOST:PORT] [--Section:Key=VALUE]");
            stdout.WriteLine($"Runs the milter configured from {translator.Tool}'s flags alone, as {translator.Tool} was: no configuration file is read unless");
            stdout.WriteLine("--config names one (the flags then win over it). Without -f it goes into the background once it serves, as the old program did.");
            return Task.FromResult(0);
        }
        var arguments = Translate(args, out var versionRequested, out var foreground);
        if (versionRequested)
        {
            foreach (var line in ProductVersion.Describe()) stdout.WriteLine(line);
            stdout.WriteLine($"\t{translator.VersionDetails}");
            return Task.FromResult(0);
        }
        // As the old programs: into the background unless -f (rc.local lines and rc scripts wait for the command to return).
        if (Daemon.IsDaemonCopy)
        {
            Daemon.LeaveSession();
            Daemon.WatchConsole();
            return MilterHostBuilder.RunAsync(arguments, MilterProtocol.Register, cancellationToken, Daemon.ReportServing);
        }
        if (!foreground && Daemon.Supported)
            return Daemon.StartAsync([translator.Tool, .. args], stdout, stderr, cancellationToken);
        return MilterHostBuilder.RunAsync(arguments, MilterProtocol.Register, cancellationToken);
    }
}
