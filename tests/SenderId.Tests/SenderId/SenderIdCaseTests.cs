using System.Net;
using System.Text.Json;
using Milters.SenderId.Spf;
using Milters.SenderId.Tests.Spf;
using Milters.Testing.Dns;
using Xunit.Abstractions;

namespace Milters.SenderId.Tests.SenderId;

/// <summary>The Sender ID cases of tests/data/senderid: Mail::SPF's rfc4406 suite, cases.json and the RFC 4406 text examples.</summary>
public sealed class SenderIdCaseTests(ITestOutputHelper output)
{
    private static JsonElement CasesJson { get; } = JsonDocument.Parse(File.ReadAllBytes(SpfSuite.DataPath("senderid", "cases.json"))).RootElement;

    public static IEnumerable<object[]> Rfc4406Names() => SpfSuite.Load("senderid", "rfc4406-tests.json").Select(c => new object[] { c.Name });

    /// <summary>Mail::SPF's t/rfc4406-tests.yml: record selection in the mfrom scope.</summary>
    [Theory]
    [MemberData(nameof(Rfc4406Names))]
    public async Task Rfc4406Suite(string name)
    {
        var c = SpfSuite.Load("senderid", "rfc4406-tests.json").Single(x => x.Name == name);
        var failure = await SpfSuite.RunAsync(c, SpfScope.Mfrom);
        Assert.True(failure is null, failure);
    }

    public static IEnumerable<object[]> CaseIds() =>
        CasesJson.GetProperty("cases").EnumerateArray().Select(c => new object[] { c.GetProperty("id").GetString()! });

    /// <summary>
    /// Each evaluation case of cases.json in the Sender ID mfrom scope (expected_sender_id_mfrom, else expected)
    /// and, where given, as a plain RFC 7208 check (expected_rfc7208_spf).
    /// </summary>
    [Theory]
    [MemberData(nameof(CaseIds))]
    public async Task Case(string id)
    {
        var c = CasesJson.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("id").GetString() == id);
        var dns = new InMemoryDnsResolver();
        foreach (var domain in c.GetProperty("dns").EnumerateObject())
            foreach (var record in domain.Value.EnumerateArray()) dns.AddTxt(domain.Name, record.GetString()!);
        var scope = c.GetProperty("scope").GetString() == "pra" ? SpfScope.Pra : SpfScope.Mfrom;
        var expected = c.TryGetProperty("expected_sender_id_mfrom", out var e) ? e.GetString() : c.GetProperty("expected").GetString();
        var request = new SpfRequest(IPAddress.Parse(c.GetProperty("ip").GetString()!), c.GetProperty("identity").GetString()!,
            c.GetProperty("helo").GetString()!, scope);
        var outcome = await new SpfEvaluator(dns).CheckHostAsync(request);
        output.WriteLine($"{id} {scope}: {outcome}");
        Assert.Equal(expected, outcome.Result.ToToken());
        if (c.TryGetProperty("expected_rfc7208_spf", out var plain))
        {
            var spf = await new SpfEvaluator(dns).CheckHostAsync(request with { Scope = SpfScope.Spf });
            Assert.Equal(plain.GetString(), spf.Result.ToToken());
        }
    }

    public static IEnumerable<object[]> ExampleIds() =>
        CasesJson.GetProperty("rfc_text_examples").EnumerateArray().Select(c => new object[] { c.GetProperty("id").GetString()! });

    /// <summary>The RFC 4406 sentences of cases.json, each turned into the check it describes.</summary>
    [Theory]
    [MemberData(nameof(ExampleIds))]
    public async Task RfcTextExample(string id)
    {
        var x = CasesJson.GetProperty("rfc_text_examples").EnumerateArray().Single(e => e.GetProperty("id").GetString() == id);
        switch (id)
        {
            case "rfc4406-3.1-example":
            {
                Assert.True(SpfVersionTag.TryRead(x.GetProperty("record").GetString()!, out var tag));
                foreach (var scope in x.GetProperty("covers_scopes").EnumerateArray()) Assert.True(tag.Covers(scope.GetString()!));
                Assert.NotNull(SpfRecordParser.Parse(x.GetProperty("record").GetString()!));
                break;
            }
            case "rfc4406-4.4-step3-discard":
            case "rfc4406-4.4-step3-retain":
            {
                var record = x.GetProperty("record").GetString()! + " -all";
                var selected = SpfRecordSelector.Select([new([record])], SpfScope.Pra);
                Assert.Equal(x.GetProperty("selected").GetBoolean(), selected is not null);
                break;
            }
            case "rfc4406-3.4-v1-compat":
                Assert.Equal("v=spf1 -all", SpfRecordSelector.Select([new(["v=spf1 -all"])], SpfScope.Pra));
                Assert.Equal("v=spf1 -all", SpfRecordSelector.Select([new(["v=spf1 -all"])], SpfScope.Mfrom));
                break;
            case "rfc4406-4.4-step4":
                Assert.Equal("v=spf1 -all", SpfRecordSelector.Select([new(["spf2.0/mfrom +all"]), new(["v=spf1 -all"])], SpfScope.Pra));
                Assert.Equal("spf2.0/mfrom +all", SpfRecordSelector.Select([new(["spf2.0/mfrom +all"]), new(["v=spf1 -all"])], SpfScope.Mfrom));
                break;
            case "rfc4406-4.4-step5":
            {
                Assert.Null(SpfRecordSelector.Select([new(["spf2.0/mfrom -all"])], SpfScope.Pra));
                var dns = new InMemoryDnsResolver().AddTxt("example.com", "spf2.0/mfrom -all");
                var outcome = await new SpfEvaluator(dns).CheckHostAsync(new SpfRequest(IPAddress.Parse("192.0.2.1"), "a@example.com", "h.example.com", SpfScope.Pra));
                Assert.Equal(x.GetProperty("result_if_nothing_selected").GetString(), outcome.Result.ToToken());
                break;
            }
            case "rfc4406-4.3-pra-nxdomain":
            {
                var dns = new InMemoryDnsResolver();
                var pra = await new SpfEvaluator(dns).CheckHostAsync(new SpfRequest(IPAddress.Parse("192.0.2.1"), "a@nowhere.example", "h.example.com", SpfScope.Pra));
                Assert.Equal(x.GetProperty("expected").GetString(), pra.Result.ToToken());
                // Only the PRA test has this rule: MAIL FROM of a nonexistent domain is "none" (RFC 7208 §4.3).
                var mfrom = await new SpfEvaluator(dns).CheckHostAsync(new SpfRequest(IPAddress.Parse("192.0.2.1"), "a@nowhere.example", "h.example.com", SpfScope.Mfrom));
                Assert.Equal(SpfResult.None, mfrom.Result);
                break;
            }
            case "rfc4406-4.4-after":
            {
                var dns = new InMemoryDnsResolver().AddTxt("example.com", "spf2.0/pra -all").AddTxt("example.com", "spf2.0/mfrom,pra +all");
                var outcome = await new SpfEvaluator(dns).CheckHostAsync(new SpfRequest(IPAddress.Parse("192.0.2.1"), "a@example.com", "h.example.com", SpfScope.Pra));
                Assert.Equal(x.GetProperty("expected").GetString(), outcome.Result.ToToken());
                break;
            }
            default:
                Assert.Fail($"RFC text example {id} has no check yet");
                break;
        }
    }
}
