using System.Text.Json;
using System.Text.Json.Nodes;
using Milters.Host.Commands;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.Operations;

/// <summary>
/// `milters verify` against a real DNS server (BIND on loopback): messages signed by Mail::DKIM
/// (tests/peers/perl-dk.sh) and by the DomainKeys plugin itself, SPF from published records.
/// </summary>
public sealed class VerifyCommandTests : IClassFixture<VerifyCommandTests.Zone>
{
    private const string Message =
        "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: quarterly numbers\r\n" +
        "Message-ID: <verify-1@example.com>\r\n\r\nHello Bob,\r\n\r\nthe numbers are in.\r\n";

    /// <summary>A DomainKeys key made by Mail::DKIM's helper, published with an SPF record in a real DNS server.</summary>
    public sealed class Zone : IDisposable
    {
        public Zone()
        {
            Dir = new TempDir("verify");
            PeerScripts.RunChecked("perl-dk.sh", ["keygen", "--selector", "dk1", "--domain", "example.com", "--out", Dir.Path]);
            KeyFile = Dir["dk1.key.pem"];
            var zone = File.ReadAllText(Dir["dk1.zone"]) + "\nexample.com. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n";
            Dns = DnsServer.StartWithZone(zone);
        }

        public TempDir Dir { get; }

        public string KeyFile { get; }

        public DnsServer Dns { get; }

        /// <summary>A configuration file: this DNS server, the repository's plugins, the key in the table.</summary>
        public string Config(string name)
        {
            var config = new JsonObject
            {
                ["Plugins"] = new JsonObject { ["Directory"] = Path.Combine(RepoPaths.HostOutput, "plugins") },
                ["Dns"] = new JsonObject { ["Servers"] = new JsonArray(Dns.Endpoint), ["Timeout"] = "00:00:03", ["Retries"] = 1 },
                ["Keys"] = new JsonObject
                {
                    ["Table"] = new JsonArray(new JsonObject { ["Domain"] = "example.com", ["Selector"] = "dk1", ["KeyFile"] = KeyFile }),
                },
                ["AuthResults"] = new JsonObject { ["AuthservId"] = "mx.example.org" },
                ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning" } },
            };
            var path = Dir[name];
            File.WriteAllText(path, config.ToJsonString());
            return path;
        }

        public void Dispose()
        {
            Dns.Dispose();
            Dir.Dispose();
        }
    }

    private readonly Zone zone;

    public VerifyCommandTests(Zone zone) => this.zone = zone;

    private async Task<(int Code, JsonNode Report, string Err)> Verify(string messageFile, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CommandLineApp.RunAsync(["verify", "--file", messageFile, "--config", zone.Config("milters.json"), "--json", .. args], stdout, stderr);
        Assert.True(stdout.ToString().Length > 0, $"no report; exit {code}; stderr: {stderr}");
        return (code, JsonNode.Parse(stdout.ToString())!, stderr.ToString());
    }

    private static JsonNode Plugin(JsonNode report, string name) =>
        report["plugins"]!.AsArray().Single(p => (string?)p!["name"] == name)!;

    private static IEnumerable<JsonNode> Results(JsonNode report, string plugin, string method) =>
        Plugin(report, plugin)["results"]!.AsArray().Where(r => (string?)r!["method"] == method).Select(r => r!);

