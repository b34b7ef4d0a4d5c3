using Milters.DomainKeys.Verifying;
using Milters.Testing;
using Milters.Testing.Peers;

namespace Milters.DomainKeys.Tests;

/// <summary>
/// b= is decoded as Mail::DKIM decodes it (Perl's MIME::Base64): characters outside the alphabet are skipped,
/// a last group may lack its padding, text after the padding is not read, and missing or empty data parses —
/// the signature then simply does not verify ("fail").
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

    [Theory]
    [InlineData("b=AQI", new byte[] { 1, 2 })]          // padding lost
    [InlineData("b=AQ", new byte[] { 1 })]
    [InlineData("b=AQ==AAAA", new byte[] { 1 })]        // text after the padding
    [InlineData("b=AQID=AAA", new byte[] { 1, 2, 3 })]
    [InlineData("b=A", new byte[0])]
    public void Decodes_the_end_as_Mail_DKIM_does(string b, byte[] expected)
    {
        Assert.True(DomainKeySignature.TryParse(Tags + b, requireQueryTag: false, out var signature, out var error), error);
        Assert.Equal(expected, signature!.Data);
    }

    /// <summary>Random b= values, each decoded here and by MIME::Base64 itself.</summary>
    [Fact]
    public void Random_data_decodes_as_MIME_Base64_decodes_it()
    {
        var random = new Random(RandomSeed.Or(4870));
        const string characters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/====!*.-_";
        var values = Enumerable.Range(0, 400)
            .Select(_ => new string(Enumerable.Range(0, random.Next(0, 24)).Select(_ => characters[random.Next(characters.Length)]).ToArray()))
            .ToList();
        var perl = ProcessRunner.Run("perl", ["-MMIME::Base64", "-ne", "chomp; print unpack('H*', decode_base64($_)), qq{\n}"],
            stdin: string.Join("\n", values) + "\n");
        Assert.True(perl.ExitCode == 0, perl.ToString());
        var expected = perl.StandardOutput.Split('\n');
        for (var i = 0; i < values.Count; i++)
        {
            Assert.True(DomainKeySignature.TryParse(Tags + "b=" + values[i], requireQueryTag: false, out var signature, out var error), error);
            Assert.True(expected[i] == Convert.ToHexStringLower(signature!.Data), $"b={values[i]}: MIME::Base64 {expected[i]}, here {Convert.ToHexStringLower(signature.Data)}");
        }
    }

    [Theory]
    [InlineData("c=; ")]
    [InlineData("c=  ; ")]
    public void An_empty_c_is_the_default_simple(string c)
    {
        Assert.True(DomainKeySignature.TryParse("a=rsa-sha1; q=dns; " + c + "d=example.com; s=sel; b=AQID", requireQueryTag: false, out var signature, out var error), error);
        Assert.Equal(Milters.DomainKeys.Canonicalization.CanonicalizationAlgorithm.Simple, signature!.Canonicalization);
    }
}
