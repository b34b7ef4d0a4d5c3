using Milters.AuthResults.Syntax;

namespace Milters.AuthResults.Tests;

/// <summary>Line length and folding of what we write (RFC 5322 §2.1.1, §2.2.3).</summary>
public class FoldingTests
{
    private static readonly AuthResultsFormatter Formatter = new();

    [Fact]
    public void A_short_field_stays_on_one_line()
    {
        var h = new AuthResultsHeader("mx.example.com", null, [new ResInfo("spf", null, "pass", null, [new PropSpec("smtp", "mailfrom", "a@example.com")])]);
        Assert.Equal("Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=a@example.com", Formatter.FormatField(h));
    }

    [Fact]
    public void No_results_is_none()
    {
        Assert.Equal("Authentication-Results: mx.example.com; none", Formatter.FormatField(new AuthResultsHeader("mx.example.com", null, [])));
    }

    [Fact]
    public void A_long_field_puts_each_result_on_its_own_tab_folded_line()
    {
        var h = new AuthResultsHeader("mx.example.com", null,
        [
            new ResInfo("domainkeys", null, "pass", null, [new PropSpec("header", "from", "alice@example.com"), new PropSpec("header", "d", "example.com")]),
            new ResInfo("sender-id", null, "pass", null, [new PropSpec("header", "from", "alice@example.com")]),
            new ResInfo("spf", null, "pass", null, [new PropSpec("smtp", "mailfrom", "alice@example.com")]),
        ]);
        Assert.Equal(
            "Authentication-Results: mx.example.com;\r\n" +
            "\tdomainkeys=pass header.from=alice@example.com header.d=example.com;\r\n" +
            "\tsender-id=pass header.from=alice@example.com;\r\n" +
            "\tspf=pass smtp.mailfrom=alice@example.com",
            Formatter.FormatField(h));
    }

    [Fact]
    public void A_long_result_breaks_between_its_parts_and_inside_a_long_reason()
    {
        var reason = string.Join(' ', Enumerable.Range(1, 30).Select(i => $"word{i}"));
        var h = new AuthResultsHeader("mx.example.com", null,
        [
            new ResInfo("domainkeys", null, "fail", reason,
                [new PropSpec("header", "from", "someone.with.a.long.name@subdomain.example.com"), new PropSpec("header", "d", "subdomain.example.com")]),
        ]);
        var field = Formatter.FormatField(h);
        var lines = field.Split("\r\n");
        Assert.True(lines.Length > 3);
        Assert.All(lines, l => Assert.True(l.Length <= 78, $"{l.Length}: {l}"));
        Assert.All(lines.Skip(1), l => Assert.True(l[0] is ' ' or '\t' && l.Trim().Length > 0, l));
        // Breaks between parts use CRLF TAB; breaks inside the quoted reason keep its own space.
        Assert.Contains("\r\n\theader.from=", field);
        Assert.Contains("\r\n word", field);

        var parsed = AuthResultsParser.Parse(field[(field.IndexOf(':') + 1)..]);
        Assert.Equal(reason, parsed.Results[0].Reason);
        Assert.Equal("someone.with.a.long.name@subdomain.example.com", parsed.Results[0].Properties[0].Value);
    }

    [Fact]
    public void A_quoted_value_is_not_broken_inside_its_quotes()
    {
        var value = "\"a" + new string(' ', 5) + string.Join("  ", Enumerable.Repeat("xxxxxxxxxx", 4)) + "\"@example.com";
        var h = new AuthResultsHeader("mx.example.com", null, [new ResInfo("spf", null, "pass", null, [new PropSpec("smtp", "mailfrom", value)])]);
        var lines = Formatter.FormatField(h).Split("\r\n");
        Assert.Equal(3, lines.Length);
        Assert.Equal("\tsmtp.mailfrom=" + PValueSyntax.QuoteString(value), lines[2]);
        Assert.Equal(value, AuthResultsParser.Parse(string.Join("\r\n", lines)[(lines[0].IndexOf(':') + 1)..]).Results[0].Properties[0].Value);
    }

    [Fact]
    public void A_word_longer_than_a_line_gets_a_line_of_its_own()
    {
        var domain = string.Join('.', Enumerable.Repeat("abcdefghij", 9)) + ".example";
        var h = new AuthResultsHeader("mx.example.com", null, [new ResInfo("domainkeys", null, "pass", null, [new PropSpec("header", "d", domain)])]);
        var lines = Formatter.FormatField(h).Split("\r\n");
        Assert.Equal(["Authentication-Results: mx.example.com;", "\tdomainkeys=pass", "\theader.d=" + domain], lines);
    }
}
