using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Milters.Abstractions;
using Milters.DomainKeys.Canonicalization;
using Milters.DomainKeys.Signing;
using Milters.DomainKeys.Tests.Support;

namespace Milters.DomainKeys.Tests;

/// <summary>
/// The four DomainKeys signing vectors of Mail::DKIM's t/signer_dk.t (tests/data/domainkeys/signing):
/// RSA PKCS#1 v1.5 is deterministic, so the signature over sample.eml must equal Mail::DKIM's byte for byte,
/// and the canonical form must equal the one checked with openssl.
/// </summary>
public sealed class SigningVectorTests
{
    public static IEnumerable<object[]> Vectors()
    {
        using var doc = TestData.Json("signing/signing-vectors.json");
        var i = 0;
        foreach (var _ in doc.RootElement.GetProperty("vectors").EnumerateArray()) yield return [i++];
    }

    private static JsonElement Vector(int i)
    {
        using var doc = TestData.Json("signing/signing-vectors.json");
        return doc.RootElement.GetProperty("vectors")[i].Clone();
    }

    private static (MessageSigner Signer, BufferSink Canonical) Prepare(JsonElement v, TestMessage message)
    {
        CanonicalizationNames.TryParse(v.GetProperty("canonicalization").GetString(), out var c);
        var h = v.GetProperty("h").ValueKind == JsonValueKind.Null ? null : v.GetProperty("h").GetString()!.Split(':');
        var omit = h is null ? new List<string>() : message.Headers.Select(x => x.Name).Where(n => !h.Contains(n, StringComparer.OrdinalIgnoreCase)).ToList();
        var signer = new MessageSigner(c, message.Headers, omit, writeHeaderList: false);
        // The same canonical form once more, into a buffer, to compare with the vector's text.
        var canonical = new BufferSink();
        foreach (var field in message.Headers.Where(x => !omit.Contains(x.Name))) HeaderCanonicalizer.Write(c, field, canonical);
        var body = BodyCanonicalizer.Create(c, canonical);
        body.Write(message.Body);
        body.Finish();
        return (signer, canonical);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Canonical_form_matches(int index)
    {
        var v = Vector(index);
        var (_, canonical) = Prepare(v, TestMessage.Parse(TestData.Bytes("signing/sample.eml")));
        Assert.Equal(v.GetProperty("canonicalized_input_text").GetString(), Encoding.UTF8.GetString(canonical.ToArray()));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Signature_matches_mail_dkim_byte_for_byte(int index)
    {
        var v = Vector(index);
        var message = TestMessage.Parse(TestData.Bytes("signing/sample.eml"));
        var (signer, _) = Prepare(v, message);
        signer.Body(message.Body);
        using var key = RSA.Create();
        key.ImportFromPem(File.ReadAllText(TestData.PathOf("signing/test.key")));
        var b = Convert.ToBase64String(MessageSigner.Sign(key, signer.Finish()));
        var expected = v.GetProperty("signature_value").GetString()!;
        Assert.Equal(expected[(expected.IndexOf("b=", StringComparison.Ordinal) + 2)..], b);
        Assert.StartsWith(v.GetProperty("source_expected_b_prefix").GetString()!, b);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task Vector_signature_verifies_with_the_published_key(int index)
    {
        var v = Vector(index);
        var dns = new Milters.Testing.Dns.InMemoryDnsResolver();
        using var doc = TestData.Json("signing/signing-vectors.json");
        dns.AddTxt("test8._domainkey.messiah.edu", TestData.SplitIntoStrings(doc.RootElement.GetProperty("public_key_txt").GetString()!));
        // Signature header as Mail::DKIM writes it, above the message.
        var signed = Encoding.UTF8.GetBytes("DomainKey-Signature: " + v.GetProperty("signature_value").GetString() + "\r\n")
            .Concat(TestData.Bytes("signing/sample.eml")).ToArray();
        var r = Assert.Single(await CorpusTests.VerifyAsync(signed, dns));
        Assert.Equal(AuthResultCode.Pass, r.Result);
    }
}
