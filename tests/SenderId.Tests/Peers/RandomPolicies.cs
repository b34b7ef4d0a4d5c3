using System.Text;

namespace Milters.SenderId.Tests.Peers;

/// <summary>
/// Random but reproducible SPF policies (fixed seed) over a small world of hosts, for comparing our evaluator
/// with Mail::SPF on records nobody wrote by hand: qualifiers, ip4/ip6 with CIDR, a/mx with dual CIDR, include,
/// redirect, exists with macros, ptr, void names, and occasional syntax errors.
/// </summary>
public static class RandomPolicies
{
    public const string Base = "rnd.sid.example";

    /// <summary>Client addresses the questions use.</summary>
    public static readonly string[] Clients = ["192.0.2.10", "192.0.2.77", "198.51.100.5", "203.0.113.9", "2001:db8::10", "2001:db8:5::1"];

    /// <summary>Fixed hosts the policies point at.</summary>
    public const string World = """
        h1.rnd.sid.example.   IN A    192.0.2.10
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
        """;

    /// <summary>A domain's v=spf1 record and, for every second one, an spf2.0/pra record with other terms.</summary>
    public sealed record Policy(string Domain, string Record, string? PraRecord);

    public static IReadOnlyList<Policy> Generate(int count, int seed)
    {
        var random = new Random(seed);
        var policies = new List<Policy>();
        for (var i = 0; i < count; i++)
        {
            var record = "v=spf1 " + Terms(random, i);
            var pra = i % 2 == 0 ? "spf2.0/pra " + Terms(random, i) : null;
            policies.Add(new Policy($"p{i}.{Base}", record, pra));
        }
        return policies;
    }

    private static string Terms(Random random, int i)
    {
        var terms = new List<string>();
        var n = random.Next(1, 5);
        for (var t = 0; t < n; t++) terms.Add(Qualifier(random) + Mechanism(random, i));
        if (random.Next(4) == 0) terms.Add($"redirect={(random.Next(2) == 0 ? "incp" : "incs")}.{Base}");
        else terms.Add(Qualifier(random) + "all");
        if (random.Next(8) == 0) terms.Insert(random.Next(terms.Count), "x-note=%{d}");
        return string.Join(' ', terms);
    }

    private static string Qualifier(Random r) => r.Next(6) switch { 0 => "-", 1 => "~", 2 => "?", 3 => "+", _ => "" };

    private static string Mechanism(Random r, int i) => r.Next(12) switch
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
        _ => r.Next(3) == 0 ? "ip4:192.0.2.1/40" : $"mx:nomx{i}.{Base}", // a syntax error now and then
    };

    private static string Cidr(Random r) => r.Next(4) switch { 0 => "/24", 1 => "//64", 2 => "/30//48", _ => "" };

    public static string Zone(IEnumerable<Policy> policies)
    {
        var sb = new StringBuilder(World).Append('\n');
        foreach (var p in policies)
        {
            sb.Append($"{p.Domain}. IN TXT \"{p.Record}\"\n");
            if (p.PraRecord is not null) sb.Append($"{p.Domain}. IN TXT \"{p.PraRecord}\"\n");
        }
        return sb.ToString();
    }
}
