using System.Net;
using Milters.SenderId.Spf;

namespace Milters.SenderId.Tests.Spf;

/// <summary>The macro examples of RFC 7208 §7.4, and the syntax rules of §7.1.</summary>
public sealed class MacroExpanderTests
{
    private static MacroContext Context(string ip) => new(
        "strong-bad@email.example.com", "email.example.com", IPAddress.Parse(ip), "mx.example.org", "receiver.example",
        DateTimeOffset.FromUnixTimeSeconds(1_000_000_000), _ => ValueTask.FromResult("unknown"));

    [Theory]
    [InlineData("%{s}", "strong-bad@email.example.com")]
    [InlineData("%{o}", "email.example.com")]
    [InlineData("%{d}", "email.example.com")]
    [InlineData("%{d4}", "email.example.com")]
    [InlineData("%{d3}", "email.example.com")]
    [InlineData("%{d2}", "example.com")]
    [InlineData("%{d1}", "com")]
    [InlineData("%{dr}", "com.example.email")]
    [InlineData("%{d2r}", "example.email")]
    [InlineData("%{l}", "strong-bad")]
    [InlineData("%{l-}", "strong.bad")]
    [InlineData("%{lr}", "strong-bad")]
    [InlineData("%{lr-}", "bad.strong")]
    [InlineData("%{l1r-}", "strong")]
    [InlineData("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com")]
    [InlineData("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com")]
    [InlineData("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net")]
    [InlineData("%%%_%-", "% %20")]
    [InlineData("%{S}", "strong-bad%40email.example.com")]
    public async Task Rfc7208Section74Ipv4(string macro, string expected) =>
        Assert.Equal(expected, await MacroExpander.ExpandAsync(MacroString.Parse(macro), Context("192.0.2.3")));

    [Fact]
    public async Task Rfc7208Section74Ipv6()
    {
        // DNS names are case-insensitive; the nibbles are written in upper case (see MacroExpander).
        var name = await MacroExpander.ExpandAsync(MacroString.Parse("%{ir}.%{v}._spf.%{d2}"), Context("2001:db8::cb01"));
        Assert.Equal("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com", name, ignoreCase: true);
    }

    [Fact]
    public async Task ExplanationOnlyLetters()
    {
        var text = await MacroExpander.ExpandAsync(MacroString.Parse("%{c} %{r} %{t} %{h}", explainString: true), Context("2001:db8::cb01"));
        Assert.Equal("2001:db8::cb01 receiver.example 1000000000 mx.example.org", text);
    }

    [Theory]
    [InlineData("%{c}")]      // c, r, t only in exp text (RFC 7208 §7.2)
    [InlineData("%{x}")]      // no such letter
    [InlineData("%{d0}")]     // the digit transformer must be nonzero (§7.3)
    [InlineData("%{d")]       // unterminated
    [InlineData("%x")]        // "%" must start a macro
    [InlineData("a b")]       // spaces only in exp text
    [InlineData("%{l*}")]     // not a delimiter
    public void SyntaxErrorsArePermErrors(string text) =>
        Assert.Equal(SpfResult.PermError, Assert.Throws<SpfException>(() => MacroString.Parse(text)).Result);

    [Fact]
    public async Task LongExpansionLosesLabelsOnTheLeft()
    {
        var spec = DomainSpec.Parse("%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.example.com");
        var name = await MacroExpander.ExpandDomainAsync(spec, Context("192.0.2.3"));
        Assert.True(name.Length <= SpfLimits.MaxDomainLength, name);
        Assert.EndsWith(".example.com", name);
        Assert.StartsWith("strong-bad.", name);
    }
}
