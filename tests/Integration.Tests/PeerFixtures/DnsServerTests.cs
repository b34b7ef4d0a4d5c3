using Milters.Testing.Peers;

namespace Milters.Integration.Tests.PeerFixtures;

/// <summary>The DNS server fixture (BIND via tests/peers/dns.sh) answers as the other tests rely on.</summary>
public sealed class DnsServerTests
{
    private const string Zone = """
        example.com.          IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
        a.example.com.        IN A   192.0.2.1
        long.example.com.     IN TXT ( "v=spf1 ip4:198.51.100.1 ip4:198.51.100.2 ip4:198.51.100.3 ip4:198.51.100.4 ip4:198.51.100.5 ip4:198.51.100.6 ip4:198.51.100.7 ip4:198.51.100.8 ip4:198.51.100.9 ip4:198.51.100.10 ip4:198.51.100.11 ip4:198.51.100.12 ip4:198.51.100.13 ip4:198.51.100.14 ip4:1" "98.51.100.15 -all" )
        tcp.example.com.      IN TXT "only over tcp"
        """;

    [Fact]
    public void ServesZoneTextWithFaultsOnAFreePort()
    {
        var options = new DnsServerOptions();
        options.ZoneTexts.Add(Zone);
        options.ServFail.Add("broken.example.com");
        options.Timeout.Add("slow.example.com");
        options.TcpOnly.Add("tcp.example.com");
        using var dns = DnsServer.Start(options);

        Assert.Equal($"127.0.0.1:{dns.Port}", dns.Endpoint);
        var txt = dns.Dig("+short", "TXT", "example.com");
        Assert.True(txt.Succeeded, txt.ToString());
        Assert.Equal("\"v=spf1 ip4:192.0.2.0/24 -all\"", txt.StandardOutput.Trim());

        var a = dns.Dig("+short", "A", "a.example.com");
        Assert.Equal("192.0.2.1", a.StandardOutput.Trim());

        var nx = dns.Dig("TXT", "nosuch.example.com");
        Assert.Contains("status: NXDOMAIN", nx.StandardOutput);

        var servfail = dns.Dig("TXT", "x.broken.example.com");
        Assert.Contains("status: SERVFAIL", servfail.StandardOutput);

        var timeout = dns.Dig("+time=1", "TXT", "slow.example.com");
        Assert.Contains("timed out", timeout.StandardOutput);

        var tcpOnly = dns.Dig("+ignore", "TXT", "tcp.example.com");
        Assert.Contains(" tc", tcpOnly.StandardOutput); // flags: qr aa tc
        var overTcp = dns.Dig("+tcp", "+short", "TXT", "tcp.example.com");
        Assert.Equal("\"only over tcp\"", overTcp.StandardOutput.Trim());

        var longTxt = dns.Dig("+short", "TXT", "long.example.com");
        Assert.Contains("\" \"", longTxt.StandardOutput); // two strings, joined by the reader

        Assert.NotEmpty(dns.QueriesFor("a.example.com"));
        Assert.Contains(dns.QueriesFor("tcp.example.com"), DnsServer.IsOverTcp);
        Assert.DoesNotContain(dns.QueriesFor("a.example.com"), DnsServer.IsOverTcp);
    }

    [Fact]
    public void TwoServersRunSideBySideAndStopOnDispose()
    {
        using var one = DnsServer.StartWithZone("one.example. IN A 192.0.2.1");
        int port;
        using (var two = DnsServer.StartWithZone("two.example. IN A 192.0.2.2"))
        {
            port = two.Port;
            Assert.NotEqual(one.Port, two.Port);
            Assert.Equal("192.0.2.2", two.Dig("+short", "A", "two.example").StandardOutput.Trim());
            Assert.Contains("NXDOMAIN", two.Dig("A", "one.example").StandardOutput);
        }
        Assert.Equal("192.0.2.1", one.Dig("+short", "A", "one.example").StandardOutput.Trim());
        var gone = ProcessRunner.Run("dig", ["@127.0.0.1", "-p", port.ToString(), "+time=1", "+tries=1", "A", "two.example"]);
        Assert.DoesNotContain("192.0.2.2", gone.StandardOutput);
    }

    [Fact]
    public void ServesTheRepositoryExampleZoneFile()
    {
        using var dns = DnsServer.StartWithZoneFiles(PeerScripts.Path("examples/example.zone"));
        var mx = dns.Dig("+short", "MX", "example.com");
        Assert.Equal("10 mx.example.com.", mx.StandardOutput.Trim());
    }
}
