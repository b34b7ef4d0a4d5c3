using System.Net;
using Milters.Host.Dns;
using Milters.SenderId.Spf;
using Milters.Testing.Peers;

namespace Milters.SenderId.Tests.Peers;

/// <summary>
/// A real DNS server (BIND via tests/peers/dns.sh) serving a table of SPF / Sender ID records, with one name
/// that answers SERVFAIL and one whose queries are dropped. Shared by the tests of one class.
/// </summary>
public sealed class PeerZone : IDisposable
{
    public const string Zone = """
        $TTL 60
        pass.sid.example.       IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
        soft.sid.example.       IN TXT "v=spf1 ip4:192.0.2.1 ~all"
        neutral.sid.example.    IN TXT "v=spf1 ?all"
        amx.sid.example.        IN TXT "v=spf1 a mx/24 -all"
        amx.sid.example.        IN A   192.0.2.50
        amx.sid.example.        IN MX  10 mx1.sid.example.
        mx1.sid.example.        IN A   198.51.100.20
        v6.sid.example.         IN TXT "v=spf1 ip6:2001:db8::/48 a -all"
        v6.sid.example.         IN AAAA 2001:db8:1::5
        inc.sid.example.        IN TXT "v=spf1 include:pass.sid.example -all"
        incnone.sid.example.    IN TXT "v=spf1 include:nothing.sid.example -all"
        redir.sid.example.      IN TXT "v=spf1 redirect=soft.sid.example"
        exists.sid.example.     IN TXT "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all"
        5.2.0.192.bob._spf.exists.sid.example. IN A 127.0.0.2
        ptr.sid.example.        IN TXT "v=spf1 ptr -all"
        host.ptr.sid.example.   IN A   192.0.2.77
        77.2.0.192.in-addr.arpa. IN PTR host.ptr.sid.example.
        78.2.0.192.in-addr.arpa. IN PTR unrelated.other.example.
        78.2.0.192.in-addr.arpa. IN PTR host2.ptr.sid.example.
        host2.ptr.sid.example.  IN A   192.0.2.78
        mxvoid.sid.example.     IN TXT "v=spf1 mx -all"
        mxvoid.sid.example.     IN MX  10 a1.nx.sid.example.
        mxvoid.sid.example.     IN MX  20 a2.nx.sid.example.
        mxvoid.sid.example.     IN MX  30 a3.nx.sid.example.
        pmacro.sid.example.     IN TXT "v=spf1 exists:%{p}.allow.sid.example -all"
        host.ptr.sid.example.allow.sid.example. IN A 127.0.0.2
        multi.sid.example.      IN TXT "v=spf1 -all"
        multi.sid.example.      IN TXT "v=spf1 +all"
        syntax.sid.example.     IN TXT "v=spf1 ip4:192.0.2.300 -all"
        split.sid.example.      IN TXT "v=spf1 ip4:203.0.113.1" " ip4:203.0.113.2 -all"
        loop.sid.example.       IN TXT "v=spf1 include:loop.sid.example -all"
        void.sid.example.       IN TXT "v=spf1 a:n1.sid.example a:n2.sid.example a:n3.sid.example -all"
        limit.sid.example.      IN TXT "v=spf1 a:l1.sid.example a:l2.sid.example a:l3.sid.example a:l4.sid.example a:l5.sid.example a:l6.sid.example a:l7.sid.example a:l8.sid.example a:l9.sid.example a:l10.sid.example a:l11.sid.example -all"
        l1.sid.example. IN A 10.0.0.1
        l2.sid.example. IN A 10.0.0.2
        l3.sid.example. IN A 10.0.0.3
        l4.sid.example. IN A 10.0.0.4
        l5.sid.example. IN A 10.0.0.5
        l6.sid.example. IN A 10.0.0.6
        l7.sid.example. IN A 10.0.0.7
        l8.sid.example. IN A 10.0.0.8
        l9.sid.example. IN A 10.0.0.9
        l10.sid.example. IN A 10.0.0.10
        l11.sid.example. IN A 192.0.2.5
        pra.sid.example.        IN TXT "spf2.0/pra ip4:192.0.2.0/24 -all"
        pra.sid.example.        IN TXT "v=spf1 -all"
        both.sid.example.       IN TXT "spf2.0/mfrom,pra ip4:198.51.100.0/24 -all"
        both.sid.example.       IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
        v2only.sid.example.     IN TXT "spf2.0/mfrom,pra ip4:198.51.100.0/24 -all"
        nodata.sid.example.     IN A   192.0.2.9
        helo.sid.example.       IN TXT "v=spf1 a -all"
        helo.sid.example.       IN A   192.0.2.60
        expl.sid.example.       IN TXT "v=spf1 -all exp=why.sid.example"
        why.sid.example.        IN TXT "%{i} is not one of %{d}'s servers"
        broken.sid.example.     IN TXT "v=spf1 include:fail.servfail.sid.example -all"
        slowinc.sid.example.    IN TXT "v=spf1 include:x.slow.sid.example -all"
        """;

    private readonly DnsServer server;

    public PeerZone()
    {
        var options = new DnsServerOptions();
        options.ZoneTexts.Add(Zone);
        options.ServFail.Add("servfail.sid.example");
        options.Timeout.Add("slow.sid.example");
        server = DnsServer.Start(options);
    }

    public DnsServer Server => server;

    /// <summary>The host's own resolver pointed at the server: what the milter uses.</summary>
    public DnsClientResolver Resolver(TimeSpan? timeout = null, int retries = 1) =>
        new(new DnsOptions([IPEndPoint.Parse(server.Endpoint)], timeout ?? TimeSpan.FromSeconds(2), retries, UseCache: false));

    public SpfEvaluator Evaluator(SpfEvaluatorOptions? options = null, TimeSpan? timeout = null) => new(Resolver(timeout), options);

    public void Dispose() => server.Dispose();
}
