using System.Net;
using System.Text;
using Milters.Abstractions;
using Milters.DomainKeys.Tests.Support;
using Milters.Host.Dns;
using Milters.Testing.Peers;

namespace Milters.DomainKeys.Tests;

/// <summary>
/// Interop with an independent implementation, Perl's Mail::DKIM (tests/peers/perl-dk.sh), over the real DNS
/// server: what we sign verifies there, what it signs verifies here, and a one-byte change fails in both.
/// Cases: simple and nofws, with and without h=, folded headers, empty body, trailing blank lines, 8-bit
/// text, long lines.
/// </summary>
public sealed class PerlInteropTests : IClassFixture<PerlInteropTests.Peers>
{
    private readonly Peers peers;

    public PerlInteropTests(Peers peers) => this.peers = peers;

    /// <summary>One DNS server publishing our key (sel "ours") and a key made by Mail::DKIM's side (sel "perl").</summary>
    public sealed class Peers : IDisposable
    {
        public Peers()
        {
            Dir = new TempDir("dk-interop");
            PeerScripts.RunChecked("perl-dk.sh", ["keygen", "--selector", "perl", "--domain", "example.com", "--out", Dir.Path]);
            PeerScripts.RunChecked("perl-dk.sh", ["keygen", "--selector", "perlidn", "--domain", IdnDomain, "--out", Dir.Path]);
            var (key, record) = TestKeyTable.NewKey("example.com", "ours");
            var (idnKey, idnRecord) = TestKeyTable.NewKey(IdnDomain, "ours");
            Keys = new TestKeyTable().Add("*@example.com", key).Add("*@" + IdnDomain, idnKey);
            Dns = DnsServer.StartWithZone(ZoneText.Txt("ours._domainkey.example.com", record) + File.ReadAllText(Dir["perl.zone"]) +
                ZoneText.Txt("ours._domainkey." + IdnDomain, idnRecord) + File.ReadAllText(Dir["perlidn.zone"]));
            Resolver = new DnsClientResolver(new DnsOptions([IPEndPoint.Parse(Dns.Endpoint)], TimeSpan.FromSeconds(2), 1, UseCache: false));
        }

        public TempDir Dir { get; }
        internal TestKeyTable Keys { get; }
        public DnsServer Dns { get; }
        public IDnsResolver Resolver { get; }

        public void Dispose()
        {
            Dns.Dispose();
            Dir.Dispose();
        }
    }

    /// <summary>bücher.example in A-labels, as mail outside EAI writes it.</summary>
    private const string IdnDomain = "xn--bcher-kva.example";

    private const string Headers =
        "From: Alice Example <alice@example.com>\r\n" +
        "To: Bob <bob@example.org>\r\n" +
        "Subject: interop\r\n";

    public static IEnumerable<object[]> Messages()
    {
        yield return ["plain", Headers + "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\n\r\nHello Bob,\r\nhow are you?\r\n"];
        // From stays on one line: Mail::DKIM 1.20230212 takes the DomainKeys identity with /^(from|sender)\s*:(.*)$/,
        // which cannot match a folded field, so every signer's signature on a folded From is "bad identity" there.
        yield return ["folded headers", "From: Alice Example <alice@example.com>\r\nTo: Bob <bob@example.org>,\r\n\tCarol <carol@example.org>\r\nSubject: a subject\r\n  folded   twice\r\n\tand thrice\r\n\r\nbody  with   spaces\t and tabs \r\n"];
        yield return ["empty body", Headers + "\r\n"];
        yield return ["trailing blank lines", Headers + "\r\ntext\r\n\r\n\r\n \r\n\r\n"];
        yield return ["8-bit", "From: J\u00fcrgen <juergen@example.com>\r\nTo: b@example.org\r\nSubject: gr\u00fc\u00dfe \u00e0 tous\r\n\r\nH\u00e9llo w\u00f6rld \u20ac\r\n"];
        yield return ["long lines", Headers + "X-Long: " + string.Join(" ", Enumerable.Range(0, 200).Select(i => "word" + i)) + "\r\n\r\n" + new string('x', 3000) + "\r\n" + string.Join(" ", Enumerable.Repeat("y", 2000)) + "\r\n"];
        yield return ["Sender header", "From: boss@example.org\r\nSender: alice@example.com\r\nTo: b@example.org\r\nSubject: on behalf\r\n\r\nbody\r\n"];
    }

    public static IEnumerable<object[]> SignHereCases()
    {
        foreach (var m in Messages())
            foreach (var canon in new[] { "simple", "nofws" })
                foreach (var h in new[] { false, true })
                    yield return [m[0], canon, h];
    }

    private static string MessageText(string name) => (string)Messages().First(m => (string)m[0] == name)[1];

    private (bool Pass, string Output) PerlVerify(byte[] message)
    {
        var file = peers.Dir[$"verify-{Guid.NewGuid():N}.eml"];
        File.WriteAllBytes(file, message);
        var r = ProcessRunner.Run("bash", ["-c", $"bash '{PeerScripts.Path("perl-dk.sh")}' verify --dns-port {peers.Dns.Port} < '{file}'"], TimeSpan.FromMinutes(2));
        return (r.ExitCode == 0 && r.StandardOutput.Contains("result=pass"), r.Output);
    }

    private byte[] PerlSign(byte[] message, string method, string domain = "example.com", string selector = "perl")
    {
        var input = peers.Dir[$"sign-{Guid.NewGuid():N}.eml"];
        var output = input + ".signed";
        File.WriteAllBytes(input, message);
        var r = ProcessRunner.Run("bash", ["-c",
            $"bash '{PeerScripts.Path("perl-dk.sh")}' sign --key '{peers.Dir[selector + ".key.pem"]}' --selector {selector} --domain {domain} --method {method} < '{input}' > '{output}'"],
            TimeSpan.FromMinutes(2));
        Assert.True(r.Succeeded, r.ToString());
        return File.ReadAllBytes(output);
    }

