using System.Net;
using Milters.SenderId.Spf;
using Milters.Testing.Dns;

namespace Milters.SenderId.Tests.Spf;

/// <summary>
/// RFC 7208 §4.6.4: an "mx" term queries the addresses of at most 10 exchanges; needing an 11th is a permerror.
/// A match among the first ten (by preference) stands — Mail::SPF 2.9.0 agrees there, since it ignores the rest.
/// </summary>
public sealed class MxLimitTests
{
    /// <summary>example.com: "v=spf1 mx -all" and 11 MX records, preferences 1…11, exchange mN at 192.0.2.N.</summary>
    private static InMemoryDnsResolver ElevenExchanges()
    {
        var dns = new InMemoryDnsResolver().AddTxt("example.com", "v=spf1 mx -all");
        // Added highest preference first: the evaluator must order by preference, not by answer order.
        for (var n = 11; n >= 1; n--) dns.AddMx("example.com", n, $"m{n}.example.com").AddA($"m{n}.example.com", $"192.0.2.{n}");
        return dns;
    }

    private static async Task<SpfOutcome> CheckAsync(InMemoryDnsResolver dns, string ip) =>
        await new SpfEvaluator(dns).CheckHostAsync(new SpfRequest(IPAddress.Parse(ip), "user@example.com", "helo.example.com", SpfScope.Spf));

    [Theory]
    [InlineData("192.0.2.1")]
    [InlineData("192.0.2.10")]
    public async Task A_match_among_the_first_ten_exchanges_passes(string ip)
    {
        var outcome = await CheckAsync(ElevenExchanges(), ip);
        Assert.Equal(SpfResult.Pass, outcome.Result);
    }

    [Theory]
    [InlineData("192.0.2.11")] // only the eleventh exchange would match
    [InlineData("203.0.113.1")] // nothing matches: the eleventh would have to be asked
    public async Task Needing_an_eleventh_exchange_is_a_permerror(string ip)
    {
        var dns = ElevenExchanges();
        var outcome = await CheckAsync(dns, ip);
        Assert.Equal(SpfResult.PermError, outcome.Result);
        Assert.DoesNotContain(dns.QueryLog, q => q.Contains("m11.example.com", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ten_exchanges_without_a_match_fall_through_to_the_next_term()
    {
        var dns = new InMemoryDnsResolver().AddTxt("example.com", "v=spf1 mx -all");
        for (var n = 1; n <= 10; n++) dns.AddMx("example.com", n, $"m{n}.example.com").AddA($"m{n}.example.com", $"192.0.2.{n}");
        var outcome = await CheckAsync(dns, "203.0.113.1");
        Assert.Equal(SpfResult.Fail, outcome.Result);
    }
}
