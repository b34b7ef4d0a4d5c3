using Milters.DomainKeys.Verifying;

namespace Milters.DomainKeys.Tests;

/// <summary>
/// b= is decoded as MIME decodes base64 (RFC 2045 §6.8), as Mail::DKIM does: characters outside the alphabet
/// are skipped, and missing or empty data parses — the signature then simply does not verify ("fail").
/// </summary>
public sealed class SignatureDataTests
{
    private const string Tags = "a=rsa-sha1; q=dns; c=nofws; d=example.com; s=sel; ";

    [Theory]
    [InlineData("b=AQID", new byte[] { 1, 2, 3 })]
    [InlineData("b=AQ ID\r\n\t", new byte[] { 1, 2, 3 })]
    [InlineData("b=A!Q.I*D", new byte[] { 1, 2, 3 })]
    [InlineData("b=", new byte[0])]
    [InlineData("b=!!!!", new byte[0])]
    public void Decodes_what_base64_there_is(string b, byte[] expected)
    {
        Assert.True(DomainKeySignature.TryParse(Tags + b, requireQueryTag: false, out var signature, out var error), error);
        Assert.Equal(expected, signature!.Data);
    }

    [Fact]
    public void A_signature_without_b_parses_with_no_data()
    {
        Assert.True(DomainKeySignature.TryParse(Tags.TrimEnd(' ', ';'), requireQueryTag: false, out var signature, out var error), error);
        Assert.Empty(signature!.Data);
    }
}
