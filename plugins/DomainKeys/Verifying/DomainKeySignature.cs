using Milters.DomainKeys.Canonicalization;
using Milters.DomainKeys.Tags;

namespace Milters.DomainKeys.Verifying;

/// <summary>
/// A parsed DomainKey-Signature header field (RFC 4870 §3.3):
/// <c>a=rsa-sha1; q=dns; c=simple|nofws; d=domain; s=selector; [h=name:name;] b=base64</c>.
/// </summary>
internal sealed record DomainKeySignature(
    string Domain,
    string Selector,
    CanonicalizationAlgorithm Canonicalization,
    IReadOnlyList<string>? HeaderNames,
    byte[] Data)
{
    public const string HeaderName = "DomainKey-Signature";

    /// <summary>The only algorithm DomainKeys defines (RFC 4870 §3.3 a=).</summary>
    public const string RsaSha1 = "rsa-sha1";

    /// <summary>The only query method (RFC 4870 §3.3 q=).</summary>
    public const string DnsQuery = "dns";

    /// <summary>Where the key lives: selector._domainkey.domain (RFC 4870 §3.2.2).</summary>
    public string KeyName => $"{Selector}._domainkey.{Domain}";

    /// <summary>
    /// Parses and checks the tags. Defaults as the deployed verifiers apply them: a= rsa-sha1, c= simple,
    /// and — unless <paramref name="requireQueryTag"/> — q= dns (RFC 4870 says q= MUST be present;
    /// Mail::DKIM accepts its absence "to be merciful", and so do we by default).
    /// </summary>
    public static bool TryParse(string value, bool requireQueryTag, out DomainKeySignature? signature, out string? error)
    {
        signature = null;
        if (!TagList.TryParse(value, out var tags, out error)) return false;

        // An empty a= is the default (Mail::DKIM reads it so), as an absent one.
        var a = NonEmpty(tags["a"]);
        if (a is not null && !string.Equals(a, RsaSha1, StringComparison.OrdinalIgnoreCase))
        {
            error = $"unsupported algorithm a={a}";
            return false;
        }
        var q = tags["q"];
        if (q is null && requireQueryTag)
        {
            error = "missing q= tag";
            return false;
        }
        if (q is not null && !string.Equals(q, DnsQuery, StringComparison.OrdinalIgnoreCase))
        {
            error = $"unsupported query method q={q}";
            return false;
        }
        // An empty c= is the default, as an empty a= (and as Mail::DKIM reads it): no choice was written.
        var c = NonEmpty(tags["c"]);
        var canon = CanonicalizationAlgorithm.Simple;
        if (c is not null && !CanonicalizationNames.TryParse(c, out canon))
        {
            error = $"unsupported canonicalization c={c}";
            return false;
        }
        var d = tags["d"];
        if (string.IsNullOrEmpty(d))
        {
            error = d is null ? "missing d= tag" : "empty d= tag";
            return false;
        }
        var s = tags["s"];
        if (string.IsNullOrEmpty(s))
        {
            error = s is null ? "missing s= tag" : "empty s= tag";
            return false;
        }
        // b= is decoded as Mail::DKIM decodes it (MIME::Base64): damaged, empty or missing signature data is a
        // signature that does not verify — "fail", with the bad-signature action — not a syntax error.
        var data = LenientBase64.Decode(tags["b"] ?? "");

        IReadOnlyList<string>? names = null;
        var h = tags["h"];
        if (h is not null)
        {
            var list = new List<string>();
            foreach (var range in h.AsSpan().Split(':'))
            {
                var name = h.AsSpan(range).Trim(" \t\r\n");
                if (name.Length > 0) list.Add(name.ToString());
            }
            // An empty h= signs every field, as an absent one: Mail::DKIM writes "h=;" for an empty header list
            // and reads it that way (RFC 4870 §3.3 never has h= empty).
            names = list.Count > 0 ? list : null;
        }

        signature = new DomainKeySignature(d.TrimEnd('.').ToLowerInvariant(), s, canon, names, data);
        return true;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
