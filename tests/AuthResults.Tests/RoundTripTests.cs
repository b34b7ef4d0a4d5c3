using System.Text;
using MimeKit.Cryptography;
using Milters.AuthResults.Syntax;

namespace Milters.AuthResults.Tests;

/// <summary>Every header we write reads back as the results it was written from: by our parser and by MimeKit's.</summary>
public class RoundTripTests
{
    private static readonly IReadOnlyList<AuthResultsHeader> Headers = GeneratedHeaders.Make(400);

    [Fact]
    public void Our_parser_reads_back_exactly_what_was_written()
    {
        foreach (var formatter in new[] { new AuthResultsFormatter(), new AuthResultsFormatter { ReasonStyle = ReasonStyle.Comment } })
        {
            foreach (var h in Headers)
            {
                var field = formatter.FormatField(h);
                Assert.True(AuthResultsParser.TryParseField(field, out var parsed, out var error), $"{error}: {field}");
                AssertSame(h, parsed!, reasons: formatter.ReasonStyle == ReasonStyle.ReasonSpec, field);
            }
        }
    }

    [Fact]
    public void Every_line_is_at_most_78_characters_and_continues_with_white_space()
    {
        var formatter = new AuthResultsFormatter();
        foreach (var h in Headers)
        {
            var lines = formatter.FormatField(h).Split("\r\n");
            Assert.All(lines, l => Assert.True(l.Length <= 78, $"{l.Length}: {l}"));
            Assert.All(lines.Skip(1), l => Assert.True(l.Length > 1 && l[0] is '\t' or ' ' && l.Trim().Length > 0, l));
        }
    }

    [Fact]
    public void MimeKit_reads_the_same_results()
    {
        var formatter = new AuthResultsFormatter();
        foreach (var h in Headers)
        {
            var field = formatter.FormatField(h);
            var value = Encoding.UTF8.GetBytes(field[(field.IndexOf(':') + 1)..]);
            Assert.True(AuthenticationResults.TryParse(value, out var mk), field);
            Assert.Equal(h.AuthservId, mk.AuthenticationServiceIdentifier);
            Assert.Equal(h.Results.Count, mk.Results.Count);
            for (var i = 0; i < h.Results.Count; i++)
            {
                var (ours, theirs) = (h.Results[i], mk.Results[i]);
                Assert.Equal(ours.Method, theirs.Method);
                Assert.Equal(ours.Result, theirs.Result);
                Assert.Equal(ours.Reason is null ? null : PValueSyntax.NormalizeText(ours.Reason), theirs.Reason);
                Assert.Equal(ours.Properties.Count, theirs.Properties.Count);
                for (var j = 0; j < ours.Properties.Count; j++)
                {
                    Assert.Equal(ours.Properties[j].Type, theirs.Properties[j].PropertyType);
                    Assert.Equal(ours.Properties[j].Property, theirs.Properties[j].Property);
                    Assert.Equal(ours.Properties[j].Value, theirs.Properties[j].Value);
                }
            }
        }
    }

    internal static void AssertSame(AuthResultsHeader expected, AuthResultsHeader actual, bool reasons, string field)
    {
        Assert.Equal(expected.AuthservId, actual.AuthservId);
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.Results.Count, actual.Results.Count);
        for (var i = 0; i < expected.Results.Count; i++)
        {
            var (e, a) = (expected.Results[i], actual.Results[i]);
            Assert.Equal(e.Method, a.Method);
            Assert.Equal(e.MethodVersion, a.MethodVersion);
            Assert.Equal(e.Result, a.Result);
            Assert.Equal(reasons && e.Reason is not null ? PValueSyntax.NormalizeText(e.Reason) : null, a.Reason);
            Assert.Equal(e.Properties, a.Properties);
        }
        _ = field;
    }
}