    private string Write(string name, string text)
    {
        var path = zone.Dir[name];
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task A_message_signed_by_mail_dkim_verifies_with_the_dns_queries_listed()
    {
        var signed = PeerScripts.RunChecked("perl-dk.sh",
            ["sign", "--key", zone.KeyFile, "--selector", "dk1", "--domain", "example.com", "--method", "nofws"], stdin: Message).StandardOutput;
        Assert.StartsWith("DomainKey-Signature:", signed, StringComparison.Ordinal);

        var (code, report, err) = await Verify(Write("perl-signed.eml", signed), "--client-ip", "192.0.2.7", "--helo", "mail.example.com");
        Assert.True(code == 0, err);

        var dk = Assert.Single(Results(report, "DomainKeys", "domainkeys"));
        Assert.Equal("pass", (string?)dk["result"]);
        Assert.Equal("example.com", (string?)dk["properties"]!["header.d"]);
        var spf = Assert.Single(Results(report, "SenderId", "spf"));
        Assert.Equal("pass", (string?)spf["result"]);

        var dns = report["dns"]!.AsArray().Select(q => $"{q!["type"]} {q["name"]} {q["status"]}").ToList();
        Assert.Contains("TXT dk1._domainkey.example.com Ok", dns);
        Assert.Contains("TXT example.com Ok", dns);
        // …and they were real queries to the server.
        Assert.NotEmpty(zone.Dns.QueriesFor("dk1._domainkey.example.com"));

        var added = report["modifications"]!.AsArray().Select(m => (string)m!).ToList();
        var header = Assert.Single(added, m => m.Contains("Authentication-Results:", StringComparison.Ordinal));
        Assert.Contains("mx.example.org", header, StringComparison.Ordinal);
        Assert.Contains("domainkeys=pass", header, StringComparison.Ordinal);
        Assert.True((bool)report["verdict"]!["accepted"]!);
    }

    [Fact]
    public async Task A_changed_body_fails_and_the_text_report_says_so()
    {
        var signed = PeerScripts.RunChecked("perl-dk.sh",
            ["sign", "--key", zone.KeyFile, "--selector", "dk1", "--domain", "example.com", "--method", "simple"], stdin: Message).StandardOutput;
        var tampered = signed.Replace("the numbers are in.", "the numbers are out.", StringComparison.Ordinal);

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CommandLineApp.RunAsync(
            ["verify", "--file", Write("tampered.eml", tampered), "--config", zone.Config("milters.json"), "--client-ip", "192.0.2.7"], stdout, stderr);
        var text = stdout.ToString();
        Assert.True(code == 0, stderr.ToString()); // dk-filter's default for a bad signature: accept (DomainKeys:Actions:BadSignature)
        Assert.Contains("\nDomainKeys: continue\n  domainkeys=fail", text, StringComparison.Ordinal);
        Assert.Contains("TXT dk1._domainkey.example.com -> \"k=rsa; p=", text, StringComparison.Ordinal);
        Assert.Contains("verdict: accept", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mail_from_an_internal_host_is_signed_and_the_signature_verifies_with_mail_dkim_and_with_verify()
    {
        var unsigned = Write("unsigned.eml", Message);
        var (code, report, err) = await Verify(unsigned, "--client-ip", "127.0.0.1");
        Assert.True(code == 0, err);

        var insert = report["modifications"]!.AsArray().Select(m => (string)m!).Single(m => m.Contains("DomainKey-Signature:", StringComparison.Ordinal));
        // "insert header at 0: DomainKey-Signature: a=rsa-sha1; …" with folding as sent to the MTA.
        var field = insert[(insert.IndexOf("DomainKey-Signature:", StringComparison.Ordinal))..];
        Assert.Contains("s=dk1", field, StringComparison.Ordinal);
        var signed = field.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n" + Message;

        var perl = PeerScripts.Run("perl-dk.sh", ["verify", "--dns-port", zone.Dns.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], stdin: signed);
        Assert.True(perl.Succeeded, perl.ToString());
        Assert.Contains("result=pass", perl.StandardOutput, StringComparison.Ordinal);

        var (again, report2, err2) = await Verify(Write("self-signed.eml", signed), "--client-ip", "192.0.2.7");
        Assert.True(again == 0, err2);
        Assert.Equal("pass", (string?)Assert.Single(Results(report2, "DomainKeys", "domainkeys"))["result"]);
    }

    [Fact]
    public async Task A_rejecting_policy_exits_with_2_and_names_the_reply()
    {
        var (code, report, _) = await Verify(Write("spf-fail.eml", Message), "--client-ip", "198.51.100.9", "--SenderId:RejectMode=2");
        Assert.Equal(VerifyCommand.ExitNotAccepted, code);
        Assert.Equal("fail", (string?)Assert.Single(Results(report, "SenderId", "spf"))["result"]);
        Assert.StartsWith("reject 550", (string?)report["verdict"]!["text"], StringComparison.Ordinal);
        Assert.False((bool)report["verdict"]!["accepted"]!);
    }

    /// <summary>--mail-from as SMTP writes it: "&lt;&gt;" is the null sender (the HELO name is checked), "&lt;a@b&gt;" is a@b.</summary>
    [Theory]
    [InlineData("<>", "smtp.helo=example.com")]
    [InlineData("<someone@example.com>", "smtp.mailfrom=example.com")]
    [InlineData("someone@example.com", "smtp.mailfrom=example.com")]
    public async Task The_envelope_sender_may_be_given_with_angle_brackets(string mailFrom, string property)
    {
        var (_, report, err) = await Verify(Write("brackets.eml", Message), "--client-ip", "192.0.2.7", "--helo", "example.com", "--mail-from", mailFrom);
        var spf = Assert.Single(Results(report, "SenderId", "spf"));
        Assert.True((string?)spf["result"] == "pass", spf.ToJsonString() + err);
        var (key, value) = (property[..property.IndexOf('=')], property[(property.IndexOf('=') + 1)..]);
        Assert.Equal(value, (string?)spf["properties"]![key]);
    }

    [Fact]
    public void The_built_program_reads_the_message_from_stdin()
    {
        var (file, prefix) = MilterProcess.HostCommand();
        var result = ProcessRunner.Run(file, [.. prefix, "verify", "--config", zone.Config("stdin.json"), "--client-ip", "192.0.2.7", "--json"],
            TimeSpan.FromMinutes(1), stdin: Message);
        Assert.True(result.Succeeded, result.ToString());
        using var doc = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal("(stdin)", doc.RootElement.GetProperty("message").GetString());
        Assert.Equal<string>(["DomainKeys", "SenderId", "AuthResults"],
            doc.RootElement.GetProperty("plugins").EnumerateArray().Select(p => p.GetProperty("name").GetString() ?? "").ToArray());
    }

    [Fact]
    public async Task A_file_without_header_fields_is_a_usage_error()
    {
        var stderr = new StringWriter();
        var code = await CommandLineApp.RunAsync(["verify", "--file", Write("empty.eml", "\r\nbody only\r\n")], new StringWriter(), stderr);
        Assert.Equal(CommandLineApp.ExitUsage, code);
        Assert.Contains("has no header fields", stderr.ToString(), StringComparison.Ordinal);
    }
}
