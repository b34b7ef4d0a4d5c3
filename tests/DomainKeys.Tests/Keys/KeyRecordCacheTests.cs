using System.Security.Cryptography;
using System.Text;
using Milters.DomainKeys.Keys;

namespace Milters.DomainKeys.Tests.Keys;

public sealed class KeyRecordCacheTests
{
    private static string Record(RSA rsa, string extra = "") =>
        $"k=rsa; {extra}p={Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())}";

    [Fact]
    public void Same_text_gives_the_same_parsed_record()
    {
        using var rsa = RSA.Create(1024);
        var cache = new KeyRecordCache();
        var text = Record(rsa);

        Assert.True(cache.TryGet(text, out var first, out var error), error);
        // A fresh string with the same text (as a new DNS answer would be) still hits.
        Assert.True(cache.TryGet(new string(text.AsSpan()), out var second, out _));

        Assert.Same(first, second);
        Assert.Same(first!.PublicKey, second!.PublicKey);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Different_text_gives_a_different_record()
    {
        using var rsa = RSA.Create(1024);
        var cache = new KeyRecordCache();

        Assert.True(cache.TryGet(Record(rsa), out var plain, out _));
        Assert.True(cache.TryGet(Record(rsa, "t=y; "), out var testing, out _));

        Assert.NotSame(plain, testing);
        Assert.False(plain!.Testing);
        Assert.True(testing!.Testing);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void A_record_that_does_not_parse_is_reported_and_not_kept()
    {
        var cache = new KeyRecordCache();

        Assert.False(cache.TryGet("k=rsa", out var record, out var error));
        Assert.Null(record);
        Assert.Contains("missing p=", error);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Revoked_record_is_cached_as_revoked()
    {
        var cache = new KeyRecordCache();
        Assert.True(cache.TryGet("k=rsa; p=", out var first, out _));
        Assert.True(cache.TryGet("k=rsa; p=", out var second, out _));
        Assert.True(first!.IsRevoked);
        Assert.Same(first, second);
    }

    [Fact]
    public void Bounded_it_empties_when_full_and_still_answers_correctly()
    {
        using var rsa = RSA.Create(1024);
        const int capacity = 4;
        var cache = new KeyRecordCache(capacity);
        // Same key, different notes: distinct texts without generating many keys.
        var texts = Enumerable.Range(0, capacity + 3).Select(i => Record(rsa, $"n=entry{i}; ")).ToArray();

        var seen = new List<KeyRecord>();
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.True(cache.TryGet(texts[i], out var r, out var error), error);
            Assert.Equal($"entry{i}", r!.Notes);
            Assert.InRange(cache.Count, 1, capacity);
            seen.Add(r);
        }

        // capacity entries filled it; the next one emptied it first.
        Assert.Equal(texts.Length - capacity, cache.Count);

        // A text from before the clear is parsed again: a new instance with the same content.
        Assert.True(cache.TryGet(texts[0], out var again, out _));
        Assert.NotSame(seen[0], again);
        Assert.Equal("entry0", again!.Notes);
        Assert.Equal(rsa.ExportSubjectPublicKeyInfo(), again.PublicKey!.ExportSubjectPublicKeyInfo());

        // One after the clear is still the cached instance.
        Assert.True(cache.TryGet(texts[^1], out var last, out _));
        Assert.Same(seen[^1], last);
        Assert.InRange(cache.Count, 1, capacity);
    }

    [Fact]
    public void Zero_capacity_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyRecordCache(0));
    }

    [Fact]
    public async Task One_cached_key_verifies_many_signatures_in_parallel()
    {
        using var signer = RSA.Create(1024);
        var cache = new KeyRecordCache();
        var text = Record(signer);

        // As SignatureCheck does it: SHA-1 digest, PKCS#1 v1.5 (RFC 4870 §3.3 "rsa-sha1").
        const int count = 64;
        var messages = new byte[count][];
        var signatures = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            messages[i] = Encoding.ASCII.GetBytes($"From: a{i}@example.com\r\nSubject: message {i}\r\n\r\nbody {i}\r\n");
            signatures[i] = signer.SignData(messages[i], HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
        }

        Assert.True(cache.TryGet(text, out var shared, out _));
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, count * 4).Select(n => Task.Run(() =>
        {
            start.Wait();
            int i = n % count;
            // Every caller gets the key through the cache, as each message does.
            Assert.True(cache.TryGet(text, out var record, out _));
            Assert.Same(shared, record);
            var key = record!.PublicKey!;
            var good = key.VerifyHash(SHA1.HashData(messages[i]), signatures[i], HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1)
                && key.VerifyData(messages[i], signatures[i], HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
            // A signature of another message must fail on the same shared key meanwhile.
            var wrong = key.VerifyData(messages[i], signatures[(i + 1) % count], HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
            return (good, wrong);
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(tasks);

        Assert.All(results, r => Assert.True(r.good));
        Assert.All(results, r => Assert.False(r.wrong));
        Assert.Equal(1, cache.Count);
    }
}