    private static byte[] FlipOneByte(byte[] message, bool inBody)
    {
        var copy = (byte[])message.Clone();
        var bodyStart = copy.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
        int at;
        if (inBody && bodyStart < copy.Length - 2)
        {
            at = Array.FindIndex(copy, bodyStart, b => b is >= (byte)'a' and <= (byte)'z');
        }
        else
        {
            // The Subject's first letter: signed in every case.
            at = Encoding.Latin1.GetString(copy).IndexOf("Subject:", StringComparison.Ordinal) + 9;
            at = Array.FindIndex(copy, at, b => b is >= (byte)'a' and <= (byte)'z');
        }
        copy[at] = (byte)(copy[at] == (byte)'a' ? 'b' : 'a');
        return copy;
    }

    [Theory]
    [MemberData(nameof(SignHereCases))]
    public async Task We_sign_mail_dkim_verifies(string message, string canonicalization, bool headerList)
    {
        var filter = FilterFactory.Create(peers.Resolver, peers.Keys,
            new() { ["Canonicalization"] = canonicalization, ["IncludeHeaderList"] = headerList ? "true" : "false" });
        var context = TestContext.Internal();
        var original = TestMessage.Parse(MessageText(message));
        await context.RunAsync(filter, original, chunkSize: 7);
        var signed = context.Delivered(original).ToBytes();
        Assert.Contains(context.EditList.Queued, e => e.Name == "DomainKey-Signature");

        var (pass, output) = PerlVerify(signed);
        Assert.True(pass, output);
        Assert.Contains("signature type=DomainKeys d=example.com s=ours", output);

        var tampered = FlipOneByte(signed, inBody: MessageText(message).EndsWith("\r\n\r\n", StringComparison.Ordinal) is false);
        var (stillPass, tamperedOutput) = PerlVerify(tampered);
        Assert.False(stillPass, tamperedOutput);
        Assert.Contains("result=fail", tamperedOutput);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public async Task Mail_dkim_signs_we_verify(string message, string _)
    {
        foreach (var method in new[] { "simple", "nofws" })
        {
            var signed = PerlSign(Encoding.UTF8.GetBytes(MessageText(message)), method);
            Assert.StartsWith("DomainKey-Signature:", Encoding.Latin1.GetString(signed));
            var results = await CorpusTests.VerifyAsync(signed, peers.Resolver);
            var r = Assert.Single(results);
            Assert.True(r.Result == AuthResultCode.Pass, $"{method}: {r}");

            var tampered = FlipOneByte(signed, inBody: !MessageText(message).EndsWith("\r\n\r\n", StringComparison.Ordinal));
            var bad = Assert.Single(await CorpusTests.VerifyAsync(tampered, peers.Resolver));
            Assert.True(bad.Result == AuthResultCode.Fail, $"{method} tampered: {bad}");
        }
    }

    /// <summary>
    /// A tag name outside RFC 4870's grammar ("x-foo", "1x") is an unrecognized tag: Mail::DKIM ignores it and so do
    /// we (an independent review found such signatures permerror here and pass there).
    /// </summary>
    [Theory]
    [InlineData("x-foo=bar; ")]
    [InlineData("1x=bar; ")]
    public async Task An_odd_tag_name_in_the_signature_is_ignored_on_both_sides(string extra)
    {
        var signed = Encoding.Latin1.GetString(PerlSign(Encoding.UTF8.GetBytes(MessageText("plain")), "nofws"));
        const string field = "DomainKey-Signature: ";
        Assert.StartsWith(field, signed);
        var changed = Encoding.Latin1.GetBytes(field + extra + signed[field.Length..]);

        var (pass, output) = PerlVerify(changed);
        Assert.True(pass, output);
        var r = Assert.Single(await CorpusTests.VerifyAsync(changed, peers.Resolver));
        Assert.True(r.Result == AuthResultCode.Pass, r.ToString());
    }

    /// <summary>
    /// A domain in A-labels is the same string to both sides: MimeKit reads the From domain as U-labels, and an
    /// independent comparison found Mail::DKIM's good signature "bad identity" here and our own signing refused.
    /// </summary>
    [Fact]
    public async Task A_domain_in_A_labels_signs_and_verifies_on_both_sides()
    {
        var text = $"From: Alice <alice@{IdnDomain}>\r\nTo: b@example.org\r\nSubject: idn\r\n\r\nhello\r\n";

        var filter = FilterFactory.Create(peers.Resolver, peers.Keys, new() { ["Canonicalization"] = "nofws" });
        var context = TestContext.Internal();
        var original = TestMessage.Parse(text);
        await context.RunAsync(filter, original);
        var signed = context.Delivered(original).ToBytes();
        Assert.Contains(context.EditList.Queued, e => e.Name == "DomainKey-Signature");
        var (pass, output) = PerlVerify(signed);
        Assert.True(pass, output);
        Assert.Contains($"d={IdnDomain} s=ours", output);

        var theirs = PerlSign(Encoding.ASCII.GetBytes(text), "nofws", IdnDomain, "perlidn");
        var r = Assert.Single(await CorpusTests.VerifyAsync(theirs, peers.Resolver));
        Assert.True(r.Result == AuthResultCode.Pass, r.Reason);
        Assert.Contains(r.Properties!, p => p.ToString() == $"header.from=alice@{IdnDomain}");
    }
}
