using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Milters.Testing.Peers;
using Xunit.Abstractions;

namespace Milters.Integration.Tests.AuthResults;

/// <summary>
/// DomainKeys, SenderId and AuthResults loaded together behind real Postfix and Sendmail, DNS from a real server:
/// a message signed by Mail::DKIM (an independent signer) from a client the SPF and Sender ID records authorize
/// gets ONE Authentication-Results header carrying every method's result, in the configured plugin order.
/// </summary>
[Collection(MtaCollection.Name)]
public sealed class AuthResultsEndToEndTests : IClassFixture<AuthResultsEndToEndTests.Peers>
{
    private const string Domain = "e2e.ar.test";
    private const string Selector = "dk1";
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(60);
    private readonly Peers peers;
    private readonly ITestOutputHelper output;

    public AuthResultsEndToEndTests(Peers peers, ITestOutputHelper output)
    {
        this.peers = peers;
        this.output = output;
    }

    /// <summary>A DomainKeys key made by Mail::DKIM's side, published with SPF and Sender ID records for 127.0.0.1 (swaks).</summary>
    public sealed class Peers : IDisposable
    {
        public Peers()
        {
            Dir = new TempDir("ar-e2e");
            PeerScripts.RunChecked("perl-dk.sh", ["keygen", "--selector", Selector, "--domain", Domain, "--out", Dir.Path]);
            var options = new DnsServerOptions();
            options.ZoneFiles.Add(Dir[$"{Selector}.zone"]);
            options.ZoneTexts.Add($"""
                $TTL 60
                {Domain}.   IN TXT "v=spf1 ip4:127.0.0.1 -all"
                {Domain}.   IN TXT "spf2.0/pra ip4:127.0.0.1 -all"
                """);
            Dns = DnsServer.Start(options);
        }

        public TempDir Dir { get; }
        public DnsServer Dns { get; }

        /// <summary>The message signed by Mail::DKIM (DomainKeys, nofws) with the published key.</summary>
        public string Sign(string message)
        {
            var input = Dir[$"msg-{Guid.NewGuid():N}.eml"];
            File.WriteAllText(input, message);
            var r = ProcessRunner.Run("bash", ["-c",
                $"bash '{PeerScripts.Path("perl-dk.sh")}' sign --key '{Dir[$"{Selector}.key.pem"]}' --selector {Selector} --domain {Domain} --method nofws < '{input}'"],
                TimeSpan.FromMinutes(2));
            Assert.True(r.Succeeded, r.ToString());
            Assert.StartsWith("DomainKey-Signature:", r.StandardOutput);
            return r.StandardOutput;
        }

        public void Dispose()
        {
            Dns.Dispose();
            Dir.Dispose();
        }
    }

    private const string PythonReader = """
        import sys, authres
        h = authres.AuthenticationResultsHeader.parse(sys.stdin.read())
        print(h.authserv_id)
        for r in h.results: print("%s=%s" % (r.method, r.result))
        """;

