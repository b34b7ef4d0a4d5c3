using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Milters.Host.Hosting;
using Milters.Host.Keys;
using Milters.Host.Tests.Hosting;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Keys;

[SupportedOSPlatform("linux")]
public class KeyTableTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempDir dir = new("hkey");
    private readonly CapturingLoggerProvider logs = new();

    public void Dispose() => dir.Dispose();

    private string WriteKey(string name, string pem, UnixFileMode mode = OwnerOnly)
    {
        var path = dir[name];
        File.WriteAllText(path, pem);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static IConfiguration Config(JsonObject keys)
    {
        var json = new JsonObject { ["Keys"] = keys }.ToJsonString();
        return new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
    }

    private SigningKeyTable Load(JsonObject keys) =>
        SigningKeyTable.Load(KeyTableOptions.FromConfiguration(Config(keys)), logs.CreateLogger<KeyTableTests>());

    private static JsonObject Entry(string domain, string selector, string keyFile, params string[] senders)
    {
        var o = new JsonObject { ["Domain"] = domain, ["Selector"] = selector, ["KeyFile"] = keyFile };
        if (senders.Length > 0) o["Senders"] = new JsonArray(senders.Select(s => (JsonNode)s).ToArray());
        return o;
    }

    [Fact]
    public void Loads_pkcs1_and_pkcs8_keys_that_sign_like_the_originals()
    {
        using var rsa1 = RSA.Create(1024);
        using var rsa8 = RSA.Create(2048);
        var pkcs1 = WriteKey("one.pem", rsa1.ExportRSAPrivateKeyPem());
        var pkcs8 = WriteKey("eight.pem", rsa8.ExportPkcs8PrivateKeyPem());
        Assert.Contains("BEGIN RSA PRIVATE KEY", File.ReadAllText(pkcs1));
        Assert.Contains("BEGIN PRIVATE KEY", File.ReadAllText(pkcs8));

        var table = Load(new JsonObject
        {
            ["Table"] = new JsonArray(Entry("example.com", "betatest", pkcs1), Entry("example.org", "s2048", pkcs8)),
        });

        Assert.Equal(2, table.AllKeys.Count);
        var k1 = table.AllKeys[0];
        Assert.Equal(("example.com", "betatest", pkcs1, 1024), (k1.Domain, k1.Selector, k1.KeyFile, k1.KeySizeBits));
        Assert.Equal(2048, table.AllKeys[1].KeySizeBits);

        var data = "DomainKeys"u8.ToArray();
        var signature = k1.PrivateKey.SignData(data, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
        Assert.True(rsa1.VerifyData(data, signature, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1));
        Assert.Empty(logs.Lines);
    }

    [Fact]
    public void Missing_key_file_is_a_startup_error_naming_the_path()
    {
        var path = dir["absent.pem"];
        var e = Assert.Throws<StartupException>(() => Load(new JsonObject { ["Table"] = new JsonArray(Entry("example.com", "s", path)) }));
        Assert.Equal($"key file {path} not found", e.Message);
    }

    [Fact]
    public void Group_readable_key_warns_and_strict_refuses()
    {
        using var rsa = RSA.Create(1024);
        var path = WriteKey("loose.pem", rsa.ExportRSAPrivateKeyPem(), OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var table = Load(new JsonObject { ["Table"] = new JsonArray(Entry("example.com", "s", path)) });
        Assert.Single(table.AllKeys);
        Assert.True(logs.Contains(LogLevel.Warning, $"key file {path} is accessible by group or others (mode 0644)"), logs.ToString());

        var e = Assert.Throws<StartupException>(() => Load(new JsonObject { ["Strict"] = true, ["Table"] = new JsonArray(Entry("example.com", "s", path)) }));
        Assert.Equal($"key file {path} is accessible by group or others (mode 0644); chmod 600 it (Keys:Strict is true)", e.Message);
    }

    [Fact]
    public void Key_below_1024_bits_is_refused()
    {
        var path = dir["small.pem"];
        var made = ProcessRunner.Run("openssl", ["genrsa", "-out", path, "768"], TimeSpan.FromSeconds(60));
        Assert.True(made.Succeeded, made.ToString());
        File.SetUnixFileMode(path, OwnerOnly);
        var e = Assert.Throws<StartupException>(() => Load(new JsonObject { ["Table"] = new JsonArray(Entry("example.com", "s", path)) }));
        Assert.StartsWith($"key file {path} holds a 768-bit key; at least 1024 bits are required (make a new key and selector: milters genkey", e.Message);
    }

    [Fact]
    public void Public_key_and_garbage_are_refused_without_quoting_the_file()
    {
        using var rsa = RSA.Create(1024);
        var pub = WriteKey("pub.pem", rsa.ExportSubjectPublicKeyInfoPem());
        var e = Assert.Throws<StartupException>(() => Load(new JsonObject { ["Table"] = new JsonArray(Entry("example.com", "s", pub)) }));
        Assert.Equal($"key file {pub} holds a public key, not a private key", e.Message);

        var junk = WriteKey("junk.pem", "secret-looking-bytes");
        e = Assert.Throws<StartupException>(() => Load(new JsonObject { ["Table"] = new JsonArray(Entry("example.com", "s", junk)) }));
        Assert.Contains("holds no RSA private key in PEM form", e.Message);
        Assert.DoesNotContain("secret-looking-bytes", e.Message);
    }

    [Fact]
    public void Encrypted_key_is_refused_with_advice()
    {
        using var rsa = RSA.Create(1024);
        var pem = rsa.ExportEncryptedPkcs8PrivateKeyPem("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000));
        var path = WriteKey("enc.pem", pem);
        var e = Assert.Throws<StartupException>(() => Load(new JsonObject { ["Table"] = new JsonArray(Entry("example.com", "s", path)) }));
        Assert.StartsWith($"key file {path} is encrypted", e.Message);
    }

    [Fact]
    public void Finds_keys_by_sender_pattern_in_table_order()
    {
        using var rsa = RSA.Create(1024);
        var path = WriteKey("k.pem", rsa.ExportRSAPrivateKeyPem());
        var table = Load(new JsonObject
        {
            ["Table"] = new JsonArray(
                Entry("example.com", "dflt", path),                          // Senders default: [Domain] = *@example.com
                Entry("example.com", "ceo", path, "boss@example.com"),
                Entry("example.com", "subs", path, "*.example.com"),
                Entry("example.net", "subs2", path, "*@*.example.net", "user@*.example.org"),
                Entry("catchall.example", "all", path, "*")),
        });

        string[] Selectors(string address) => table.FindKeys(address).Select(k => k.Selector).ToArray();

        Assert.Equal(["dflt", "all"], Selectors("alice@example.com"));
        Assert.Equal(["dflt", "ceo", "all"], Selectors("BOSS@Example.COM"));
        Assert.Equal(["subs", "all"], Selectors("bob@mail.example.com"));
        Assert.Equal(["all"], Selectors("bob@notexample.com"));
        Assert.Equal(["subs2", "all"], Selectors("x@a.b.example.net"));
        Assert.Equal(["all"], Selectors("x@example.net"));
        Assert.Equal(["subs2", "all"], Selectors("user@lists.example.org"));
        Assert.Equal(["all"], Selectors("other@lists.example.org"));
        // One RSA object per key file, shared by the entries naming it.
        Assert.Same(table.AllKeys[0].PrivateKey, table.AllKeys[1].PrivateKey);
    }

    /// <summary>dk-filter's key list and OpenDKIM's SigningTable sign once, with the first match: Keys:MultipleSignatures false.</summary>
    [Fact]
    public void Without_multiple_signatures_the_first_matching_entry_alone_signs()
    {
        using var rsa = RSA.Create(1024);
        var path = WriteKey("k.pem", rsa.ExportRSAPrivateKeyPem());
        var table = Load(new JsonObject
        {
            ["MultipleSignatures"] = false,
            ["Table"] = new JsonArray(
                Entry("example.com", "ceo", path, "boss@example.com"),
                Entry("example.com", "dflt", path),
                Entry("catchall.example", "all", path, "*")),
        });
        Assert.Equal(["ceo"], table.FindKeys("boss@example.com").Select(k => k.Selector));
        Assert.Equal(["dflt"], table.FindKeys("alice@example.com").Select(k => k.Selector));
        Assert.Equal(["all"], table.FindKeys("x@catchall.example").Select(k => k.Selector));
        // The catch-all's key cannot sign for example.org (d= would not be the sender's domain): nothing, not a bad signature.
        Assert.Empty(table.FindKeys("x@example.org"));

        // A catch-all first does not hide a later entry that can sign for the sender.
        var catchAllFirst = Load(new JsonObject
        {
            ["MultipleSignatures"] = false,
            ["Table"] = new JsonArray(Entry("catchall.example", "all", path, "*"), Entry("example.com", "dflt", path)),
        });
        Assert.Equal(["dflt"], catchAllFirst.FindKeys("alice@example.com").Select(k => k.Selector));
    }

    [Theory]
    [InlineData("@example.com", "nothing before '@'")]
    [InlineData("a@b@", "is not a sender pattern")]
    [InlineData("*.*.example.com", "is not a sender pattern")]
    public void Bad_sender_pattern_names_the_entry(string pattern, string why)
    {
        var e = Assert.Throws<StartupException>(() => KeyTableOptions.FromConfiguration(Config(new JsonObject
        {
            ["Table"] = new JsonArray(Entry("example.com", "s", "/x.pem", pattern)),
        })));
        Assert.StartsWith("Keys:Table:0:Senders: ", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void Entry_without_selector_is_named()
    {
        var e = Assert.Throws<StartupException>(() => KeyTableOptions.FromConfiguration(Config(new JsonObject
        {
            ["Table"] = new JsonArray(new JsonObject { ["Domain"] = "example.com", ["KeyFile"] = "/x.pem" }),
        })));
        Assert.Equal("Keys:Table:0: Selector is missing", e.Message);
    }

    [Theory]
    [InlineData("exa mple.com", "s", "Domain \"exa mple.com\" is not a DNS name")]
    [InlineData("example..com", "s", "Domain \"example..com\" is not a DNS name")]
    [InlineData("example.com", "jan;2026", "Selector \"jan;2026\" is not a DNS name")]
    [InlineData("bücher.example", "s", "Domain \"bücher.example\" is not ASCII: write an internationalized name in A-labels; in A-labels: xn--bcher-kva.example")]
    public void A_domain_or_selector_that_cannot_be_a_DNS_name_is_refused(string domain, string selector, string why)
    {
        var e = Assert.Throws<StartupException>(() => KeyTableOptions.FromConfiguration(Config(new JsonObject
        {
            ["Table"] = new JsonArray(Entry(domain, selector, "/x.pem")),
        })));
        Assert.StartsWith("Keys:Table:0: " + why, e.Message);
    }

    [Fact]
    public void Selectors_with_dots_and_names_with_underscores_and_a_final_dot_are_taken()
    {
        var options = KeyTableOptions.FromConfiguration(Config(new JsonObject
        {
            ["Table"] = new JsonArray(Entry("Mail_Out.example.com.", "2026.q4-a", "/x.pem")),
        }));
        Assert.Equal(("Mail_Out.example.com", "2026.q4-a"), (options.Entries[0].Domain, options.Entries[0].Selector));
    }
}
