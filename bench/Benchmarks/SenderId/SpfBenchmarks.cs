using System.Net;
using BenchmarkDotNet.Attributes;
using Milters.Benchmarks.Support;
using Milters.SenderId.Spf;

namespace Milters.Benchmarks.SenderId;

/// <summary>
/// check_host() (RFC 7208 §4) against an in-memory zone: a pass on the first term, a pass through an
/// include, and a fail that walks every term (include, a, mx and the MX host's address) — record
/// parsing and evaluation cost per message, no network.
/// </summary>
[MemoryDiagnoser]
public class SpfBenchmarks
{
    private SpfEvaluator evaluator = null!;
    private readonly SpfRequest firstTerm = SpfRequest.ForMailFrom(IPAddress.Parse("192.0.2.5"), "alice@example.com", "client.example.com");
    private readonly SpfRequest viaInclude = SpfRequest.ForMailFrom(IPAddress.Parse("198.51.100.7"), "alice@example.com", "client.example.com");
    private readonly SpfRequest failAll = SpfRequest.ForMailFrom(IPAddress.Parse("203.0.113.9"), "alice@example.com", "client.example.com");
    private readonly SpfRequest pra = new(IPAddress.Parse("198.51.100.7"), "alice@example.com", "client.example.com", SpfScope.Pra);

    [GlobalSetup]
    public void Setup()
    {
        var zone = new ZoneResolver()
            .Txt("example.com", "v=spf1 ip4:192.0.2.0/28 include:_spf.example.net a mx -all")
            .Txt("example.com", "spf2.0/pra include:_spf.example.net -all")
            .Txt("_spf.example.net", "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 ~all")
            .A("example.com", "192.0.2.80")
            .Mx("example.com", 10, "mx.example.com")
            .A("mx.example.com", "192.0.2.25");
        evaluator = new SpfEvaluator(zone, new SpfEvaluatorOptions { ReceiverName = "mta.example.org" });
    }

    [Benchmark(Baseline = true)]
    public async Task<SpfResult> PassOnFirstTerm() => (await evaluator.CheckHostAsync(firstTerm)).Result;

    [Benchmark]
    public async Task<SpfResult> PassViaInclude() => (await evaluator.CheckHostAsync(viaInclude)).Result;

    [Benchmark]
    public async Task<SpfResult> FailAfterAllTerms() => (await evaluator.CheckHostAsync(failAll)).Result;

    [Benchmark]
    public async Task<SpfResult> SenderIdPra() => (await evaluator.CheckHostAsync(pra)).Result;
}