    private static IReadOnlyList<string> ReadWithPythonAuthres(string unfoldedField)
    {
        if (ProcessRunner.Run("/usr/bin/python3", ["-c", "import authres"], TimeSpan.FromMinutes(1)).ExitCode != 0)
        {
            var install = ProcessRunner.Run("apt-get", ["install", "-y", "--no-install-recommends", "python3-authres"], TimeSpan.FromMinutes(5),
                null, new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" });
            Assert.True(install.Succeeded, install.ToString());
        }
        var r = ProcessRunner.Run("/usr/bin/python3", ["-c", PythonReader], TimeSpan.FromMinutes(1), unfoldedField);
        Assert.True(r.Succeeded, r.ToString());
        var lines = r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(AuthResultsMilter.AuthservId, lines[0]);
        return lines[1..];
    }

    private MilterProcess StartMilter(params string[] order)
    {
        var plugins = Path.Combine(RepoPaths.HostOutput, "plugins");
        foreach (var name in new[] { "DomainKeys", "SenderId", "AuthResults" })
            if (!File.Exists(Path.Combine(plugins, name, name + ".dll")))
                throw new PeerException($"plugin {name} is not built into {plugins} (run: dotnet build Milters.sln -c {RepoPaths.Configuration})");
        return MilterProcess.Start(new MilterProcessOptions
        {
            Config = new JsonObject
            {
                ["Plugins"] = new JsonObject { ["Directory"] = plugins, ["Order"] = new JsonArray([.. order.Select(o => (JsonNode)o)]) },
                ["Dns"] = new JsonObject { ["Servers"] = new JsonArray(peers.Dns.Endpoint), ["Timeout"] = "00:00:02", ["Retries"] = 1, ["UseCache"] = false },
                ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Debug" } },
                // Verify only: swaks connects from 127.0.0.1, which dk-filter's rules would otherwise treat as ours to sign.
                ["DomainKeys"] = new JsonObject { ["Mode"] = "v" },
                ["SenderId"] = new JsonObject(),
                ["AuthResults"] = new JsonObject { ["AuthservId"] = AuthResultsMilter.AuthservId, ["InternalHosts"] = new JsonArray("192.0.2.255/32") },
            },
        });
    }

    public static TheoryData<MtaKind, string[], string[]> Orders()
    {
        var data = new TheoryData<MtaKind, string[], string[]>();
        foreach (var mta in new[] { MtaKind.Postfix, MtaKind.Sendmail })
        {
            data.Add(mta, ["DomainKeys", "SenderId", "AuthResults"], ["domainkeys", "sender-id", "spf"]);
            data.Add(mta, ["SenderId", "DomainKeys", "AuthResults"], ["sender-id", "spf", "domainkeys"]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void One_header_carries_every_method_in_the_configured_order(MtaKind kind, string[] order, string[] methods)
    {
        using var milter = StartMilter(order);
        using var mta = MtaInstance.Start(kind, milter.Socket);
        var subject = $"e2e {string.Join('-', order)} {Guid.NewGuid():N}";
        var message = peers.Sign(
            $"From: Alice <alice@{Domain}>\r\nTo: bob@example.org\r\nSubject: {subject}\r\n" +
            $"Message-ID: <{Guid.NewGuid():N}@{Domain}>\r\nDate: Sun, 29 Nov 2026 17:00:00 +0000\r\n" +
            // A forged header for our authserv-id that claims the opposite: it must not survive.
            $"Authentication-Results: {AuthResultsMilter.AuthservId}; domainkeys=fail header.d=forged.example\r\n" +
            "\r\nHello Bob,\r\nsigned by Mail::DKIM.\r\n");

        var sent = mta.Send(new SwaksMessage { From = $"alice@{Domain}", Helo = "client.example.net", Data = message });

        var why = $"{sent}\n{mta.Describe()}\n--- milter ---\n{milter.Output}";
        Assert.True(sent.Accepted, why);
        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        var ar = Assert.Single(delivered.HeaderValues("Authentication-Results"));
        why = $"{ar}\n{delivered.Raw}\n--- milter ---\n{milter.Output}";

        Assert.True(ar.StartsWith(AuthResultsMilter.AuthservId + ";"), why);
        Assert.True(methods.SequenceEqual(Regex.Matches(ar, @"(?:^|;\s*)([a-z-]+)=").Select(m => m.Groups[1].Value)), why);
        Assert.True(ar.Contains($"domainkeys=pass header.d={Domain} header.s={Selector} header.from=alice@{Domain}"), why);
        Assert.True(ar.Contains($"sender-id=pass header.from=alice@{Domain}"), why);
        Assert.True(ar.Contains($"spf=pass smtp.mailfrom={Domain}"), why);
        Assert.DoesNotContain("forged.example", delivered.Raw);

        // Folded as written: every line of the delivered field fits in 78 characters.
        var field = delivered.Headers.Single(h => h.Name.Equals("Authentication-Results", StringComparison.OrdinalIgnoreCase));
        output.WriteLine($"{kind}: Authentication-Results:{field.Value}");

        // An independent reader of the delivered header: Debian's python3-authres (installed with apt-get if missing).
        Assert.Equal(methods.Select(m => m + "=pass"), ReadWithPythonAuthres("Authentication-Results: " + ar));
        Assert.All(("Authentication-Results:" + field.Value).Replace("\r\n", "\n").Split('\n'), l => Assert.True(l.Length <= 78, l));
    }
}
