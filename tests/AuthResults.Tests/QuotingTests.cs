using Milters.AuthResults.Syntax;
using Milters.Abstractions;

namespace Milters.AuthResults.Tests;

/// <summary>How values are written (RFC 8601 §2.2 pvalue, RFC 2045 value) and that each parses back to itself.</summary>
public class QuotingTests
{
    [Theory]
    // RFC 2045 tokens stay bare
    [InlineData("example.com", "example.com")]
    [InlineData("192.0.2.200", "192.0.2.200")]
    [InlineData("V9y21l+w", "V9y21l+w")]
    [InlineData(".net", ".net")]
    // identities: [ [ local-part ] "@" ] domain-name, bare (RFC 8601 §2.2: identities MUST use this form)
    [InlineData("user@example.com", "user@example.com")]
    [InlineData("@example.com", "@example.com")]
    [InlineData("first.last+tag@mail.example.org", "first.last+tag@mail.example.org")]
    [InlineData("a/b=c?d@example.com", "a/b=c?d@example.com")]
    [InlineData("Pelé@example.com", "Pelé@example.com")]
    // everything else: one quoted-string
    [InlineData("2001:db8::1", "\"2001:db8::1\"")]
    [InlineData("gfT/i2HB", "\"gfT/i2HB\"")]
    [InlineData("john..doe@example.com", "\"john..doe@example.com\"")]
    [InlineData("\"john doe\"@example.com", "\"\\\"john doe\\\"@example.com\"")]
    [InlineData("user@localhost", "\"user@localhost\"")]
    [InlineData("user@example.com.", "\"user@example.com.\"")]
    [InlineData("user@[192.0.2.1]", "\"user@[192.0.2.1]\"")]
    [InlineData("a b", "\"a b\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("back\\slash", "\"back\\\\slash\"")]
    [InlineData("", "\"\"")]
    [InlineData("\"a\\b\"@example.com", "\"\\\"a\\\\b\\\"@example.com\"")]
    [InlineData("user@bücher.example", "\"user@bücher.example\"")]
    public void PValue_is_written_in_the_least_quoted_form_that_parses_back(string value, string written)
    {
        Assert.Equal(written, PValueSyntax.PValue(value));
        var header = AuthResultsParser.Parse($" example.org; x-test=pass header.x={written}");
        Assert.Equal(value, header.Results[0].Properties[0].Value);
    }

    [Fact]
    public void A_quoted_local_part_written_bare_by_someone_else_keeps_its_quotes_in_the_value()
    {
        var header = AuthResultsParser.Parse(" example.org; spf=pass smtp.mailfrom=\"john doe\"@example.com");
        Assert.Equal("\"john doe\"@example.com", header.Results[0].Properties[0].Value);
    }

    [Theory]
    [InlineData("mx.example.com", "mx.example.com")]
    [InlineData("éxamplé.org", "\"éxamplé.org\"")]
    [InlineData("odd;id", "\"odd;id\"")]
    public void Authserv_id_is_a_token_or_a_quoted_string(string id, string written)
    {
        var value = new AuthResultsFormatter().FormatValue(new AuthResultsHeader(id, null, []));
        Assert.Equal($" {written}; none", value);
        Assert.Equal(id, AuthResultsParser.Parse(value).AuthservId);
    }

    [Fact]
    public void Control_characters_cannot_start_a_new_header_line()
    {
        var value = HeaderText.Sanitize("evil@example.com\r\nX-Injected: yes\0");
        Assert.DoesNotContain('\r', value);
        Assert.DoesNotContain('\n', value);
        Assert.DoesNotContain('\0', value);
        Assert.Equal("evil@example.com X-Injected: yes ", value);

        var header = new AuthResultsHeader("mx.example.com", null,
            [new ResInfo("spf", null, "pass", "line1\r\n\tline2", [new PropSpec("smtp", "mailfrom", "a@example.com\r\nX-Injected: yes")])]);
        var written = new AuthResultsFormatter().FormatField(header);
        foreach (var line in written.Split("\r\n").Skip(1))
            Assert.True(line.StartsWith('\t') || line.StartsWith(' '), $"continuation line without leading white space: {line}");
        var parsed = AuthResultsParser.Parse(written[(written.IndexOf(':') + 1)..]);
        Assert.Equal("line1 line2", parsed.Results[0].Reason);
        Assert.Equal("a@example.com X-Injected: yes", parsed.Results[0].Properties[0].Value);
    }

    [Theory]
    [InlineData("good signature", " mx.example.com; dkim=pass reason=\"good signature\"")]
    [InlineData("a \"quoted\" word", " mx.example.com; dkim=pass reason=\"a \\\"quoted\\\" word\"")]
    public void Reason_is_a_quoted_reasonspec(string reason, string expected)
    {
        var value = new AuthResultsFormatter().FormatValue(new AuthResultsHeader("mx.example.com", null, [new ResInfo("dkim", null, "pass", reason, [])]));
        Assert.Equal(expected, value);
        Assert.Equal(reason, AuthResultsParser.Parse(value).Results[0].Reason);
    }

    [Fact]
    public void Reason_as_comment_escapes_parentheses()
    {
        var f = new AuthResultsFormatter { ReasonStyle = ReasonStyle.Comment };
        var value = f.FormatValue(new AuthResultsHeader("mx", null, [new ResInfo("domainkeys", null, "neutral", "(x) \\o/", [new PropSpec("header", "d", "ex.com")])]));
        Assert.Equal(" mx; domainkeys=neutral (\\(x\\) \\\\o/) header.d=ex.com", value);
        var parsed = AuthResultsParser.Parse(value);
        Assert.Null(parsed.Results[0].Reason);
        Assert.Equal("ex.com", parsed.Results[0].Properties[0].Value);
    }

    [Theory]
    [InlineData("dkim_pass")]
    [InlineData("pass-")]
    [InlineData("")]
    [InlineData("spf fail")]
    public void Non_keywords_are_refused_not_written(string result)
    {
        var header = new AuthResultsHeader("mx.example.com", null, [new ResInfo("spf", null, result, null, [])]);
        Assert.Throws<FormatException>(() => new AuthResultsFormatter().FormatValue(header));
    }
}
