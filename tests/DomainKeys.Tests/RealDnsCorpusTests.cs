using System.Net;
using System.Text.Json;
using Milters.Abstractions;
using Milters.DomainKeys.Tests.Support;
using Milters.Host.Dns;
using Milters.Testing.Peers;

namespace Milters.DomainKeys.Tests;

/// <summary>
/// The corpus once more, with its DNS records served by the real DNS server (BIND via tests/peers/dns.sh)
/// and asked through the host's real resolver: the same verdicts as with the in-memory zone.
/// </summary>
public sealed class RealDnsCorpusTests : IClassFixture<RealDnsCorpusTests.CorpusDns>
{
    private readonly CorpusDns fixture;

    public RealDnsCorpusTests(CorpusDns fixture) => this.fixture = fixture;

    /// <summary>dns.json as a zone: TXT records; SERVFAIL and timeout names as dns.sh failure options.</summary>
    public sealed class CorpusDns : IDisposable
    {
        public CorpusDns()
        {
            var options = new DnsServerOptions();
            var zone = new System.Text.StringBuilder();
            using var doc = TestData.Json("dns.json");
            foreach (var r in doc.RootElement.GetProperty("records").EnumerateObject())
            {
                if (r.Value.ValueKind != JsonValueKind.Object) continue; // NXDOMAIN: simply absent
                if (r.Value.TryGetProperty("TXT", out var txt)) zone.Append(ZoneText.Txt(r.Name, txt.GetString()!));
                else if (r.Value.GetProperty("error").GetString()!.Contains("timed out", StringComparison.OrdinalIgnoreCase)) options.Timeout.Add(r.Name);
                else options.ServFail.Add(r.Name);
            }
            options.ZoneTexts.Add(zone.ToString());
            Server = DnsServer.Start(options);
            Resolver = new DnsClientResolver(new DnsOptions([IPEndPoint.Parse(Server.Endpoint)], TimeSpan.FromSeconds(2), 1, UseCache: false));
        }

        public DnsServer Server { get; }

        public IDnsResolver Resolver { get; }

        public void Dispose() => Server.Dispose();
    }

    [Theory]
    [MemberData(nameof(CorpusTests.DomainKeysMessages), MemberType = typeof(CorpusTests))]
    public async Task Same_verdicts_through_the_real_dns_server(string file)
    {
        var inMemory = await CorpusTests.VerifyAsync(TestData.Bytes(file), TestData.Dns());
        var real = await CorpusTests.VerifyAsync(TestData.Bytes(file), fixture.Resolver);
        Assert.NotEmpty(real);
        Assert.Equal(inMemory.Select(r => r.ToString()), real.Select(r => r.ToString()));
        // The key was really asked for over the wire.
        using var doc = TestData.Json("manifest.json");
        var entry = doc.RootElement.EnumerateArray().First(e => e.GetProperty("file").GetString() == file);
        var name = entry.GetProperty("signatures")[0].GetProperty("s").GetString() + "._domainkey." + entry.GetProperty("signatures")[0].GetProperty("d").GetString();
        if (real[0].Result is AuthResultCode.Pass or AuthResultCode.Fail)
            Assert.NotEmpty(fixture.Server.QueriesFor(name.ToLowerInvariant()));
    }

    [Fact]
    public async Task Servfail_is_a_temporary_error()
    {
        using var dns = DnsServer.Start(new DnsServerOptions { ZoneTexts = { "unused.example. IN TXT \"x\"\n" }, ServFail = { "messiah.edu" } });
        var resolver = new DnsClientResolver(new DnsOptions([IPEndPoint.Parse(dns.Endpoint)], TimeSpan.FromSeconds(2), 0, UseCache: false));
        var r = Assert.Single(await CorpusTests.VerifyAsync(TestData.Bytes("messages/good_dk_6.eml"), resolver));
        Assert.Equal(AuthResultCode.TempError, r.Result);
        Assert.StartsWith("dns error: ", r.Reason);
    }
}
