using Milters.AuthResults.Syntax;

namespace Milters.AuthResults.Tests;

/// <summary>
/// A fixed, seeded set of headers of the kind the plugin writes: the methods our plugins report, every
/// result code, reasons with quotes, backslashes, parentheses, UTF-8 and long text, and property values
/// that need every quoting form (tokens, identities, quoted local-parts, IPv6, "/", empty).
/// </summary>
internal static class GeneratedHeaders
{
    private static readonly string[] AuthservIds = ["mx.example.com", "mta.peers.test", "MX1.Example.NET", "localhost", "relay_1.example.org"];
    private static readonly string[] Results = ["none", "pass", "fail", "softfail", "neutral", "policy", "temperror", "permerror"];

    private static readonly string?[] Reasons =
    [
        null, null, "good signature", "no signature", "internal error", "a \"quoted\" word", "back\\slash",
        "parens (inside) here", "Tést réason",
        "the domain example.com does not designate 192.0.2.1 as a permitted sender of mail for this message at all",
    ];

    private static readonly string[] Addresses =
        ["alice@example.com", "Bob.Smith+tag@mail.example.org", "\"john doe\"@example.com", "john..doe@example.com", "Pelé@example.com", "user@localhost", ""];

    private static readonly string[] Domains = ["example.com", "sub.domain.example.net", "xn--bcher-kva.example", "bücher.example"];

    /// <summary>Per method, the properties it reports (each at most once per result, as RFC 8601 §2.7 registers them).</summary>
    private static readonly (string Method, (string Type, string Name, string[] Values)[] Properties)[] Methods =
    [
        ("domainkeys", [("header", "d", Domains), ("header", "from", Addresses), ("header", "sender", Addresses)]),
        ("sender-id", [("header", "from", Addresses), ("header", "sender", Addresses), ("header", "resent-from", Addresses), ("header", "resent-sender", Addresses)]),
        ("spf", [("smtp", "mailfrom", [.. Addresses, "a/b=c?d@example.com", "postmaster@[192.0.2.1]", "user@bücher.example"]), ("smtp", "helo", ["mail.example.net", "[192.0.2.1]"])]),
        ("dkim", [("header", "d", Domains), ("header", "i", ["@example.com", "user@example.com"]), ("header", "s", ["sel1", "2024-05"]), ("header", "a", ["rsa-sha256"])]),
        ("iprev", [("policy", "iprev", ["192.0.2.200", "2001:db8::1"])]),
        ("auth", [("smtp", "auth", ["alice", "alice@example.com"]), ("smtp", "mailfrom", Addresses)]),
        ("x-local-check", [("header", "b", ["gfT/i2HB", "V9y21l+w"]), ("policy", "x-odd", ["a b", "say \"hi\"", "back\\slash", ""]), ("smtp", "helo", ["[IPv6:2001:db8::1]"])]),
    ];

    public static IReadOnlyList<AuthResultsHeader> Make(int count, int seed = 8601)
    {
        var random = new Random(seed);
        var list = new List<AuthResultsHeader>();
        for (var n = 0; n < count; n++)
        {
            var results = new List<ResInfo>();
            for (var r = random.Next(0, 5); r > 0; r--)
            {
                var (method, pool) = Methods[random.Next(Methods.Length)];
                var props = pool.OrderBy(_ => random.Next()).Take(random.Next(0, pool.Length + 1))
                    .Select(p => new PropSpec(p.Type, p.Name, p.Values[random.Next(p.Values.Length)])).ToList();
                results.Add(new ResInfo(method, null, Results[random.Next(Results.Length)], Reasons[random.Next(Reasons.Length)], props));
            }
            list.Add(new AuthResultsHeader(AuthservIds[random.Next(AuthservIds.Length)], null, results));
        }
        return list;
    }

    public static bool IsAscii(string s) => s.All(c => c < 0x80);

    /// <summary>RFC 5322 §2.2.3 unfolding: CRLF followed by WSP loses the CRLF.</summary>
    public static string Unfold(string field) => field.Replace("\r\n ", " ").Replace("\r\n\t", "\t");
}
