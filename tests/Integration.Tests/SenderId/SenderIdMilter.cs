using System.Text.Json.Nodes;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.SenderId;

/// <summary>
/// The built host with the repository's SenderId and AuthResults plugins (laid out by the solution build into
/// the host's plugins folder), asking a real DNS server that serves <see cref="Zone"/>.
/// </summary>
internal static class SenderIdMilter
{
    public const string AuthservId = "mx.sid.test";

    /// <summary>127.0.0.1 is the SMTP client the MTAs see (swaks on loopback); 192.0.2.0/24 is used through the milter client.</summary>
    public const string Zone = """
        $TTL 60
        ok.sid.test.          IN TXT "v=spf1 ip4:127.0.0.1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
        ok.sid.test.          IN TXT "spf2.0/pra ip4:127.0.0.1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
        deny.sid.test.        IN TXT "v=spf1 ip4:198.51.100.1 -all"
        soft.sid.test.        IN TXT "v=spf1 ~all"
        helo.sid.test.        IN TXT "v=spf1 a -all"
        helo.sid.test.        IN A   192.0.2.25
        xn--bcher-kva.sid.test. IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
        xn--bcher-kva.sid.test. IN TXT "spf2.0/pra ip4:198.51.100.0/24 -all"
        xn--mnchen-3ya.sid.test. IN TXT "v=spf1 ip4:127.0.0.1 -all"
        v6.sid.test.          IN TXT "v=spf1 ip6:::1 -all"
        v6.sid.test.          IN TXT "spf2.0/pra ip6:::1 -all"
        """;

    public static DnsServer StartDns()
    {
        var o = new DnsServerOptions();
        o.ZoneTexts.Add(Zone);
        o.ServFail.Add("broken.sid.test");
        o.Timeout.Add("slow.sid.test");
        return DnsServer.Start(o);
    }

    public static MilterProcess Start(DnsServer dns, JsonObject? senderId = null)
    {
        var plugins = Path.Combine(RepoPaths.HostOutput, "plugins");
        foreach (var name in new[] { "SenderId", "AuthResults" })
        {
            if (!File.Exists(Path.Combine(plugins, name, name + ".dll")))
                throw new PeerException($"plugin {name} is not built into {plugins} (run: dotnet build Milters.sln -c {RepoPaths.Configuration})");
        }
        var options = new MilterProcessOptions
        {
            Config = new JsonObject
            {
                ["Plugins"] = new JsonObject { ["Directory"] = plugins, ["Order"] = new JsonArray("SenderId", "AuthResults") },
                ["Dns"] = new JsonObject { ["Servers"] = new JsonArray(dns.Endpoint), ["Timeout"] = "00:00:01", ["Retries"] = 1, ["UseCache"] = false },
                ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Debug" } },
                ["SenderId"] = senderId ?? new JsonObject(),
                ["AuthResults"] = new JsonObject { ["AuthservId"] = AuthservId },
            },
        };
        return MilterProcess.Start(options);
    }
}
