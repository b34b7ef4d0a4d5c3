using System.Net;
using System.Text.Json;
using Milters.SenderId.Spf;
using Milters.Testing.Dns;

namespace Milters.SenderId.Tests.Spf;

/// <summary>
/// One case of the OpenSPF YAML suites, read from our JSON conversion next to the YAML (tests/data/spf,
/// SOURCES.md describes the layout): the "dns" view already applies the suites' conventions (TXT
/// synthesis from SPF records, "TXT: NONE", "TIMEOUT").
/// </summary>
public sealed record SpfSuiteCase(
    string Suite,
    string Scenario,
    string Name,
    string Host,
    string MailFrom,
    string Helo,
    IReadOnlyList<string> Results,
    string? Explanation,
    JsonElement Dns)
{
    public override string ToString() => $"{Suite}/{Name}";

    /// <summary>An in-memory zone holding the scenario's records.</summary>
    public InMemoryDnsResolver BuildResolver()
    {
        var dns = new InMemoryDnsResolver();
        foreach (var domain in Dns.EnumerateObject())
        {
            var name = domain.Name;
            dns.AddEmptyName(name);
            if (domain.Value.TryGetProperty("timeout_other_types", out var t) && t.GetBoolean()) dns.TimeOutOtherTypes(name);
            if (domain.Value.TryGetProperty("timeout_types", out _))
                throw new NotSupportedException("per-type timeouts are not in the suites this driver reads");
            foreach (var type in domain.Value.GetProperty("records").EnumerateObject())
            {
                foreach (var data in type.Value.EnumerateArray())
                {
                    switch (type.Name)
                    {
                        case "TXT": dns.AddTxt(name, data.EnumerateArray().Select(s => s.GetString()!).ToArray()); break;
                        case "SPF": break; // RR type 99: RFC 7208 checkers query TXT only (already synthesized)
                        case "A": AddAddress(dns, name, data.GetString()!, v6: false); break;
                        case "AAAA": AddAddress(dns, name, data.GetString()!, v6: true); break;
                        case "MX": dns.AddMx(name, data.GetProperty("preference").GetInt32(), data.GetProperty("exchange").GetString()!); break;
                        case "PTR": dns.AddPtrName(name, data.GetString()!); break;
                        case "CNAME": dns.AddCname(name, data.GetString()!); break;
                        default: throw new NotSupportedException($"record type {type.Name} in {this}");
                    }
                }
            }
        }
        return dns;
    }

    private static void AddAddress(InMemoryDnsResolver dns, string name, string text, bool v6)
    {
        // A zone cannot hold a malformed address; the suites never list one, so this is a driver check.
        var address = IPAddress.Parse(text);
        if (v6) dns.AddAaaa(name, address.ToString()); else dns.AddA(name, address.ToString());
    }

    public SpfRequest Request(SpfScope scope = SpfScope.Spf) => SpfRequest.ForMailFrom(IPAddress.Parse(Host), MailFrom, Helo, scope);

    /// <summary>"DEFAULT" in the suites means: the checker's default explanation is set to that word.</summary>
    public SpfEvaluatorOptions Options() => new() { DefaultExplanation = "DEFAULT", ReceiverName = "receivingdomain.com" };
}

public static class SpfSuite
{
    public static readonly string[] Files =
    [
        "rfc7208-tests.json",
        "rfc4408-tests.json",
        "pyspf-test.json",
        "mail-spf-iterator-misc.json",
    ];

    private static readonly Dictionary<string, IReadOnlyList<SpfSuiteCase>> Cache = new();

    /// <summary>
    /// Cases whose expectation is not an RFC 7208 answer, each with the reason (spf/SOURCES.md names them).
    /// They still run where an RFC applies: the Sender ID cases in SenderIdCaseTests with cases.json's verdicts.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> NotRfc7208 = new Dictionary<string, string>
    {
        ["pyspf-test/default-modifier"] = "pyspf lax mode (strict: 0) honours a non-standard default= modifier; RFC 7208 §6 ignores unknown modifiers (neutral)",
        ["pyspf-test/default-modifier-harsh"] = "pyspf harsh mode (strict: 2) answers 'ambiguous', which is no RFC 7208 result",
        ["mail-spf-iterator-misc/sender-id"] = "spf2.0/mfrom fallback of Mail::SPF::Iterator: a Sender ID mfrom check (RFC 4406), see senderid/cases.json",
        ["mail-spf-iterator-misc/sender-id-pick-mfrom1"] = "spf2.0/mfrom fallback of Mail::SPF::Iterator: a Sender ID mfrom check (RFC 4406), see senderid/cases.json",
        ["mail-spf-iterator-misc/sender-id-pick-mfrom2"] = "spf2.0/mfrom fallback of Mail::SPF::Iterator: a Sender ID mfrom check (RFC 4406), see senderid/cases.json",
    };

    public static string DataPath(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "data", .. parts]);

    public static IReadOnlyList<SpfSuiteCase> Load(string file) => Load("spf", file);

    public static IReadOnlyList<SpfSuiteCase> Load(string folder, string file)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(folder + "/" + file, out var cached)) return cached;
            using var doc = JsonDocument.Parse(File.ReadAllBytes(DataPath(folder, file)));
            var suite = Path.GetFileNameWithoutExtension(file);
            var cases = new List<SpfSuiteCase>();
            foreach (var scenario in doc.RootElement.GetProperty("scenarios").EnumerateArray())
            {
                var dns = scenario.GetProperty("dns").Clone();
                var description = scenario.GetProperty("description").GetString() ?? "";
                foreach (var t in scenario.GetProperty("tests").EnumerateArray())
                {
                    cases.Add(new SpfSuiteCase(
                        suite, description, t.GetProperty("name").GetString()!,
                        t.GetProperty("host").GetString()!, t.GetProperty("mailfrom").GetString()!, t.GetProperty("helo").GetString()!,
                        t.GetProperty("result").EnumerateArray().Select(r => r.GetString()!).ToArray(),
                        t.TryGetProperty("explanation", out var e) ? e.GetString() : null,
                        dns));
                }
            }
            Cache[folder + "/" + file] = cases;
            return cases;
        }
    }

    /// <summary>Runs one case; returns null when it passes, else what went wrong.</summary>
    public static async Task<string?> RunAsync(SpfSuiteCase c, SpfScope scope = SpfScope.Spf)
    {
        var evaluator = new SpfEvaluator(c.BuildResolver(), c.Options());
        var outcome = await evaluator.CheckHostAsync(c.Request(scope));
        var token = outcome.Result.ToToken();
        // "ambiguous" is pyspf's harsh-mode word; a plain checker answers one of the others listed.
        if (!c.Results.Contains(token))
            return $"{c}: got {token} ({outcome.Reason}), expected {string.Join(" or ", c.Results)}";
        if (c.Explanation is not null && outcome.Result == SpfResult.Fail && outcome.Explanation != c.Explanation)
            return $"{c}: explanation \"{outcome.Explanation}\", expected \"{c.Explanation}\"";
        return null;
    }
}
