using System.Net;
using System.Text;
using Milters.SenderId.Spf;
using Milters.Testing.Dns;

namespace Milters.SenderId.Tests.Spf;

/// <summary>
/// RFC 7208 §4.3: "Internationalized domain names MUST be encoded as A-labels". A sender whose domain is written in
/// U-labels (SMTPUTF8 mail, RFC 6531) is checked against the records of its A-label name.
/// </summary>
public sealed class InternationalizedDomainTests
{
    private const string ALabel = "xn--bcher-kva.example"; // bücher.example

    private static async Task<SpfOutcome> CheckAsync(InMemoryDnsResolver dns, string identity, string ip = "192.0.2.1") =>
        await new SpfEvaluator(dns).CheckHostAsync(new SpfRequest(IPAddress.Parse(ip), identity, "helo.example.com"));

    [Theory]
    [InlineData("jörg@bücher.example")]
    [InlineData("JÖRG@BÜCHER.EXAMPLE")] // upper-case U-labels map to the same A-label
    [InlineData("jörg@xn--bcher-kva.example")]
    [InlineData("bücher.example")] // a HELO identity
    public async Task The_record_of_the_A_label_name_is_used(string identity)
    {
        var dns = new InMemoryDnsResolver().AddTxt(ALabel, "v=spf1 ip4:192.0.2.1 -all");
        Assert.Equal(SpfResult.Pass, (await CheckAsync(dns, identity)).Result);
        Assert.Equal(SpfResult.Fail, (await CheckAsync(dns, identity, "192.0.2.2")).Result);
        Assert.All(dns.QueryLog, q => Assert.True(Ascii.IsValid(q), q));
    }

    [Fact]
    public async Task Domain_macros_expand_to_A_labels()
    {
        var dns = new InMemoryDnsResolver()
            .AddTxt(ALabel, "v=spf1 exists:%{d}.allowed.example exists:%{o}.other.example -all")
            .AddA(ALabel + ".other.example", "127.0.0.2");
        var outcome = await CheckAsync(dns, "jörg@bücher.example");
        Assert.Equal(SpfResult.Pass, outcome.Result);
        Assert.Contains(dns.QueryLog, q => q.Contains(ALabel + ".allowed.example", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void An_ASCII_sender_is_left_as_it_is()
    {
        var request = new SpfRequest(IPAddress.Loopback, "User@Example.COM", "helo.example.com");
        Assert.Equal("User@Example.COM", request.Sender);
        Assert.Equal("Example.COM", request.Domain);
        Assert.Equal("postmaster@helo.example.com", new SpfRequest(IPAddress.Loopback, "helo.example.com", "helo.example.com").Sender);
        Assert.Equal("postmaster@example.com", new SpfRequest(IPAddress.Loopback, "@example.com", "helo.example.com").Sender);
    }

    [Fact]
    public async Task A_name_that_cannot_be_encoded_is_none_without_a_lookup()
    {
        var dns = new InMemoryDnsResolver();
        var outcome = await CheckAsync(dns, "jörg@" + new string('ü', 64) + ".example");
        Assert.Equal(SpfResult.None, outcome.Result);
        Assert.Empty(dns.QueryLog);
    }
}
