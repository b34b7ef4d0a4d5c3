using System.Text;
using Milters.Testing.Peers;

namespace Milters.Testing.Spf;

/// <summary>
/// Random but reproducible SPF policies (fixed seed) over a small world of hosts, for comparing our evaluator
/// with Mail::SPF on records nobody wrote by hand: qualifiers, ip4/ip6 with CIDR, a/mx with dual CIDR, include,
/// redirect, exists with macros, ptr, void names, include/redirect to names without a record, with two records
/// or past the lookup limit, macros in targets (include:%{d3}, redirect=%{d2}) and with transformers and
/// delimiters (%{l1r-}, %{d2r}, %{ir.}, URL-escaped %{L}) over varied local parts, unknown mechanisms and
/// modifiers, exp=, and occasional syntax errors.
/// Left out because Mail::SPF 2.9.0 follows RFC 4408 there, not RFC 7208: an upper-case "V=SPF1" (it finds no
/// record; RFC 7208 §4.5 and the suite's "case-insensitive" test want it read) and more than 10 MX records (it
/// ignores the rest; RFC 7208 §4.6.4 wants a permerror when an 11th is needed: Spf/MxLimitTests), "ip6:::/0"
/// (it matches IPv4 clients as IPv4-mapped addresses; RFC 7208 §5: "IPv4 &lt;ip&gt; addresses are only listed in an
/// SPF record using the ip4 mechanism"), and a bad macro such as "%{x}" (it fails only when it reaches the term;
/// RFC 7208 §4.6: a syntax error anywhere makes the record a permerror), and a redirect= in a record whose
/// "include:chain1" reaches the tenth lookup (Mail::SPF counts the redirect before it looks whether a mechanism
/// matched, so a match at the tenth lookup becomes its permerror; RFC 7208 §4.6.4 counts terms evaluated, and §6.1
/// evaluates redirect only when none matched: Spf/LookupLimitTests), and a name that exists only as an upper-case
/// macro's URL-escaped expansion ("x%2Btag" for %{L} of x+tag: Mail::SPF lower-cases the whole domain-spec when it
/// parses the record, so %{L} becomes %{l} and is not escaped; RFC 7208 §7.3 escapes it: MacroExpanderTests).
/// And every host with MX records has both
/// kinds of address: which exchange is asked first decides void-lookup counts, and Mail::SPF takes the DNS
/// server's order, which BIND varies.
/// </summary>
public static class RandomPolicies
{
    public const string Base = "rnd.sid.example";

    /// <summary>Client addresses the questions use.</summary>
    public static readonly string[] Clients = ["192.0.2.10", "192.0.2.77", "198.51.100.5", "203.0.113.9", "2001:db8::10", "2001:db8:5::1"];

    /// <summary>Fixed hosts the policies point at.</summary>
    public const string World = """
        h1.rnd.sid.example.   IN A    192.0.2.10
        h1.rnd.sid.example.   IN AAAA 2001:db8::1
        h2.rnd.sid.example.   IN A    198.51.100.9
        h2.rnd.sid.example.   IN AAAA 2001:db8::10
        h3.rnd.sid.example.   IN AAAA 2001:db8:5::1
        mx.rnd.sid.example.   IN MX   10 h1.rnd.sid.example.
        mx.rnd.sid.example.   IN MX   20 h2.rnd.sid.example.
        77.2.0.192.in-addr.arpa. IN PTR h77.rnd.sid.example.
        h77.rnd.sid.example.  IN A    192.0.2.77
        10.2.0.192.bl.rnd.sid.example. IN A 127.0.0.2
        incp.rnd.sid.example. IN TXT  "v=spf1 ip4:203.0.113.0/24 ip6:2001:db8:5::/48 -all"
        incs.rnd.sid.example. IN TXT  "v=spf1 ~all"
        norec.rnd.sid.example. IN A   192.0.2.200
        two.rnd.sid.example.  IN TXT  "v=spf1 +all"
        two.rnd.sid.example.  IN TXT  "v=spf1 -all"
        chain1.rnd.sid.example. IN TXT "v=spf1 include:chain2.rnd.sid.example. -all"
        chain2.rnd.sid.example. IN TXT "v=spf1 a:h1.rnd.sid.example include:chain3.rnd.sid.example -all"
        chain3.rnd.sid.example. IN TXT "v=spf1 mx:mx.rnd.sid.example include:chain4.rnd.sid.example -all"
        chain4.rnd.sid.example. IN TXT "v=spf1 a:h2.rnd.sid.example a:h3.rnd.sid.example include:chain5.rnd.sid.example -all"
        chain5.rnd.sid.example. IN TXT "v=spf1 a:h1.rnd.sid.example a:h2.rnd.sid.example ip4:203.0.113.0/24 -all"
        user.l.rnd.sid.example. IN A  127.0.0.2
        rnd.sid.example.      IN TXT  "v=spf1 ip4:192.0.2.0/25 ip6:2001:db8::/48 -all"
        last.y.rnd.sid.example. IN A  127.0.0.2
        9.113.0.203.r.rnd.sid.example. IN A 127.0.0.2
        """;

