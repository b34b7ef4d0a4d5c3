using Microsoft.Extensions.Logging;
using Milters.Host.Hosting;
using Milters.Host.Plugins;

namespace Milters.Host.Commands;

/// <summary>
/// `milters check-config [options]`: builds everything `run` would (configuration, key table, resolver,
/// plugins in order) without binding the socket, and prints the effective settings.
/// </summary>
public sealed class CheckConfigCommand : ICliCommand
{
    public string Name => "check-config";

    public string Summary => "validate the configuration and print the effective socket and plugin order";

    public Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var commandLine = HostCommandLine.Parse(args);
        if (commandLine.Help)
        {
            stdout.WriteLine("usage: milters check-config [options]");
            stdout.WriteLine(HostCommandLine.OptionsHelp);
            return Task.FromResult(0);
        }

        var configuration = new StartupArguments(commandLine).BuildConfiguration();
        using var loggerFactory = LoggerFactory.Create(logging => MiltersLogging.Configure(logging, configuration.Root));
        var generation = HostGeneration.Build(configuration, loggerFactory, new PluginCatalog());
        MilterProtocol.Validate(configuration.Root);
        foreach (var line in generation.Describe()) stdout.WriteLine(line);
        foreach (var warning in generation.Warnings) stdout.WriteLine("warning: " + warning);
        stdout.WriteLine("configuration OK");
        return Task.FromResult(0);
    }
}
