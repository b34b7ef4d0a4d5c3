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
    /// <summary>
    /// example.com: <paramref name="lookups"/> a: terms for names that have an address other than the client's
    /// (no void lookups), then <paramref name="then"/>; hit.example.com is the client, other.example.com "+all".
    /// </summary>
    private static InMemoryDnsResolver Record(int lookups, string then)
    {
        var terms = string.Join(' ', Enumerable.Range(1, lookups).Select(n => $"a:n{n}.example.com"));
        var dns = new InMemoryDnsResolver().AddTxt("example.com", $"v=spf1 {terms} {then}")
            .AddA("hit.example.com", "192.0.2.1").AddTxt("other.example.com", "v=spf1 +all");
        for (var n = 1; n <= lookups; n++) dns.AddA($"n{n}.example.com", "198.51.100.1");
        return dns;
    }

    private static Task<SpfOutcome> CheckAsync(InMemoryDnsResolver dns) =>
        new SpfEvaluator(dns).CheckHostAsync(new SpfRequest(IPAddress.Parse("192.0.2.1"), "user@example.com", "helo.example.com", SpfScope.Spf));

    [Fact]
    public async Task A_match_at_the_tenth_lookup_passes_although_an_unreached_redirect_follows()
    {
        var outcome = await CheckAsync(Record(9, "a:hit.example.com redirect=other.example.com"));
        Assert.Equal(SpfResult.Pass, outcome.Result);
    }

    [Fact]
    public async Task An_eleventh_lookup_is_a_permerror_and_is_not_asked()
    {
        var dns = Record(10, "a:hit.example.com -all");
        Assert.Equal(SpfResult.PermError, (await CheckAsync(dns)).Result);
        Assert.DoesNotContain(dns.QueryLog, q => q.Contains("hit.example.com", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_redirect_reached_after_ten_lookups_is_the_eleventh_and_a_permerror()
    {
        Assert.Equal(SpfResult.PermError, (await CheckAsync(Record(10, "redirect=other.example.com"))).Result);
    }

    /// <summary>
    /// %{p} stands for the same validated name throughout an evaluation: looked up once, however often the record
    /// writes it (an independent review made one message ask 7,578 PTR queries with a record of thousands of %{p}).
    /// </summary>
    [Fact]
    public async Task The_validated_name_of_p_is_looked_up_once_per_evaluation()
    {
        var client = IPAddress.Parse("192.0.2.1");
        var macros = string.Join(' ', Enumerable.Range(0, 200).Select(n => $"exists:%{{p}}.n{n}.example.com"));
        var dns = new InMemoryDnsResolver().AddTxt("example.com", $"v=spf1 {macros} exists:%{{p}}.example.com -all")
            .AddPtr(client, "mail.example.com").AddA("mail.example.com", "192.0.2.1").AddA("mail.example.com.example.com", "127.0.0.2");
        var outcome = await new SpfEvaluator(dns).CheckHostAsync(new SpfRequest(client, "user@example.com", "helo.example.com", SpfScope.Spf));
        // The exists terms find nothing (void lookups) and run into the limits: permerror, after one PTR lookup.
        Assert.Equal(SpfResult.PermError, outcome.Result);
        Assert.Equal(1, dns.QueryLog.Count(q => q.Contains("PTR", StringComparison.Ordinal)));

        dns = new InMemoryDnsResolver().AddTxt("example.com", "v=spf1 exists:%{p}.%{p}.%{p}.%{p}.%{p}.example.com -all")
            .AddPtr(client, "m.example.com").AddA("m.example.com", "192.0.2.1").AddA("m.example.com.m.example.com.m.example.com.m.example.com.m.example.com.example.com", "127.0.0.2");
        outcome = await new SpfEvaluator(dns).CheckHostAsync(new SpfRequest(client, "user@example.com", "helo.example.com", SpfScope.Spf));
        Assert.Equal(SpfResult.Pass, outcome.Result);
        Assert.Equal(1, dns.QueryLog.Count(q => q.Contains("PTR", StringComparison.Ordinal)));
    }

    /// <summary>
    /// The PTR lookup of %{p} is a lookup like any other (RFC 7208 §4.6.4): when it is the third void one, the
    /// evaluation ends in permerror (Mail::SPF 2.9.0 says so for the first record), in whichever term the %{p} stands.
    /// </summary>
    [Theory]
    [InlineData("exists:nx1.example.com exists:nx2.example.com a:%{p}.example.com -all")]
    [InlineData("exists:nx1.example.com exists:nx2.example.com exists:%{p}.example.com -all")]
    public async Task A_void_PTR_lookup_of_p_over_the_limit_is_a_permerror(string terms)
    {
        var client = IPAddress.Parse("192.0.2.10");
        var dns = new InMemoryDnsResolver().AddTxt("example.com", "v=spf1 " + terms).AddA("unknown.example.com", "192.0.2.10");
        var outcome = await new SpfEvaluator(dns).CheckHostAsync(new SpfRequest(client, "u@example.com", "h.example", SpfScope.Spf));
        Assert.Equal(SpfResult.PermError, outcome.Result);
        Assert.Contains("void lookups", outcome.Reason, StringComparison.Ordinal);
    }
}
