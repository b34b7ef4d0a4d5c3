using System.Net;
using Milters.SenderId.Spf;
using Milters.Testing.Dns;

namespace Milters.SenderId.Tests.Spf;

/// <summary>
/// A space or a quote is a legal label octet (RFC 2181 §11): "%_" and quoted local-parts put them into the names of
/// include: and redirect=, and check_host() is evaluated on those names like any other (RFC 7208 §5.2, §6.1; Mail::SPF
/// does). An independent review found both answered permerror without a lookup, while exists: looked them up.
/// </summary>
public sealed class TargetNameTests
{
    private static Task<SpfOutcome> CheckAsync(InMemoryDnsResolver dns, string sender) =>
        new SpfEvaluator(dns).CheckHostAsync(new SpfRequest(IPAddress.Parse("192.0.2.1"), sender, "helo.example.com", SpfScope.Spf));

    [Fact]
    public async Task An_include_of_a_name_with_a_space_is_looked_up()
    {
        var dns = new InMemoryDnsResolver()
            .AddTxt("a.example", "v=spf1 include:%_sp.a.example -all").AddTxt(" sp.a.example", "v=spf1 +all");
        var outcome = await CheckAsync(dns, "u@a.example");
        Assert.Equal(SpfResult.Pass, outcome.Result);
        Assert.Contains(dns.QueryLog, q => q.Contains(" sp.a.example", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_redirect_to_a_name_with_a_quote_and_a_space_is_looked_up()
    {
        var dns = new InMemoryDnsResolver()
            .AddTxt("r.example", "v=spf1 redirect=%{l}.r.example").AddTxt("\"q u\".r.example", "v=spf1 -all");
        var outcome = await CheckAsync(dns, "\"q u\"@r.example");
        Assert.Equal(SpfResult.Fail, outcome.Result);
    }

    [Fact]
    public async Task A_control_character_in_a_target_is_still_no_name()
    {
        var dns = new InMemoryDnsResolver().AddTxt("c.example", "v=spf1 redirect=%{l}.c.example");
        var outcome = await CheckAsync(dns, "a\tb@c.example");
        Assert.Equal(SpfResult.PermError, outcome.Result);
        Assert.DoesNotContain(dns.QueryLog, q => q.Contains("\t", StringComparison.Ordinal));
    }
}
