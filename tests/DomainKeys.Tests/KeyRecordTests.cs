using System.Security.Cryptography;
using Milters.DomainKeys.Keys;

namespace Milters.DomainKeys.Tests;

public sealed class KeyRecordTests
{
    private static readonly string P = Convert.ToBase64String(RSA.Create(1024).ExportSubjectPublicKeyInfo());

    [Fact]
    public void Parses_a_plain_record()
    {
        Assert.True(KeyRecord.TryParse($"k=rsa; p={P}", out var key, out var error), error);
        Assert.False(key!.IsRevoked);
        Assert.Equal(1024, key.PublicKey!.KeySize);
        Assert.False(key.Testing);
        Assert.True(key.AllowsLocalPart("anyone"));
    }

    [Fact]
    public void A_key_split_with_white_space_still_parses()
    {
        var split = P[..50] + " \t" + P[50..100] + "\r\n " + P[100..];
        Assert.True(KeyRecord.TryParse($"p={split}", out var key, out _));
        Assert.Equal(1024, key!.PublicKey!.KeySize);
    }

    [Fact]
    public void Empty_p_means_revoked()
    {
        Assert.True(KeyRecord.TryParse("k=rsa; p=", out var key, out _));
        Assert.True(key!.IsRevoked);
    }

    [Theory]
    [InlineData("t=y", true)]
    [InlineData("t=y:s", true)]
    [InlineData("t = y:n:extra", true)]
    [InlineData("t=s", false)]
    [InlineData("", false)]
    public void Testing_flag(string t, bool testing)
    {
        Assert.True(KeyRecord.TryParse($"{t}; p={P}", out var key, out _));
        Assert.Equal(testing, key!.Testing);
    }

    [Theory]
    [InlineData(null, "jlong", true)]
    [InlineData("", "jlong", true)]        // empty g= restricts nothing in DomainKeys
    [InlineData("jlong", "jlong", true)]
    [InlineData("jlong", "jlon", false)]
    [InlineData("jl*g", "jlong", true)]
    [InlineData("jl*g", "jlg", true)]
    [InlineData("jl*g", "jg", false)]
    [InlineData("*", "x", true)]
    public void Granularity(string? g, string local, bool allowed)
    {
        Assert.True(KeyRecord.TryParse((g is null ? "" : $"g={g}; ") + $"p={P}", out var key, out _));
        Assert.Equal(allowed, key!.AllowsLocalPart(local));
    }

    [Theory]
    [InlineData("k=dsa; p=AAAA", "unsupported key type")]
    [InlineData("k=rsa", "missing p=")]
    [InlineData("p=!!!", "not base64")]
    [InlineData("p=AAAA", "not an RSA public key")]
    [InlineData("k=rsa p=AAAA", "unsupported key type")] // no ";": k= is "rsa p=AAAA"
    public void Rejects_unusable_records(string text, string expected)
    {
        Assert.False(KeyRecord.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Ignores_dkim_tags_and_notes()
    {
        Assert.True(KeyRecord.TryParse($"v=DKIM1; h=sha256; s=email; n=hello%20there; p={P}", out var key, out _));
        Assert.Equal("hello%20there", key!.Notes);
    }
}
