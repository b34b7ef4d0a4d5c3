using Milters.SenderId.Spf;

namespace Milters.SenderId.Tests.Spf;

/// <summary>Record syntax (RFC 7208 §4.6, §5, §6; RFC 4406 §3.1) beyond what the suites exercise.</summary>
public sealed class SpfRecordParserTests
{
    [Fact]
    public void ParsesEveryMechanismAndModifier()
    {
        var r = SpfRecordParser.Parse("v=spf1 +all -include:_spf.example.com ~a ?a:mail.example.com/24//64 mx/28 ptr:example.org ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}.bl.example.net redirect=example.net exp=why.%{d} x-custom=%{l}");
        Assert.Equal(
            [SpfMechanismKind.All, SpfMechanismKind.Include, SpfMechanismKind.A, SpfMechanismKind.A, SpfMechanismKind.Mx,
             SpfMechanismKind.Ptr, SpfMechanismKind.Ip4, SpfMechanismKind.Ip6, SpfMechanismKind.Exists],
            r.Directives.Select(d => d.Kind));
        Assert.Equal([SpfQualifier.Pass, SpfQualifier.Fail, SpfQualifier.SoftFail, SpfQualifier.Neutral],
            r.Directives.Take(4).Select(d => d.Qualifier));
        Assert.Equal((24, 64), (r.Directives[3].Ip4Cidr, r.Directives[3].Ip6Cidr));
        Assert.Equal((28, 128), (r.Directives[4].Ip4Cidr, r.Directives[4].Ip6Cidr));
        Assert.Equal("example.net", r.Redirect!.Text);
        Assert.Equal("why.%{d}", r.Explanation!.Text);
        Assert.Equal("x-custom", Assert.Single(r.OtherModifiers).Name);
    }

    [Theory]
    [InlineData("v=spf1 redirect=a.example redirect=b.example")]
    [InlineData("v=spf1 exp=a.example exp=b.example")]
    [InlineData("v=spf1 foo")]
    [InlineData("v=spf1 include")]
    [InlineData("v=spf1 ip4:192.0.2.256")]
    [InlineData("v=spf1 ip4:192.0.2.01")]
    [InlineData("v=spf1 ip6:192.0.2.1")]
    [InlineData("v=spf1 ip6:2001:db8::%eth0")]
    [InlineData("v=spf1 a:example.com/33")]
    [InlineData("v=spf1 ptr/24")]
    [InlineData("v=spf1 all:x")]
    [InlineData("v=spf1 -all\u00e9")]
    public void SyntaxErrorsArePermErrors(string record) =>
        Assert.Equal(SpfResult.PermError, Assert.Throws<SpfException>(() => SpfRecordParser.Parse(record)).Result);

    [Theory]
    [InlineData("v=spf1", true)]
    [InlineData("V=SPF1 -all", true)]
    [InlineData("v=spf10 -all", false)]
    [InlineData("spf2.0/pra -all", true)]
    [InlineData("spf2.0/mfrom,pra -all", true)]
    [InlineData("spf2./pra -all", false)]
    [InlineData("spf2.0 -all", false)]
    [InlineData("spf2.0/ -all", false)]
    public void VersionSection(string record, bool valid) => Assert.Equal(valid, SpfVersionTag.TryRead(record, out _));
}
