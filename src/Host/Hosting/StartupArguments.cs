namespace Milters.Host.Hosting;

/// <summary>What the configuration is built from, kept so SIGHUP can build it again the same way.</summary>
public sealed record StartupArguments(HostCommandLine CommandLine, IReadOnlyDictionary<string, string?>? LegacySettings = null)
{
    public MiltersConfiguration BuildConfiguration() => MiltersConfiguration.Build(CommandLine, LegacySettings);
}