    /// <summary>
    /// A domain's v=spf1 record and, for every second one, an spf2.0 record with other terms for the pra scope, the
    /// mfrom scope or both (RFC 4406 §3.4: it comes before v=spf1 for the scopes it names). A domain whose spf2.0
    /// record names mfrom publishes no v=spf1 record: Mail::SPF asked for both versions takes the kind of whichever
    /// record the DNS server happens to list first (BIND rotates them), so only one kind can be compared.
    /// </summary>
    public sealed record Policy(string Domain, string Record, string? Spf2Record)
    {
        public bool Spf2CoversPra => Spf2Record is not null && Spf2Record[..Spf2Record.IndexOf(' ')].Contains("pra", StringComparison.Ordinal);

        public bool Spf2CoversMfrom => Spf2Record is not null && Spf2Record[..Spf2Record.IndexOf(' ')].Contains("mfrom", StringComparison.Ordinal);
    }

    /// <summary>
    /// The record versions Mail::SPF is told to consider for a question, so that it reads what RFC 4406 §3.4 selects:
    /// "2" for the pra scope (it never falls back to v=spf1 there), "1,2" for mfrom where the domain's spf2.0 record
    /// names mfrom, else "1" — asked for both, it also parses an spf2.0/pra record and turns a syntax error in it into
    /// the mfrom check's permerror, where RFC 4406 discards a record that does not name the scope.
    /// </summary>
    public static string MailSpfVersions(Policy policy, string scope) =>
        scope == "pra" ? "2" : policy.Spf2CoversMfrom ? "1,2" : "1";

    public static IReadOnlyList<Policy> Generate(int count, int seed)
    {
        var random = new Random(seed);
        var policies = new List<Policy>();
        for (var i = 0; i < count; i++)
        {
            var record = "v=spf1 " + Terms(random, i);
            var spf2 = i % 2 == 0 ? Pick(random, "spf2.0/pra", "spf2.0/pra", "spf2.0/mfrom,pra", "spf2.0/pra,mfrom", "spf2.0/mfrom") + " " + Terms(random, i) : null;
            policies.Add(new Policy($"p{i}.{Base}", record, spf2));
        }
        return policies;
    }

    private static string Terms(Random random, int i)
    {
        var terms = new List<string>();
        var n = random.Next(1, 5);
        for (var t = 0; t < n; t++) terms.Add(Qualifier(random) + Mechanism(random, i));
        // Not after the 8-lookup include chain: Mail::SPF counts a redirect= it never reaches (see above).
        var chained = terms.Any(t => t.Contains("include:chain1", StringComparison.Ordinal));
        if (random.Next(4) == 0 && !chained)
            terms.Add("redirect=" + Pick(random, $"incp.{Base}", $"incs.{Base}", $"norec.{Base}", $"two.{Base}", $"chain1.{Base}", $"nonexistent.{Base}", "%{d3}", "%{d2}"));
        else terms.Add(Qualifier(random) + Pick(random, "all", "all", "all", "ALL"));
        if (random.Next(8) == 0) terms.Insert(random.Next(terms.Count), "x-note=%{d}");
        if (random.Next(10) == 0) terms.Add($"exp=explain.{Base}");
        if (random.Next(12) == 0) terms.Insert(random.Next(terms.Count), "mystery:" + Base); // unknown mechanism: permerror
        return string.Join(random.Next(10) == 0 ? "  " : " ", terms);
    }

