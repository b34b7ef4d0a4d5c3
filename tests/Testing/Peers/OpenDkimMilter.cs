namespace Milters.Testing.Peers;

/// <summary>
/// OpenDKIM (tests/peers/opendkim.sh) as a reference milter on a free port: a known-good peer to check MTA fixtures
/// and to compare against. Signs (mode "s") with a key generated into its directory, or verifies (mode "v").
/// </summary>
public sealed class OpenDkimMilter : IDisposable
{
    private readonly TempDir dir;

    private OpenDkimMilter(TempDir dir, MilterSocket socket)
    {
        this.dir = dir;
        Socket = socket;
    }

    public MilterSocket Socket { get; }

    public string Directory => dir.Path;

    /// <summary>The TXT record of the signing key, with an absolute name, for <see cref="DnsServer"/>.</summary>
    public string DnsZonePath => dir["keys/dns.zone"];

    public static OpenDkimMilter Start(string mode = "s", string domain = "example.com", string selector = "peers", int? dnsPort = null,
        params string[] extraArgs)
    {
        var dir = new TempDir("opendkim");
        try
        {
            ProcessResult? last = null;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var port = FreePort.Tcp();
                var args = new List<string> { "start", "--dir", dir.Path, "--port", port.ToString(), "--mode", mode, "--domain", domain, "--selector", selector, "--bits", "1024" };
                if (dnsPort is int d) args.AddRange(["--dns-port", d.ToString()]);
                args.AddRange(extraArgs);
                last = PeerScripts.Run("opendkim.sh", args);
                if (last.Succeeded) return new OpenDkimMilter(dir, MilterSocket.Inet(port));
                if (!last.Output.Contains("already in use")) break;
            }
            throw new PeerException($"opendkim did not start:\n{last}");
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        PeerScripts.Run("opendkim.sh", ["stop", "--dir", dir.Path], TimeSpan.FromSeconds(30));
        dir.Dispose();
    }
}
