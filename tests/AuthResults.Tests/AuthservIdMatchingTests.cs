using Milters.AuthResults.Syntax;

namespace Milters.AuthResults.Tests;

/// <summary>Which existing headers claim to be ours: the authserv-id read leniently, compared case-insensitively.</summary>
public class AuthservIdMatchingTests
{
    private static readonly AuthservIdMatcher Ours = new(["mx.example.com"]);

    [Theory]
    [InlineData(" mx.example.com; none")]
    [InlineData(" MX.Example.COM; spf=pass smtp.mailfrom=a@example.net")]
    [InlineData("mx.example.com;none")]
    [InlineData(" mx.example.com 1; none")]
    [InlineData(" mx.example.com 1 (version one); dkim=pass")]
    [InlineData(" (comment) mx.example.com; none")]
    [InlineData(" (nested (comment) \\) here) mx.example.com; none")]
    [InlineData(" (a)(b)  (c)mx.example.com(d); none")]
    [InlineData("\t mx.example.com\t;\tnone")]
    [InlineData(" mx.example.com   ;   spf=pass")]
    [InlineData("\r\n mx.example.com\r\n ; none")]
    [InlineData("\n\tmx.example.com;\n\tspf=pass")]
    [InlineData(" (folded\r\n comment) mx.example.com; none")]
    [InlineData(" \"mx.example.com\"; none")]
    [InlineData(" \"MX.EXAMPLE.COM\" 1; none")]
    [InlineData(" \"mx.exa\\mple.com\"; none")]
    [InlineData(" mx.example.com.; none")]
    [InlineData(" mx.example.com")]
    [InlineData(" mx.example.com ")]
    [InlineData(" mx.example.com; dkim=pass header.b=gfT/i2HB")]
    [InlineData(" mx.example.com foo;")]
    [InlineData(" mx.example.com; spf=pass smtp.mailfrom=a@example.net;")]
    [InlineData(" mx.example.com(c)1(d);none")]
    [InlineData(" \"mx.example.com")]
    [InlineData(" \" mx.example.com \"; none")]
    public void Our_authserv_id_is_found_however_it_is_written(string value)
    {
        Assert.True(Ours.IsOurs(AuthservIdReader.Read(value)), $"[{AuthservIdReader.Read(value)}] from [{value}]");
    }

    [Theory]
    [InlineData(" example.com; none")]
    [InlineData(" mx.example.com.evil.net; none")]
    [InlineData(" evil-mx.example.com; none")]
    [InlineData(" mx.example.co; none")]
    [InlineData(" other.example.org; dkim=pass header.d=mx.example.com")]
    [InlineData(" (mx.example.com) other.example.org; none")]
    [InlineData(" i=1; mx.example.com; none")]
    [InlineData(" ; none")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" (unterminated mx.example.com; none")]
    public void Other_authserv_ids_are_not_ours(string value)
    {
        Assert.False(Ours.IsOurs(AuthservIdReader.Read(value)), $"[{AuthservIdReader.Read(value)}] from [{value}]");
    }

    [Fact]
    public void Further_ids_of_our_admd_match_too()
    {
        var matcher = new AuthservIdMatcher(["mx1.example.com", "MX2.example.com", ""]);
        Assert.True(matcher.IsOurs("mx2.EXAMPLE.com"));
        Assert.True(matcher.IsOurs("mx1.example.com"));
        Assert.False(matcher.IsOurs(""));
        Assert.False(matcher.IsOurs(null));
    }

    /// <summary>
    /// The lenient cases are rejected by the strict parser but a lenient reader would still believe them, so
    /// their authserv-id must be found: the one the source parser reports (or the relaxed expectation).
    /// </summary>
    public static TheoryData<string, string> LenientWithAuthservId => new()
    {
        { "trailing-semicolon", "example.com" },
        { "slash-in-unquoted-pvalue", "example.com" },
        { "mail-ar-aol", "mx.aol.com" },
        { "mail-ar-fastmail", "mx6.messagingengine.com" },
        { "mail-ar-yahoo", "mta4011.mail.gq1.yahoo.com" },
        { "mail-ar-outlook-refactored", "outlook.com" },
        { "mail-ar-lax-1", "test.example.com" },
        { "mail-ar-lax-2", "test.example.com" },
        { "mail-ar-lax-3", "test.example.com" },
        { "mail-ar-lax-4", "test.example.com" },
        { "mail-ar-missing-none", "example.com" },
        { "mail-ar-post-assign", "example.com" },
        { "mimekit-underscore-result", "atlas122.free.mail.gq1.yahoo.com" },
    };

    /// <summary>The two Office 365 shapes start with a result, not an authserv-id.</summary>
    private static readonly string[] LenientWithoutAuthservId = ["mimekit-no-authserv-id", "mimekit-office365-random-domain-tokens"];

    [Theory]
    [MemberData(nameof(LenientWithAuthservId))]
    public void Lenient_headers_still_show_their_authserv_id(string id, string authservId)
    {
        var c = ParserCases.ById("lenient", id);
        var field = (string)c["header"]!;
        Assert.Equal(authservId, AuthservIdReader.Read(field[(field.IndexOf(':') + 1)..]));
        if (c["relaxed_expected"] is { } relaxed)
            Assert.Equal((string)relaxed["authserv_id"]!, authservId);
    }

    [Fact]
    public void Lenient_headers_that_start_with_a_result_are_removed_only_with_Remove_All()
    {
        // What we read is "spf=fail", which no configuration takes for ours.
        foreach (var id in LenientWithoutAuthservId)
        {
            var field = (string)ParserCases.ById("lenient", id)["header"]!;
            Assert.Equal("spf=fail", AuthservIdReader.Read(field[(field.IndexOf(':') + 1)..]));
        }
        var listed = LenientWithAuthservId.Select(row => (string)row[0]).Concat(LenientWithoutAuthservId).Order();
        Assert.Equal(ParserCases.Of("lenient").Select(c => (string)c["id"]!).Order(), listed);
    }
}
