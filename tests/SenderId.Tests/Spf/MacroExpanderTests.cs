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

    /// <summary>The label-at-a-time cut of RFC 7208 §7.3, written plainly, to compare the right-to-left expansion with.</summary>
    private static string ReferenceCut(string name)
    {
        if (name.EndsWith('.')) name = name[..^1];
        while (name.Length > SpfLimits.MaxDomainLength && name.IndexOf('.') is var dot and >= 0) name = name[(dot + 1)..];
        return name;
    }

    [Theory]
    [InlineData("%{d}.%{l}.%{o}.example.com", 1)]
    [InlineData("%{d}%{d}%{d}%{d}%{d}%{d}%{d}%{d}%{d}%{d}%{d}%{d}%{d}%{d}%{d}%{d}%{d}%{d}.x", 2)]
    [InlineData("%{l}.%{l}.%{d}", 3)]
    [InlineData("a.%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}.%{d1r}", 4)]
    public async Task The_cut_is_the_label_at_a_time_cut(string template, int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 50; round++)
        {
            // Domains of one to forty labels of 1 to 12 letters: expansions below, at and far above 253 characters.
            var labels = Enumerable.Range(0, random.Next(1, 40)).Select(_ => new string('a', random.Next(1, 13)).Replace('a', (char)('a' + random.Next(26))));
            var domain = string.Join('.', labels) + ".test";
            var context = Context("192.0.2.3") with { Domain = domain, Sender = $"x{round}@{domain}" };
            var spec = DomainSpec.Parse(template);
            var full = await MacroExpander.ExpandAsync(MacroString.Parse(template), context with { });
            var expected = full.Length < MacroExpander.MaxExplanationLength ? ReferenceCut(full) : null;
            var name = await MacroExpander.ExpandDomainAsync(spec, context);
            if (expected is not null) Assert.Equal(expected, name);
            Assert.True(name.Length <= SpfLimits.MaxDomainLength || !name.Contains('.'), name);
        }
    }

    /// <summary>
    /// An independent review's attack: thousands of %{d} against a 250-character domain took minutes (quadratic),
    /// and thousands of %{s} in an explanation with a long sender took gigabytes. Both are now linear and bounded.
    /// </summary>
    [Fact]
    public async Task Huge_expansions_stay_small()
    {
        var domain = string.Join('.', Enumerable.Repeat("a", 120)) + ".test";   // 245 characters
        var context = Context("192.0.2.3") with { Domain = domain, Sender = new string('s', 100_000) + "@" + domain };
        var spec = DomainSpec.Parse(string.Concat(Enumerable.Repeat("%{d}", 20_000)) + ".quad.test");
        var name = await MacroExpander.ExpandDomainAsync(spec, context);
        Assert.EndsWith(".a.a.test.quad.test", name);
        Assert.True(name.Length <= SpfLimits.MaxDomainLength);

        var explanation = await MacroExpander.ExpandAsync(MacroString.Parse(string.Concat(Enumerable.Repeat("%{s} ", 20_000)), explainString: true), context);
        Assert.Equal(MacroExpander.MaxExplanationLength, explanation.Length);
    }
}
