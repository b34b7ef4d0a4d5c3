using System.Text.RegularExpressions;
using Milters.Host.Compat;
using Milters.Host.Hosting;

namespace Milters.Host.Commands;

/// <summary>
/// `milters migrate --dk-filter "ARGS" --sid-filter "ARGS" [--socket SPEC]`: prints the one configuration
/// that replaces both old daemons — one socket, the order DomainKeys, SenderId, AuthResults, every flag
/// translated by the same <see cref="ILegacyCommandLine"/> translators `milters dk-filter|sid-filter` run
/// with — followed by the Sendmail INPUT_MAIL_FILTER line and the Postfix smtpd_milters value. Everything
/// that is not configuration is a // comment, so the output can be saved as milters.json as it is.
/// </summary>
public sealed partial class MigrateCommand : ICliCommand
{
    public string Name => "migrate";

    public string Summary => "print the configuration and MTA lines replacing a dk-filter and a sid-filter command line";

    public const string Usage = """
        usage: milters migrate [--dk-filter "FLAGS"] [--sid-filter "FLAGS"] [--socket SPEC]
          --dk-filter "FLAGS"   dk-filter's command line (without the program name), e.g. "-l -p inet:8892@localhost -d example.com -s /var/db/domainkeys/k.pem -S k"
          --sid-filter "FLAGS"  sid-filter's command line, e.g. "-l -p inet:8891@localhost -r 2"
          --socket SPEC         the one socket to listen on (default: dk-filter's -p, else sid-filter's)
        The output is a milters.json (comments allowed) ending with the MTA lines to change, as comments.
        """;

    public Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        string? dk = null, sid = null, socket = null;
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new StartupException($"migrate: {args[i]} needs a value");
            switch (args[i])
            {
                case "--dk-filter": dk = Next(); break;
                case "--sid-filter": sid = Next(); break;
                case "--socket": socket = Next(); break;
                case "-h" or "--help": stdout.WriteLine(Usage); return Task.FromResult(0);
                default:
                    stderr.WriteLine($"migrate: unknown option \"{args[i]}\"");
                    stderr.WriteLine(Usage);
                    return Task.FromResult(CommandLineApp.ExitUsage);
            }
        }
        if (dk is null && sid is null)
        {
            stderr.WriteLine("migrate: give --dk-filter, --sid-filter or both");
            stderr.WriteLine(Usage);
            return Task.FromResult(CommandLineApp.ExitUsage);
        }

        Migration migration;
        try
        {
            migration = Migrate(dk, sid, socket);
        }
        catch (MigrationException e)
        {
            stderr.WriteLine($"migrate: {e.Message}");
            return Task.FromResult(CommandLineApp.ExitUsage);
        }
        stdout.Write(migration.Render());
        return Task.FromResult(0);
    }

    /// <summary>Translates both command lines and merges them into one configuration.</summary>
    public static Migration Migrate(string? dkFilter, string? sidFilter, string? socket = null)
    {
        var translators = typeof(MigrateCommand).Assembly.GetTypes()
            .Where(t => typeof(ILegacyCommandLine).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (ILegacyCommandLine)Activator.CreateInstance(t)!)
            .ToDictionary(t => t.Tool, StringComparer.Ordinal);
        var notes = new List<string>();
        var merged = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var sockets = new List<(string Tool, string Socket)>();
        var sources = new List<string>();

        foreach (var (tool, commandLine) in new[] { ("dk-filter", dkFilter), ("sid-filter", sidFilter) })
        {
            if (commandLine is null) continue;
            sources.Add($"{tool} {commandLine}");
            if (!translators.TryGetValue(tool, out var translator))
                throw new MigrationException($"this build has no {tool} translator (src/Host/Compat)");
            var translation = TranslateCarryingOn(translator, tool, commandLine, notes);
            foreach (var note in translation.Notes) notes.Add($"{tool} {note}");
            foreach (var (key, value) in translation.Settings)
            {
                if (key.Equals("Listen:Socket", StringComparison.OrdinalIgnoreCase))
                {
                    if (value is not null) sockets.Add((tool, value));
                    continue;
                }
                if (key.Equals("Plugins:Order", StringComparison.OrdinalIgnoreCase)) continue;
                // One process writes one header: the two-process setting has no place here.
                if (key.Equals(DkFilterCommandLine.SiblingMethodsKey, StringComparison.OrdinalIgnoreCase)) continue;
                // Nor the old program's name in the mail log: the one process logs as milters.
                if (key.Equals("Logging:SyslogIdentity", StringComparison.OrdinalIgnoreCase)) continue;
                if (merged.TryGetValue(key, out var earlier) && !string.Equals(earlier, value, StringComparison.Ordinal))
                {
                    notes.Add($"{key}: dk-filter gives \"{earlier}\", {tool} gives \"{value}\"; kept \"{earlier}\"");
                    continue;
                }
                merged[key] = value;
            }
        }

        var chosen = socket ?? (sockets.Count > 0 ? sockets[0].Socket : ListenOptions.DefaultSocket);
        SocketSpec spec;
        try { spec = SocketSpec.Parse(chosen); }
        catch (StartupException e) { throw new MigrationException(e.Message); }
        foreach (var (tool, old) in sockets)
            if (!string.Equals(old, chosen, StringComparison.Ordinal))
                notes.Add($"{tool} listened on {old}; the one milter listens on {chosen}: point the MTA there (below) and retire {old}");

        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Listen:Socket"] = chosen,
            // Only the plugins the old daemons did, in the chain's order; AuthResults writes the header both wrote.
            ["Plugins:Order"] = string.Join(',', new[] { dkFilter is null ? null : "DomainKeys", sidFilter is null ? null : "SenderId", "AuthResults" }.OfType<string>()),
        };
        foreach (var (key, value) in merged) settings[key] = value;
        // Kept, since starting by hand as root is how the old daemons ran; the shipped unit does it differently.
        if (settings.ContainsKey("Hosting:User") || settings.ContainsKey("Hosting:PidFile"))
            notes.Add("Hosting:User / Hosting:PidFile carry -u / -P over for starting milters as root by hand; under the shipped " +
                      "systemd unit (install/milters.service: User=milters, only /run/milters writable) delete them");
        return new Migration(sources, settings, notes, spec);
    }

    /// <summary>
    /// Runs the translator; a flag it refuses because there is no equivalent (-A, -V, Cloudmark's -C …) is
    /// dropped with its value and a note instead of failing the whole migration. An unknown flag, a word that is no
    /// flag or a bad value stays an error: the old daemon would not have started with it either. The line is read
    /// with the old tool's own getopt string first, so "-C5" and "-C 5" drop the same way.
    /// </summary>
    private static LegacyTranslation TranslateCarryingOn(ILegacyCommandLine translator, string tool, string commandLine, List<string> notes)
    {
        List<(char Flag, string? Value)> options;
        try
        {
            var args = MigrateShellWords.Split(commandLine).ToList();
            if (args.Count > 0 && (args[0] == tool || args[0].EndsWith("/" + tool, StringComparison.Ordinal))) args.RemoveAt(0);
            options = GetOpt.Parse(args, translator.OptionString, tool).ToList();
        }
        catch (FormatException e) { throw new MigrationException($"{tool}: {e.Message}"); }
        catch (LegacyCommandLineException e) { throw new MigrationException($"{tool}: {e.Message}"); }

        while (true)
        {
            var normalized = options.SelectMany(o => o.Value is null ? ["-" + o.Flag] : new[] { "-" + o.Flag, o.Value }).ToList();
            try
            {
                var translation = translator.Translate(normalized);
                if (!translation.VersionRequested) return translation;
                options.RemoveAll(o => o.Flag == 'V');
                notes.Add($"{tool} -V (print the version and exit) — not carried over");
            }
            catch (LegacyCommandLineException e)
            {
                if (!e.NoEquivalent || LeadingFlag().Match(e.Message) is not { Success: true } refused)
                    throw new MigrationException($"{tool}: {e.Message}");
                var flag = refused.Groups[1].Value[0];
                var values = options.Where(o => o.Flag == flag && o.Value is not null).Select(o => $"\"{o.Value}\"").ToList();
                if (options.RemoveAll(o => o.Flag == flag) == 0) throw new MigrationException($"{tool}: {e.Message}");
                notes.Add($"{tool} {e.Message} — not carried over" + (values.Count == 0 ? "" : $" (its value {string.Join(", ", values)} dropped too)"));
            }
        }
    }

    [GeneratedRegex("^-([A-Za-z])\\b")]
    private static partial Regex LeadingFlag();
}

