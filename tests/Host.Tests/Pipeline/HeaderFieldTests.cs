using Milters.Abstractions;

namespace Milters.Host.Tests.Pipeline;

public sealed class HeaderFieldTests
{
    [Theory]
    [InlineData("DomainKey-Signature", true)]
    [InlineData("domainkey-signature", true)]
    [InlineData("DomainKey-Signature ", true)]  // RFC 5322 §4.5.3 obs-optional: "name WSP :"
    [InlineData("DomainKey-Signature\t", true)]
    [InlineData(" DomainKey-Signature", false)] // leading white space would be a folded line, not this field
    [InlineData("DomainKey-Signatures", false)]
    public void Is_matches_the_name_without_the_white_space_before_the_colon(string name, bool expected)
    {
        var field = new HeaderField(name, "x"u8.ToArray());
        Assert.Equal(expected, field.Is("DomainKey-Signature"));
        Assert.Equal(name, field.Name); // kept as passed: simple canonicalization hashes it so
    }
}
