using System.Net;
using Milters.SenderId.Spf;
using Milters.Testing.Dns;

namespace Milters.SenderId.Tests.Spf;

/// <summary>
/// RFC 7208 §4.6.4: at most 10 terms that cause DNS queries "during SPF evaluation". A redirect= is evaluated
/// only when no mechanism matched (§6.1), so one that is never reached queries nothing and does not count —
/// Mail::SPF 2.9.0 counts it before it looks whether it applies (Mail/SPF/Mod/Redirect.pm), and the random
/// comparisons leave that case out (RandomPolicies).
/// </summary>
public sealed class LookupLimitTests
{
    /// <summary>example.com: nine a: terms for names without addresses, then a:hit (the 10th lookup) and more.</summary>
    private static InMemoryDnsResolver TenthLookupMatches(string tail)
    {
        var terms = string.Join(' ', Enumerable.Range(1, 9).Select(n => $"a:n{n}.example.com"));
        var dns = new InMemoryDnsResolver().AddTxt("example.com", $"v=spf1 {terms} a:hit.example.com {tail}")
            .AddA("hit.example.com", "192.0.2.1").AddTxt("other.example.com", "v=spf1 -all");
        for (var n = 1; n <= 9; n++) dns.AddA($"n{n}.example.com", "198.51.100.1"); // present: no void lookups
        return dns;
    }

    private static Task<SpfOutcome> CheckAsync(InMemoryDnsResolver dns) =>
        new SpfEvaluator(dns).CheckHostAsync(new SpfRequest(IPAddress.Parse("192.0.2.1"), "user@example.com", "helo.example.com", SpfScope.Spf));

    [Fact]
    public async Task A_match_at_the_tenth_lookup_passes_although_an_unreached_redirect_follows()
    {
        var result = await CheckAsync(TenthLookupMatches("redirect=other.example.com"));
        Assert.Equal(SpfResult.Pass, result.Result);
    }

    [Fact]
    public async Task An_eleventh_lookup_is_a_permerror()
    {
        var dns = new InMemoryDnsResolver().AddTxt("example.com",
                "v=spf1 " + string.Join(' ', Enumerable.Range(1, 10).Select(n => $"a:n{n}.example.com")) + " a:hit.example.com -all")
            .AddA("hit.example.com", "192.0.2.1");
        for (var n = 1; n <= 10; n++) dns.AddA($"n{n}.example.com", "198.51.100.1");
        var result = await CheckAsync(dns);
        Assert.Equal(SpfResult.PermError, result.Result);
        Assert.DoesNotContain(dns.QueryLog, q => q.Contains("hit.example.com", StringComparison.Ordinal)); // the 11th term is not asked
    }

    [Fact]
    public async Task A_redirect_reached_after_ten_lookups_is_the_eleventh_and_a_permerror()
    {
        var dns = new InMemoryDnsResolver().AddTxt("example.com",
                "v=spf1 " + string.Join(' ', Enumerable.Range(1, 10).Select(n => $"a:n{n}.example.com")) + " redirect=other.example.com")
            .AddTxt("other.example.com", "v=spf1 +all");
        for (var n = 1; n <= 10; n++) dns.AddA($"n{n}.example.com", "198.51.100.1");
        Assert.Equal(SpfResult.PermError, (await CheckAsync(dns)).Result);
    }
}
