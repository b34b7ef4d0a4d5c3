namespace Milters.Host.Hosting;

/// <summary>
/// The options of `milters [run]` and `milters check-config`, turned into configuration keys so that every
/// setting has one name whether it comes from the file, the environment or the command line:
/// <list type="bullet">
/// <item><c>--config PATH</c> — the JSON file (default /etc/milters/milters.json, else the one next to the binary)</item>
/// <item><c>-p/--socket SPEC</c> → Listen:Socket; <c>--plugins DIR</c> → Plugins:Directory</item>
/// <item><c>--nameserver HOST:PORT</c> (repeatable) → Dns:Servers</item>
/// <item><c>-l</c> → Logging:Syslog=true; <c>-P FILE</c> → Hosting:PidFile; <c>-u USER[:GROUP]</c> → Hosting:User</item>
/// <item><c>-f</c> — stay in the foreground: accepted for the old filters' habits; it is the only mode</item>
/// <item><c>--Section:Key=value</c> or <c>--Section:Key value</c> — any other key</item>
/// </list>
/// </summary>
public sealed class HostCommandLine
{
    public string? ConfigPath { get; private set; }

    /// <summary>Friendly options as configuration keys (list keys hold comma-separated values, see <see cref="ConfigLists"/>).</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary><c>--Section:Key=value</c> arguments, handed to Microsoft.Extensions.Configuration's command-line provider.</summary>
    public List<string> Overrides { get; } = new();

    public bool Help { get; private set; }

    /// <summary>
    /// Parses <paramref name="args"/>. With <paramref name="unrecognized"/> given, arguments this parser does
    /// not know are collected there (the dk-filter/sid-filter commands pass them on to the legacy translator);
    /// otherwise they are an error naming the argument.
    /// </summary>
    public static HostCommandLine Parse(IReadOnlyList<string> args, List<string>? unrecognized = null)
    {
        var result = new HostCommandLine();
        var nameservers = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Next()
            {
                if (i + 1 >= args.Count) throw new StartupException($"option {arg} needs a value");
                return args[++i];
            }

            switch (arg)
            {
                case "--config":
                    result.ConfigPath = Next();
                    continue;
                case "--socket":
                    result.Settings["Listen:Socket"] = Next();
                    continue;
                case "--plugins":
                    result.Settings["Plugins:Directory"] = Next();
                    continue;
                case "--nameserver":
                    nameservers.Add(Next());
                    continue;
                case "--help":
                    result.Help = true;
                    continue;
                case "-h" when unrecognized is null: // dk-filter's -h means "add the filter header": theirs in legacy mode
                    result.Help = true;
                    continue;
            }

            if (arg.StartsWith("--config=", StringComparison.Ordinal)) { result.ConfigPath = arg["--config=".Length..]; continue; }
            if (arg.StartsWith("--nameserver=", StringComparison.Ordinal)) { nameservers.Add(arg["--nameserver=".Length..]); continue; }
            if (arg.StartsWith("--plugins=", StringComparison.Ordinal)) { result.Settings["Plugins:Directory"] = arg["--plugins=".Length..]; continue; }
            if (arg.StartsWith("--socket=", StringComparison.Ordinal)) { result.Settings["Listen:Socket"] = arg["--socket=".Length..]; continue; }

            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains(':'))
            {
                // --Section:Key=value or --Section:Key value
                if (arg.Contains('=')) result.Overrides.Add(arg);
                else { var key = arg; result.Overrides.Add(key + "=" + Next()); }
                continue;
            }

            if (unrecognized is not null)
            {
                unrecognized.Add(arg);
                continue;
            }

            switch (arg)
            {
                case "-p":
                    result.Settings["Listen:Socket"] = Next();
                    break;
                case "-l":
                    result.Settings["Logging:Syslog"] = "true";
                    break;
                case "-f":
                    break;
                case "-P":
                    result.Settings["Hosting:PidFile"] = Next();
                    break;
                case "-u":
                    result.Settings["Hosting:User"] = Next();
                    break;
                default:
                    throw new StartupException($"unknown option \"{arg}\" (see milters --help)");
            }
        }

        if (nameservers.Count > 0) result.Settings["Dns:Servers"] = string.Join(',', nameservers);
        return result;
    }

    public const string OptionsHelp = """
          --config PATH          configuration file (default /etc/milters/milters.json, else milters.json next to the binary)
          -p, --socket SPEC      listen on inet:PORT@HOST, inet6:PORT@HOST, unix:/path or local:/path
          --plugins DIR          plugins directory (one folder per plugin)
          --nameserver HOST:PORT DNS server to ask (repeatable; [::1]:53 for IPv6); default: the system's resolvers
          -l                     log to syslog (/dev/log, facility mail) instead of the console
          -f                     stay in the foreground (the default; accepted for dk-filter/sid-filter habits)
          -P FILE                write the process id to FILE
          -u USER[:GROUP]        drop privileges to USER after binding the socket
          --Section:Key=VALUE    set any configuration key (e.g. --Dns:Timeout=00:00:02)
        Environment variables MILTERS_Section__Key=VALUE set keys too (file < environment < command line).
        """;
}