    private static string Qualifier(Random r) => r.Next(6) switch { 0 => "-", 1 => "~", 2 => "?", 3 => "+", _ => "" };

    private static string Mechanism(Random r, int i) => r.Next(18) switch
    {
        0 => $"ip4:192.0.2.{r.Next(0, 256)}/{r.Next(20, 33)}",
        1 => $"ip4:198.51.100.0/{r.Next(16, 33)}",
        2 => $"ip6:2001:db8::/{r.Next(32, 129)}",
        3 => "a:h1." + Base + Cidr(r),
        4 => "a:h2." + Base + Cidr(r),
        5 => "mx:mx." + Base + Cidr(r),
        6 => $"include:{(r.Next(2) == 0 ? "incp" : "incs")}.{Base}",
        7 => $"exists:%{{i}}.bl.{Base}",
        8 => "ptr:" + Base,
        9 => $"a:void{i}-{r.Next(100)}.{Base}",
        10 => "a:h3." + Base,
        11 => $"include:{Pick(r, "norec", "two", "chain1", "nonexistent")}.{Base}",
        12 => $"exists:{Pick(r, "%{l}.l", "%{ir}.r", "%{i}.bl", "%{d2}.x", "%{o}.x", "%{l-}.x", "%{h}.x", "%{v}.x", "%{s}.x")}.{Base}",
        13 => Pick(r, "a", "mx", "a/24", "ptr", "A:h1." + Base, "ip4:0.0.0.0/0", "ip6:2001:db8::/32", "ip4:192.0.2.10"),
        14 => Pick(r, "ip4:192.0.2", "ip6:2001:db8::/129", "include", "ip4:192.0.2.1/"), // syntax errors
        15 => Pick(r, "include:%{d3}", "include:%{d2}", "a:%{d3}", "mx:%{d3}/24", "a:%{o}", "ptr:%{d3}"), // macro targets
        16 => $"exists:{Pick(r, "%{L}.l", "%{l1}.y", "%{l1r-}.y", "%{l1r.}.y", "%{d2r}.x", "%{ir.}.r", "%{i1r}.x", "%{d}.x")}.{Base}",
        _ => r.Next(3) == 0 ? "ip4:192.0.2.1/40" : $"mx:nomx{i}.{Base}", // a syntax error now and then
    };

    /// <summary>A local part for the identity: plain, dotted, with a hyphen or a plus (which %{L} escapes), mixed case.</summary>
    public static string LocalPart(Random r) => Pick(r, "user", "user", "first.last", "a-b.last", "x+tag", "Mixed.Case");

    private static string Pick(Random r, params string[] choices) => choices[r.Next(choices.Length)];

    private static string Cidr(Random r) => r.Next(4) switch { 0 => "/24", 1 => "//64", 2 => "/30//48", _ => "" };

    /// <summary>A real DNS server (tests/peers/dns.sh) serving <see cref="Zone"/> for <paramref name="policies"/>.</summary>
    public static DnsServer StartDns(IEnumerable<Policy> policies)
    {
        var options = new DnsServerOptions();
        options.ZoneTexts.Add(Zone(policies));
        return DnsServer.Start(options);
    }

    public static string Zone(IEnumerable<Policy> policies)
    {
        var sb = new StringBuilder(World).Append('\n');
        foreach (var p in policies)
        {
            if (!p.Spf2CoversMfrom) sb.Append($"{p.Domain}. IN TXT \"{p.Record}\"\n");
            if (p.Spf2Record is not null) sb.Append($"{p.Domain}. IN TXT \"{p.Spf2Record}\"\n");
        }
        return sb.ToString();
    }
}
