using System.Security.Cryptography;
using Milters.DomainKeys.Keys;
using Milters.Host.Commands;
using Milters.Testing.Peers;

namespace Milters.DomainKeys.Tests;

/// <summary>`milters genkey` and `milters testkey` (the latter against the real DNS server).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class KeyToolTests
{
    private static async Task<(int Code, string Out, string Err)> Run(ICliCommand command, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await command.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The zone-file record genkey wrote, as one TXT text (strings concatenated).</summary>
    private static string RecordText(string zone)
    {
        var strings = System.Text.RegularExpressions.Regex.Matches(zone, "\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.All(strings, s => Assert.True(s.Length <= 255));
        return string.Concat(strings);
    }

    [Fact]
    public async Task Genkey_writes_a_private_key_0600_and_a_matching_record()
    {
        using var dir = new TempDir("genkey");
        var (code, output, error) = await Run(new GenKeyCommand(), "--domain", "example.com", "--selector", "betatest", "--bits", "2048", "--out", dir.Path);
        Assert.True(code == 0, error);
        var keyPath = dir["betatest.key.pem"];
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
        var pem = File.ReadAllText(keyPath);
        Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----", pem);

        var zone = File.ReadAllText(dir["betatest.txt"]);
        Assert.StartsWith("betatest._domainkey IN TXT ( \"", zone);
        var text = RecordText(zone);
        Assert.True(text.Length > 255); // a 2048-bit key needs two strings
        Assert.True(KeyRecord.TryParse(text, out var record, out var parseError), parseError);
        using var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        Assert.Equal(2048, rsa.KeySize);
        Assert.Equal(rsa.ExportSubjectPublicKeyInfo(), record!.PublicKey!.ExportSubjectPublicKeyInfo());
        Assert.Contains("betatest._domainkey.example.com", output);

        // Never overwrites a key.
        Assert.Equal(1, (await Run(new GenKeyCommand(), "--domain", "example.com", "--selector", "betatest", "--out", dir.Path)).Code);
    }

    [Theory]
    [InlineData("--domain", "example.com")]
    [InlineData("--domain", "example.com", "--selector", "s", "--bits", "512")]
    [InlineData("--bogus")]
    public async Task Genkey_refuses_bad_arguments(params string[] args) =>
        Assert.Equal(64, (await Run(new GenKeyCommand(), args)).Code); // EX_USAGE, as the other commands

    [Fact]
    public async Task Testkey_checks_the_published_record_against_the_key()
    {
        using var dir = new TempDir("testkey");
        Assert.Equal(0, (await Run(new GenKeyCommand(), "--domain", "example.com", "--selector", "good", "--out", dir.Path, "--bits", "1024")).Code);
        Assert.Equal(0, (await Run(new GenKeyCommand(), "--domain", "example.com", "--selector", "other", "--out", dir.Path, "--bits", "1024")).Code);
        // Publish "good" correctly, "wrong" with the other key, "gone" revoked; the zone lines name absolute owners.
        var zone = File.ReadAllText(dir["good.txt"]).Replace("good._domainkey IN", "good._domainkey.example.com. IN")
            + File.ReadAllText(dir["other.txt"]).Replace("other._domainkey IN", "wrong._domainkey.example.com. IN")
            + "gone._domainkey.example.com. IN TXT \"k=rsa; p=\"\n"
            // The same key, published for DKIM only (as opendkim-genkey writes it): DomainKeys verifiers refuse it.
            + File.ReadAllText(dir["good.txt"]).Replace("good._domainkey IN", "dkimonly._domainkey.example.com. IN").Replace("\"k=rsa;", "\"v=DKIM1; h=sha256; k=rsa;");
        var options = new DnsServerOptions();
        options.ZoneTexts.Add(zone);
        options.ServFail.Add("sf._domainkey.example.com");
        using var dns = DnsServer.Start(options);
        var ns = new[] { "--nameserver", dns.Endpoint };

        var ok = await Run(new TestKeyCommand(), ["--domain", "example.com", "--selector", "good", "--key", dir["good.key.pem"], .. ns]);
        Assert.True(ok.Code == 0, ok.Err);
        Assert.Contains("matches", ok.Out);
        Assert.DoesNotContain("warning", ok.Err);

        var mismatch = await Run(new TestKeyCommand(), ["--domain", "example.com", "--selector", "wrong", "--key", dir["good.key.pem"], .. ns]);
        Assert.Equal(1, mismatch.Code);
        Assert.Contains("does not match", mismatch.Err);

        var revoked = await Run(new TestKeyCommand(), ["--domain", "example.com", "--selector", "gone", .. ns]);
        Assert.Equal(1, revoked.Code);
        Assert.Contains("revoked", revoked.Err);

        var dkimOnly = await Run(new TestKeyCommand(), ["--domain", "example.com", "--selector", "dkimonly", "--key", dir["good.key.pem"], .. ns]);
        Assert.Equal(1, dkimOnly.Code);
        Assert.Contains("does not allow sha1", dkimOnly.Err);

        var missing = await Run(new TestKeyCommand(), ["--domain", "example.com", "--selector", "nosuch", .. ns]);
        Assert.Equal(1, missing.Code);
        Assert.Contains("no key record", missing.Err);

        // A DNS failure is not a missing record: nothing is known yet.
        var servfail = await Run(new TestKeyCommand(), ["--domain", "example.com", "--selector", "sf", .. ns]);
        Assert.Equal(1, servfail.Code);
        Assert.Contains("DNS error, try again", servfail.Err);

        // Against the configuration's key table: every entry checked against its KeyFile (relative to the file).
        var config = dir["milters.json"];
        File.WriteAllText(config, """
            { "Keys": { "Table": [
                { "Domain": "example.com", "Selector": "good", "KeyFile": "good.key.pem" },
                { "Domain": "example.com", "Selector": "good", "KeyFile": "good.key.pem", "Senders": ["*"] },
                { "Domain": "example.com", "Selector": "wrong", "KeyFile": "good.key.pem" } ] } }
            """);
        var table = await Run(new TestKeyCommand(), ["--config", config, .. ns]);
        Assert.Equal(1, table.Code);
        Assert.Contains($"good._domainkey.example.com: matches {dir["good.key.pem"]}", table.Out);
        Assert.Contains("wrong._domainkey.example.com: the published key does not match", table.Err);
        Assert.Contains("1 of 2 key table entries", table.Err);

        var fromTable = await Run(new TestKeyCommand(), ["--config", config, "--domain", "example.com", "--selector", "good", .. ns]);
        Assert.True(fromTable.Code == 0, fromTable.Err);
        Assert.Contains($"matches {dir["good.key.pem"]}", fromTable.Out);

        // An option without its value is a usage error, not "check the whole table"; a damaged table does not stop
        // a check that names its key file.
        Assert.Equal(64, (await Run(new TestKeyCommand(), ["--config", config, "--domain"])).Code);
        File.WriteAllText(config, """{ "Keys": { "Table": [ { "Domain": "bad domain", "Selector": "s", "KeyFile": "k" } ] } }""");
        var named = await Run(new TestKeyCommand(), ["--config", config, "--domain", "example.com", "--selector", "good", "--key", dir["good.key.pem"], .. ns]);
        Assert.True(named.Code == 0, named.Err);

        File.WriteAllText(config, """{ "Keys": { "Table": [] } }""");
        Assert.Equal(2, (await Run(new TestKeyCommand(), ["--config", config, .. ns])).Code);
        Assert.Equal(64, (await Run(new TestKeyCommand(), ["--config", config, "--domain", "example.com", .. ns])).Code); // --selector missing: usage

        File.SetUnixFileMode(dir["good.key.pem"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var loose = await Run(new TestKeyCommand(), ["--domain", "example.com", "--selector", "good", "--key", dir["good.key.pem"], .. ns]);
        Assert.Equal(0, loose.Code);
        Assert.Contains("warning", loose.Err);
    }
}
