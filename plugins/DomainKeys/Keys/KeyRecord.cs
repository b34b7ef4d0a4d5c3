using System.Security.Cryptography;
using Milters.DomainKeys.Tags;

namespace Milters.DomainKeys.Keys;

/// <summary>
/// A DomainKeys public key record (RFC 4870 §3.2.3), TXT at selector._domainkey.domain:
/// <c>k=rsa</c> (default), <c>p=</c> base64 SubjectPublicKeyInfo (empty: revoked), <c>g=</c> granularity
/// matched against the local part, <c>t=y</c> testing, <c>n=</c> notes. Selectors are shared with DKIM, whose
/// tags restrict a key (RFC 6376 §3.6.1): a record whose <c>h=</c> does not list sha1 (DomainKeys' only hash),
/// whose <c>s=</c> lists neither "*" nor "email", or whose <c>v=</c> is not DKIM1 is not used — the owner
/// said so, and Mail::DKIM refuses such keys for DomainKeys signatures too; likewise t=s keeps the key from
/// signing for subdomains. Other unknown tags are ignored.
/// </summary>
internal sealed class KeyRecord
{
    private KeyRecord(RSA? key, string? granularity, bool testing, string? notes)
    {
        PublicKey = key;
        Granularity = granularity;
        Testing = testing;
        Notes = notes;
    }

    /// <summary>The key, or null when the record revokes it (empty p=).</summary>
    public RSA? PublicKey { get; }

    public bool IsRevoked => PublicKey is null;

    /// <summary>g= as published; null or empty: any local part may use the key.</summary>
    public string? Granularity { get; }

    /// <summary>t=y: the domain is testing (RFC 4870 §3.2.3: treat like unsigned mail).</summary>
    public bool Testing { get; }

    public string? Notes { get; }

    /// <summary>
    /// t=s (DKIM's flag on a shared selector, RFC 6376 §3.6.1): the sending address's domain must be the
    /// signature's d= itself, not one below it. Mail::DKIM applies it to DomainKeys signatures too.
    /// </summary>
    public bool NoSubdomains { get; private init; }

    private static bool IsPkcs1PublicKey(byte[] der)
    {
        using var probe = RSA.Create();
        try
        {
            probe.ImportRSAPublicKey(der, out var read);
            return read == der.Length;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public static bool TryParse(string text, out KeyRecord? record, out string? error)
    {
        record = null;
        if (!TagList.TryParse(text, out var tags, out error)) return false;

        // Values compare case-sensitively (RFC 6376 §3.2, whose key tags these are: "k=RSA" is no key type a
        // verifier knows), and an empty value restricts nothing — both as Mail::DKIM reads a record: a record
        // only we read would make mail pass here and fail at every other verifier.
        var v = NullIfEmpty(tags["v"]);
        if (v is not null && v != "DKIM1")
        {
            error = $"unsupported key record version v={v}";
            return false;
        }
        var h = NullIfEmpty(tags["h"]);
        if (h is not null && !ListContains(h, "sha1"))
        {
            error = $"the key does not allow sha1 (h={h}), DomainKeys' only hash";
            return false;
        }
        var service = NullIfEmpty(tags["s"]);
        if (service is not null && !ListContains(service, "*") && !ListContains(service, "email"))
        {
            error = $"the key is not for email (s={service})";
            return false;
        }
        var k = NullIfEmpty(tags["k"]);
        if (k is not null && k != "rsa")
        {
            error = $"unsupported key type k={k}";
            return false;
        }
        var p = tags["p"];
        if (p is null)
        {
            error = "missing p= tag";
            return false;
        }
        var flags = (tags["t"] ?? "").Split(':').Select(f => f.Trim()).ToHashSet(StringComparer.Ordinal);
        var testing = flags.Contains("y");
        var g = tags["g"];
        var n = tags["n"];
        p = TagList.RemoveWhiteSpace(p);
        if (p.Length == 0)
        {
            record = new KeyRecord(null, g, testing, n) { NoSubdomains = flags.Contains("s") };
            return true;
        }
        byte[] der;
        try
        {
            der = Convert.FromBase64String(p);
        }
        catch (FormatException)
        {
            error = "p= is not base64";
            return false;
        }
        var rsa = RSA.Create();
        try
        {
            // Bytes after the SubjectPublicKeyInfo are ignored, as OpenSSL's d2i_PUBKEY under Mail::DKIM and
            // OpenDKIM ignores them: refusing the key made mail fail here that passes at every other verifier.
            rsa.ImportSubjectPublicKeyInfo(der, out _);
        }
        catch (CryptographicException e)
        {
            // A bare PKCS#1 RSAPublicKey is refused as Mail::DKIM and OpenDKIM refuse it: a record only we read
            // would make mail pass here and fail at every other verifier. Said plainly, since it is a common slip.
            error = IsPkcs1PublicKey(der)
                ? "p= is a bare PKCS#1 RSAPublicKey; publish the SubjectPublicKeyInfo (openssl rsa -pubout, milters genkey)"
                : $"p= is not an RSA public key ({e.Message})";
            rsa.Dispose();
            return false;
        }
        record = new KeyRecord(rsa, g, testing, n) { NoSubdomains = flags.Contains("s") };
        return true;
    }

    /// <summary>A colon-separated tag value (h=, s=) naming <paramref name="item"/>.</summary>
    private static bool ListContains(string list, string item) =>
        list.Split(':').Any(e => TagList.RemoveWhiteSpace(e) == item);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>
    /// Does the granularity allow <paramref name="localPart"/>? Empty or absent g= allows all (RFC 4870
    /// §3.2.3); otherwise an exact match, with one "*" matching any run (as Mail::DKIM applies it).
    /// </summary>
    public bool AllowsLocalPart(string localPart)
    {
        var g = Granularity;
        if (string.IsNullOrEmpty(g)) return true;
        var star = g.IndexOf('*');
        if (star < 0) return string.Equals(g, localPart, StringComparison.Ordinal);
        var prefix = g[..star];
        var suffix = g[(star + 1)..];
        return localPart.Length >= prefix.Length + suffix.Length
            && localPart.StartsWith(prefix, StringComparison.Ordinal)
            && localPart.EndsWith(suffix, StringComparison.Ordinal);
    }
}
