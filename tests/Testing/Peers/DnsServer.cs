namespace Milters.Testing.Peers;

/// <summary>What a <see cref="DnsServer"/> serves and how it misbehaves on purpose.</summary>
public sealed class DnsServerOptions
{
    /// <summary>Zone files (records with absolute names, added to the root zone), or "origin=FILE" for a complete zone.</summary>
    public List<string> ZoneFiles { get; } = new();

    /// <summary>Zone text (records with absolute names); written to a file in the server's directory.</summary>
    public List<string> ZoneTexts { get; } = new();

    /// <summary>Names (and everything below them) that answer SERVFAIL.</summary>
    public List<string> ServFail { get; } = new();

    /// <summary>Names (and everything below them) whose queries are dropped, so the client times out.</summary>
    public List<string> Timeout { get; } = new();

    /// <summary>Names (and everything below them) answered with TC=1 over UDP, so only TCP gets the data.</summary>
    public List<string> TcpOnly { get; } = new();

    /// <summary>Largest UDP answer (512..4096); null = the script's default 1232.</summary>
    public int? MaxUdp { get; set; }
}

/// <summary>
/// A real authoritative DNS server (BIND, tests/peers/dns.sh) on 127.0.0.1 at a free port, with its own state
/// directory; stopped on Dispose. Point the milter at <see cref="Endpoint"/> (<c>--nameserver</c>, <c>Dns:Servers</c>).
/// </summary>
public sealed class DnsServer : IDisposable
{
    private readonly TempDir dir;

    private DnsServer(TempDir dir, int port)
    {
        this.dir = dir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>"127.0.0.1:PORT", the form of <c>--nameserver</c> and <c>Dns:Servers</c>.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>The server's state directory.</summary>
    public string Directory => dir.Path;

    /// <summary>BIND's query log: one line per query ("+T" = over TCP, "+E" = EDNS).</summary>
    public string QueryLogPath => dir["query.log"];

    public string NamedLogPath => dir["named.log"];

    /// <summary>The query log so far (empty when nothing was asked yet).</summary>
    public string QueryLog() => File.Exists(QueryLogPath) ? File.ReadAllText(QueryLogPath) : "";

    /// <summary>Lines of the query log that ask for NAME (case-insensitive), e.g. to count lookups.</summary>
    public IReadOnlyList<string> QueriesFor(string name) =>
        QueryLog().Split('\n').Where(l => l.Contains($"query: {name.TrimEnd('.')} ", StringComparison.OrdinalIgnoreCase)).ToList();

    /// <summary>
    /// Whether a query log line was asked over TCP. BIND writes the flags after the type: "+" / "-" (RD), then
    /// E(0) (EDNS), T (TCP), D (DO), C (CD), S (signed), K (cookie), e.g. "IN TXT +E(0)TK".
    /// </summary>
    public static bool IsOverTcp(string queryLogLine) =>
        System.Text.RegularExpressions.Regex.IsMatch(queryLogLine, @" IN \S+ [+-](E\(\d+\))?[A-Z]*T");

    /// <summary>Starts a server serving the given zone text (records with absolute names).</summary>
    public static DnsServer StartWithZone(string zoneText)
    {
        var o = new DnsServerOptions();
        o.ZoneTexts.Add(zoneText);
        return Start(o);
    }

    /// <summary>Starts a server serving the given zone files.</summary>
    public static DnsServer StartWithZoneFiles(params string[] zoneFiles)
    {
        var o = new DnsServerOptions();
        o.ZoneFiles.AddRange(zoneFiles);
        return Start(o);
    }

    public static DnsServer Start(DnsServerOptions options)
    {
        var dir = new TempDir("dns");
        try
        {
            var args = new List<string>();
            foreach (var z in options.ZoneFiles) args.AddRange(["--zone", z]);
            var i = 0;
            foreach (var text in options.ZoneTexts)
            {
                var f = dir[$"zone-text-{++i}.zone"];
                File.WriteAllText(f, text.EndsWith('\n') ? text : text + "\n");
                args.AddRange(["--zone", f]);
            }
            if (options.ZoneFiles.Count == 0 && options.ZoneTexts.Count == 0)
                throw new ArgumentException("a DNS server needs at least one zone file or zone text");
            foreach (var n in options.ServFail) args.AddRange(["--servfail", n]);
            foreach (var n in options.Timeout) args.AddRange(["--timeout", n]);
            foreach (var n in options.TcpOnly) args.AddRange(["--tcp-only", n]);
            if (options.MaxUdp is int m) args.AddRange(["--max-udp", m.ToString()]);

            // the port may be taken between choosing and binding (parallel projects): try again with another
            ProcessResult? last = null;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var port = FreePort.UdpAndTcp();
                last = PeerScripts.Run("dns.sh", ["start", "--dir", dir.Path, "--port", port.ToString(), .. args]);
                if (last.Succeeded) return new DnsServer(dir, port);
                if (!last.Output.Contains("already in use")) break;
            }
            throw new PeerException($"DNS server did not start:\n{last}\n{Tail(dir["named.log"])}");
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    /// <summary>Runs dig against this server, e.g. Dig("TXT", "example.com", "+short").</summary>
    public ProcessResult Dig(params string[] args) =>
        ProcessRunner.Run("dig", ["@127.0.0.1", "-p", Port.ToString(), "+time=2", "+tries=1", .. args], TimeSpan.FromSeconds(30));

    public void Dispose()
    {
        PeerScripts.Run("dns.sh", ["stop", "--dir", dir.Path], TimeSpan.FromSeconds(30));
        dir.Dispose();
    }

    internal static string Tail(string path, int lines = 30)
    {
        if (!File.Exists(path)) return $"({path} does not exist)";
        var all = File.ReadAllLines(path);
        return $"--- last {Math.Min(lines, all.Length)} lines of {path} ---\n" + string.Join('\n', all.TakeLast(lines));
    }
}
