using Milters.Host.Hosting;

namespace Milters.Host.Commands;

/// <summary>`milters [run] [options]`: the milter itself (the default command).</summary>
public sealed class RunCommand : ICliCommand
{
    public string Name => "run";

    public string Summary => "run the milter (the default when no command is given)";

    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var commandLine = HostCommandLine.Parse(args);
        if (commandLine.Help)
        {
            stdout.WriteLine("usage: milters [run] [options]");
            stdout.WriteLine(HostCommandLine.OptionsHelp);
            return 0;
        }
        return await MilterHostBuilder.RunAsync(new StartupArguments(commandLine), MilterProtocol.Register, cancellationToken).ConfigureAwait(false);
    }
}
