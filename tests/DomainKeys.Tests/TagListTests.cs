using Milters.DomainKeys.Tags;

namespace Milters.DomainKeys.Tests;

public sealed class TagListTests
{
    [Fact]
    public void Parses_tags_with_folding_white_space_and_a_trailing_semicolon()
    {
        Assert.True(TagList.TryParse(" a=rsa-sha1; q = dns;\r\n\tc=nofws ; s=s1024;\r\n d=yahoo.com;\r\n b=ab\r\n cd; ", out var t, out var error), error);
        Assert.Equal("rsa-sha1", t["a"]);
        Assert.Equal("dns", t["q"]);
        Assert.Equal("nofws", t["c"]);
        Assert.Equal("yahoo.com", t["d"]);
        Assert.Equal("ab\r\n cd", t["b"]);
        Assert.Equal("abcd", TagList.RemoveWhiteSpace(t["b"]!));
        Assert.Null(t["h"]);
        Assert.Equal(6, t.Tags.Count);
    }

    [Fact]
    public void Keeps_an_empty_value_and_unknown_tags()
    {
        Assert.True(TagList.TryParse("g=; p=; x1 = extra ; t = y:n:extra", out var t, out _));
        Assert.Equal("", t["g"]);
        Assert.Equal("", t["p"]);
        Assert.Equal("extra", t["x1"]);
        Assert.Equal("y:n:extra", t["t"]);
    }

    [Fact]
    public void Rejects_an_element_without_an_equals_sign()
    {
        Assert.False(TagList.TryParse("a=rsa-sha1; bogus", out _, out var error));
        Assert.Contains("without '='", error);
    }

    /// <summary>
    /// Names outside the grammar are unrecognized tags, ignored, as Mail::DKIM reads them (an independent review
    /// found signatures and key records with "x-foo=" refused here and verified there).
    /// </summary>
    [Theory]
    [InlineData("a=rsa-sha1; =x", "")]
    [InlineData("1a=x; d=example.com", "1a")]
    [InlineData("x-foo=bar; d=example.com", "x-foo")]
    public void A_name_outside_the_grammar_is_kept_as_an_unknown_tag(string text, string name)
    {
        Assert.True(TagList.TryParse(text, out var t, out var error), error);
        Assert.NotNull(t[name]);
    }

    [Fact]
    public void Of_a_tag_given_twice_the_last_counts_as_in_mail_dkim()
    {
        Assert.True(TagList.TryParse("d=a.com; s=x; d=b.com", out var t, out var error), error);
        Assert.Equal("b.com", t["d"]);
        Assert.Equal(2, t.Tags.Count);
    }

    [Fact]
    public void Tag_names_are_case_sensitive()
    {
        Assert.True(TagList.TryParse("D=example.com", out var t, out _));
        Assert.Null(t["d"]);
        Assert.Equal("example.com", t["D"]);
    }
}
