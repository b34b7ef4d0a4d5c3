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

    [Theory]
    [InlineData("a=rsa-sha1; bogus", "without '='")]
    [InlineData("a=rsa-sha1; =x", "invalid tag name")]
    [InlineData("1a=x", "invalid tag name")]
    public void Rejects_malformed_lists(string text, string expected)
    {
        Assert.False(TagList.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
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
