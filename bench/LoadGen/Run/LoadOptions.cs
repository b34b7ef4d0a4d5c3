using System.Globalization;
using Milters.LoadGen.Cli;
using Milters.LoadGen.Client;
using Milters.LoadGen.Messages;

namespace Milters.LoadGen.Run;

/// <summary>Everything a load run is configured with; see <see cref="Usage"/>.</summary>
internal sealed class LoadOptions
{
    public const string Usage = """
        milters-loadgen [run] --socket SPEC [options]     drive a milter, print a summary (and JSON)
        milters-loadgen chart --out FILE.png RESULTS.jsonl...   plot msgs/s and p99 against concurrency

        run options:
          --socket SPEC          inet:PORT@HOST | inet:HOST:PORT | inet6:PORT@HOST | unix:/path (loopback only)
          --label NAME           name of the measured filter in results and charts     [from the socket]
          --connections LIST     concurrent connections, one run per value, e.g. 1,8,64 [1]
          --per-connection M     messages per connection; 1 = a connection per message as Postfix
                                 opens one per SMTP session; 0 = all on one connection  [1]
          --count N              messages per run (after warm-up)                       [1000]
          --duration T           time bound per run (e.g. 30s, 2m)                      [60s]
          --rate R               open loop: start at most R messages/s in total (0 = as fast as replies come) [0]
          --warmup N             messages sent before each run and not measured         [connections*4]
          --sizes MIX            e.g. 4k or 1k:50,4k:30,64k:15,1m:4,10m:1 (weights)     [4k]
          --seed N               message content and size choice                        [1]
          --traffic sign|verify  sign: {daemon_name}=MSA, {auth_authen}; verify: MTA, no auth [sign]
          --domain D             From:/MAIL FROM domain                                 [example.com]
          --client-addr IP       SMTP client address in the connect step               [127.0.0.1]
          --expect-header NAME   every message must get this header (e.g. DKIM-Signature)
          --expect-contains TXT  ... and its value must contain TXT (e.g. domainkeys=pass)
          --prime-header NAME    verify traffic: sign one message per size class first and
                                 put this header on top of it (e.g. DomainKey-Signature)
          --prime-socket SPEC    where to get those signatures from                      [--socket]
          --timeout T            per message                                             [60s]
          --header-eol lf|crlf   line ending inside folded header values (Postfix lf, Sendmail crlf) [lf]
          --write-per-command    one write per command like Postfix (default: batch no-reply commands)
          --no-nodelay           leave Nagle on for the client socket (Postfix does not set TCP_NODELAY)
          --pipeline-experiment  do not wait for pre-EOM replies (as if the filter had negotiated NR_*); not MTA behaviour
          --no-abort             no SMFIC_ABORT between messages on one connection
          --json FILE            append one JSON object per run (JSON lines); - for stdout
          --dump-dir DIR         write the first --dump-count messages as delivered (filter's headers on top)
          --dump-count N         how many messages to dump per run                      [10]
          --note TEXT            free text stored with the result (peer version, key size ...)
          --quiet                no progress line
        """;

    public required SocketSpec Socket { get; init; }
    public required string Label { get; init; }
    public required IReadOnlyList<int> Connections { get; init; }
    public int PerConnection { get; init; } = 1;
    public long Count { get; init; } = 1000;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);
    public int? Warmup { get; init; }
    public double Rate { get; init; }
    public required SizeMix Sizes { get; init; }
    public ulong Seed { get; init; } = 1;
    public TrafficKind Traffic { get; init; } = TrafficKind.Sign;
    public string Domain { get; init; } = "example.com";
    public string ClientAddress { get; init; } = "127.0.0.1";
    public string? PrimeHeader { get; init; }
    public SocketSpec? PrimeSocket { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    public required ClientOptions Client { get; init; }
    public string? Json { get; init; }
    public string? Note { get; init; }
    public string? DumpDir { get; init; }
    public int DumpCount { get; init; } = 10;
    public bool Quiet { get; init; }
    public required string CommandLine { get; init; }

    private static readonly IReadOnlySet<string> Flags = new HashSet<string>
    {
        "write-per-command", "no-nodelay", "pipeline-experiment", "no-abort", "quiet", "help",
    };

    public static LoadOptions? Parse(string[] args)
    {
        var a = new ArgReader(args, Flags);
        if (a.Flag("help")) return null;
        var socket = SocketSpec.Parse(a.Require("socket"));
        string? eol = a.Get("header-eol");
        var options = new LoadOptions
        {
            Socket = socket,
            Label = a.Get("label") ?? socket.Text,
            Connections = (a.Get("connections") ?? "1").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(),
            PerConnection = int.Parse(a.Get("per-connection") ?? "1", CultureInfo.InvariantCulture),
            Count = long.Parse(a.Get("count") ?? "1000", CultureInfo.InvariantCulture),
            Duration = ArgReader.ParseDuration(a.Get("duration") ?? "60s"),
            Rate = double.Parse(a.Get("rate") ?? "0", CultureInfo.InvariantCulture),
            Warmup = a.Get("warmup") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : null,
            Sizes = SizeMix.Parse(a.Get("sizes") ?? "4k"),
            Seed = ulong.Parse(a.Get("seed") ?? "1", CultureInfo.InvariantCulture),
            Traffic = Enum.Parse<TrafficKind>(a.Get("traffic") ?? "sign", ignoreCase: true),
            Domain = a.Get("domain") ?? "example.com",
            ClientAddress = a.Get("client-addr") ?? "127.0.0.1",
            PrimeHeader = a.Get("prime-header"),
            PrimeSocket = a.Get("prime-socket") is { } ps ? SocketSpec.Parse(ps) : null,
            Timeout = ArgReader.ParseDuration(a.Get("timeout") ?? "60s"),
            Client = new ClientOptions
            {
                HeaderEol = eol switch { null or "lf" => "\n", "crlf" => "\r\n", _ => throw new ArgumentException("--header-eol is lf or crlf") },
                WritePerCommand = a.Flag("write-per-command"),
                NoDelay = !a.Flag("no-nodelay"),
                AbortBetweenMessages = !a.Flag("no-abort"),
                PipelineExperiment = a.Flag("pipeline-experiment"),
                ExpectHeader = a.Get("expect-header"),
                ExpectContains = a.Get("expect-contains"),
            },
            Json = a.Get("json"),
            Note = a.Get("note"),
            DumpDir = a.Get("dump-dir"),
            DumpCount = int.Parse(a.Get("dump-count") ?? "10", CultureInfo.InvariantCulture),
            Quiet = a.Flag("quiet"),
            CommandLine = "milters-loadgen " + string.Join(' ', args.Select(Quote)),
        };
        a.RejectUnknown();
        if (options.Connections.Any(c => c < 1 || c > 4096)) throw new ArgumentException("--connections must be 1..4096");
        if (options.Count < 1) throw new ArgumentException("--count must be positive");
        if (options.PerConnection < 0) throw new ArgumentException("--per-connection must be >= 0");
        if (options.Traffic == TrafficKind.Verify && options.PrimeHeader is null)
            Console.Error.WriteLine("note: verify traffic without --prime-header sends unsigned messages");
        return options;
    }

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_.,:/@=+%".Contains(c)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";
}
