using Milters.Host.Hosting;

namespace Milters.Host.Commands;

/// <summary>`milters version` (also `milters --version` and `-V`): what is running, for bug reports and upgrades.</summary>
public sealed class VersionCommand : ICliCommand
{
    public string Name => "version";

    public string Summary => "print the version, the .NET runtime and the OpenSSL in use (also --version, -V)";

    public Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (args.Count > 0)
        {
            stderr.WriteLine($"version takes no arguments (got \"{args[0]}\")");
            return Task.FromResult(CommandLineApp.ExitUsage);
        }
        foreach (var line in ProductVersion.Describe()) stdout.WriteLine(line);
        return Task.FromResult(0);
    }
}