/// <summary>The merged configuration, the notes about what did not carry over, and the one socket.</summary>
public sealed record Migration(IReadOnlyList<string> Sources, IReadOnlyDictionary<string, string?> Settings, IReadOnlyList<string> Notes, SocketSpec Socket)
{
    public string SendmailLine => MigrateMtaLines.SendmailInputMailFilter(Socket, EndOfMessageTimeout);

    /// <summary>Postfix waits 300 s at end of message by default (milter_content_timeout): said only when that is too short.</summary>
    private string PostfixContentTimeout => EndOfMessageTimeout.TotalSeconds <= 300 ? "" :
        $"//   milter_content_timeout = {(int)EndOfMessageTimeout.TotalSeconds}s\n";

    /// <summary>From the DNS settings the old lines gave (-T): the time one lookup may take with its retries, and more.</summary>
    public TimeSpan EndOfMessageTimeout
    {
        get
        {
            var timeout = Settings.TryGetValue("Dns:Timeout", out var t) && Milters.Abstractions.ConfigTime.TryParse(t, out var parsed) ? parsed : TimeSpan.FromSeconds(5);
            var retries = Settings.TryGetValue("Dns:Retries", out var r) && int.TryParse(r, out var n) ? n : 2;
            return MigrateMtaLines.EndOfMessageTimeout(timeout * (retries + 1));
        }
    }

    public string PostfixMilters => MigrateMtaLines.PostfixMilter(Socket);

    public string Render()
    {
        var header = new List<string> { "milters.json generated by `milters migrate` from:" };
        header.AddRange(Sources.Select(s => "  " + s));
        header.Add("Plugins run in this order: " + Settings["Plugins:Order"]!.Replace(",", " -> ", StringComparison.Ordinal) + "; AuthResults writes the one Authentication-Results header.");
        if (Notes.Count > 0)
        {
            header.Add("Notes (no equivalent, or a choice made for you):");
            header.AddRange(Notes.Select(n => "  - " + n));
        }

        var text = MigrateConfigWriter.Write(Settings, header);
        return text + $"""
            // Sendmail: replace the dk-filter and sid-filter INPUT_MAIL_FILTER lines in sendmail.mc with this one
            // (the macro definitions to go with it: tests/peers/mta-snippets/sendmail-milter.mc, docs/ADMIN.md):
            //   {SendmailLine}
            // Postfix main.cf: replace both milters with one:
            //   smtpd_milters = {PostfixMilters}
            //   non_smtpd_milters = $smtpd_milters
            {PostfixContentTimeout}
            """;
    }
}

public sealed class MigrationException(string message) : Exception(message);
