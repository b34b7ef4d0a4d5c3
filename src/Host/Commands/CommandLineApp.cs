using Milters.Host.Hosting;

namespace Milters.Host.Commands;

/// <summary>Dispatches `milters [COMMAND] ARGS`; prints start-up failures as one line and returns the exit code.</summary>
public static class CommandLineApp
{
    public const int ExitFailure = 1;
    public const int ExitUsage = 64; // EX_USAGE (sysexits.h)

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        IReadOnlyDictionary<string, ICliCommand> commands;
        try
        {
            commands = CommandCatalog.Discover();
        }
        catch (InvalidOperationException e)
        {
            stderr.WriteLine(e.Message);
            return ExitFailure;
        }

        if (args.Count > 0 && args[0] is "--help" or "-h" or "help")
        {
            WriteHelp(stdout, commands);
            return 0;
        }

        ICliCommand command;
        IReadOnlyList<string> rest;
        if (args.Count > 0 && args[0] is "--version" or "-V")
        {
            command = commands["version"];
            rest = args.Skip(1).ToArray();
        }
        else if (args.Count == 0 || args[0].StartsWith('-'))
        {
            command = commands["run"];
            rest = args;
        }
        else if (commands.TryGetValue(args[0], out var found))
        {
            command = found;
            rest = args.Skip(1).ToArray();
        }
        else
        {
            stderr.WriteLine($"unknown command \"{args[0]}\" (commands: {string.Join(", ", commands.Keys)}; see milters --help)");
            return ExitUsage;
        }

        try
        {
            return await command.RunAsync(rest, stdout, stderr, cancellationToken).ConfigureAwait(false);
        }
        catch (StartupException e)
        {
            stderr.WriteLine(e.Message);
            return ExitFailure;
        }
    }

    private static void WriteHelp(TextWriter stdout, IReadOnlyDictionary<string, ICliCommand> commands)
    {
        stdout.WriteLine("usage: milters [COMMAND] [options]");
        stdout.WriteLine();
        stdout.WriteLine("commands:");
        var width = commands.Keys.Max(k => k.Length) + 2;
        foreach (var (name, command) in commands) stdout.WriteLine($"  {name.PadRight(width)}{command.Summary}");
        stdout.WriteLine();
        stdout.WriteLine("options of run and check-config:");
        stdout.WriteLine(HostCommandLine.OptionsHelp);
    }
}
