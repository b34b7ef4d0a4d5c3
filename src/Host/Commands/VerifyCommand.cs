using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Milters.Abstractions;
using Milters.Host.Dns;
using Milters.Host.Hosting;
using Milters.Host.Keys;
using Milters.Host.Milter;
using Milters.Host.Pipeline;
using Milters.Host.Plugins;

namespace Milters.Host.Commands;

/// <summary>
/// `milters verify [--file F | < F] [--client-ip IP] [--helo NAME] [--mail-from ADDR] …`: runs one message
/// through the configured plugins — the host's own connection handler, session and chain, over an
/// in-memory connection driven by a small MTA client — and reports each plugin's verdict and results,
/// what the MTA would be told and sent, and every DNS query made. Nothing is delivered or listened on.
/// </summary>
public sealed class VerifyCommand : ICliCommand
{
    public const int ExitNotAccepted = 2;

    public string Name => "verify";

    public string Summary => "run one message through the plugins offline; report verdicts, results and DNS queries";

    public const string Usage = """
        usage: milters verify [--file MESSAGE] [options]   (the message is read from stdin without --file)
          --client-ip IP        the SMTP client's address (default 192.0.2.1, an outside host: mail is verified;
                                127.0.0.1 or --daemon-name MSA makes it "ours": it is signed)
          --client-name NAME    its host name (default [IP])
          --helo NAME           HELO/EHLO name (default the client name)
          --mail-from ADDR      envelope sender (default Return-Path:, else Sender:, else From:)
          --rcpt ADDR           envelope recipient, repeatable (default postmaster@localhost)
          --daemon-name NAME    the {daemon_name} macro (default MTA; MSA = the submission port)
          --auth USER           the session is authenticated as USER ({auth_authen})
          --hostname NAME       the MTA's host name (macro j, the authserv-id by default)
          --json                machine-readable report
          -v, --verbose         the plugins' and the protocol's log lines on stderr (else warnings and worse)
          --config PATH, --nameserver HOST:PORT, --plugins DIR, --Section:Key=VALUE   as for `milters run`
        Exit status: 0 accepted, 2 rejected/tempfailed/discarded, 1 configuration error, 64 usage error.
        """;

    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var hostArgs = new List<string>();
        string? file = null, mailFrom = null, helo = null, clientName = null, auth = null, hostName = null;
        var clientIp = IPAddress.Parse("192.0.2.1");
        var daemon = "MTA";
        var rcpts = new List<string>();
        var json = false;
        var verbose = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new StartupException($"verify: {arg} needs a value");
            switch (arg)
            {
                case "--file": file = Next(); break;
                case "--client-ip":
                    var ipText = Next();
                    if (!IPAddress.TryParse(ipText, out var ip)) { stderr.WriteLine($"verify: --client-ip \"{ipText}\" is not an IP address"); return CommandLineApp.ExitUsage; }
                    clientIp = ip;
                    break;
                case "--client-name": clientName = Next(); break;
                case "--helo": helo = Next(); break;
                // As SMTP writes it or bare: "<>" is the null sender, "<a@b>" is a@b (the MTA hands over the path with brackets).
                case "--mail-from":
                    var path = Next().Trim();
                    mailFrom = path is ['<', .. var inner, '>'] ? inner : path;
                    break;
                case "--rcpt": rcpts.Add(Next()); break;
                case "--daemon-name": daemon = Next(); break;
                case "--auth": auth = Next(); break;
                case "--hostname": hostName = Next(); break;
                case "--json": json = true; break;
                case "-v" or "--verbose": verbose = true; break;
                case "-h" or "--help": stdout.WriteLine(Usage); return 0;
                case "--config" or "--nameserver" or "--plugins" or "--socket":
                    hostArgs.Add(arg);
                    hostArgs.Add(Next());
                    break;
                default:
                    if (arg.StartsWith("--", StringComparison.Ordinal) && (arg.Contains(':') || arg.Contains('=')))
                    {
                        hostArgs.Add(arg);
                        if (!arg.Contains('=')) hostArgs.Add(Next());
                        break;
                    }
                    stderr.WriteLine($"verify: unknown option \"{arg}\"");
                    stderr.WriteLine(Usage);
                    return CommandLineApp.ExitUsage;
            }
        }

        byte[] bytes;
        try
        {
            bytes = file is null ? await ReadAllAsync(Console.OpenStandardInput(), cancellationToken) : await File.ReadAllBytesAsync(file, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"verify: cannot read {file ?? "stdin"}: {e.Message}");
            return CommandLineApp.ExitUsage;
        }

        VerifyMessage message;
        try { message = VerifyMessage.Parse(bytes); }
        catch (FormatException e) { stderr.WriteLine($"verify: {file ?? "stdin"}: {e.Message}"); return CommandLineApp.ExitUsage; }
        if (message.Headers.Count == 0) { stderr.WriteLine($"verify: {file ?? "stdin"} has no header fields"); return CommandLineApp.ExitUsage; }

        mailFrom ??= message.Address("Return-Path") ?? message.Address("Sender") ?? message.Address("From") ?? "";
        clientName ??= $"[{clientIp}]";
        var envelope = new VerifyEnvelope(clientIp, clientName, helo ?? clientName.Trim('[', ']'), mailFrom,
            rcpts.Count > 0 ? rcpts : ["postmaster@localhost"], daemon, hostName ?? Environment.MachineName, "VERIFY", auth);

        var report = await RunAsync(HostCommandLine.Parse(hostArgs), envelope, message, stderr, verbose, cancellationToken);
        report.Source = file ?? "(stdin)";
        stdout.Write(json ? report.ToJson() : report.ToText());
        return report.Accepted ? 0 : ExitNotAccepted;
    }

    /// <summary>Builds the plugins from the configuration (DNS through a logging resolver) and sends the message through the real handler.</summary>
    public static async Task<VerifyReport> RunAsync(HostCommandLine commandLine, VerifyEnvelope envelope, VerifyMessage message, TextWriter log, bool verbose, CancellationToken cancellationToken)
    {
        var configuration = MiltersConfiguration.Build(commandLine);
        var root = configuration.Root;
        MilterProtocol.Validate(root);

        using var loggerFactory = LoggerFactory.Create(logging =>
        {
            // Plugin and protocol log lines go to stderr, apart from the report; warnings and worse unless -v.
            logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = null; });
            logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            logging.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning);
        });

        var dns = DnsOptions.FromConfiguration(root);
        var keyDir = configuration.File is null ? null : Path.GetDirectoryName(configuration.File);
        var keys = SigningKeyTable.Load(KeyTableOptions.FromConfiguration(root, keyDir), loggerFactory.CreateLogger("Milters.Keys"));
        var dnsLog = new VerifyDnsLog(new DnsClientResolver(dns));
        var built = new PluginSetFactory(new PluginCatalog()).Build(root, dnsLog, keys, loggerFactory);

        var records = built.Plugins.Select(p => new VerifyPluginRecord(p.Name)).ToList();
        var recorded = new PluginSet(
            built.Plugins.Select((p, i) => p with { Plugin = new VerifyRecordingPlugin(p.Plugin, records[i]) }).ToList(),
            built.Services);

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(root);
        services.AddSingleton(loggerFactory);
        services.AddSingleton<IPluginSetProvider>(new FixedPluginSet(recorded));
        MilterProtocol.Register(services);
        await using var provider = services.BuildServiceProvider();
        var handler = provider.GetRequiredService<IMilterConnectionHandler>();

        var (mtaEnd, milterEnd) = VerifyDuplexStream.CreatePair();
        VerifyOutcome outcome;
        using (mtaEnd)
        {
            var serving = Task.Run(async () =>
            {
                using (milterEnd) await handler.HandleAsync(milterEnd, "milters verify", cancellationToken);
            }, cancellationToken);
            try
            {
                outcome = await new VerifyMtaClient(mtaEnd).SendAsync(envelope, message, cancellationToken);
            }
            finally
            {
                mtaEnd.Dispose();
                await serving;
            }
        }

        // As a reload retires a set: a plugin call given up at its deadline still holds it, and closes it when it ends.
        await recorded.Retire();
        return new VerifyReport(envelope, message, configuration.File, records, outcome, dnsLog.Queries, dns.ToString());
    }

    private static async Task<byte[]> ReadAllAsync(Stream input, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await input.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    private sealed class FixedPluginSet(PluginSet set) : IPluginSetProvider
    {
        public PluginSet Current => set;
    }
}
