using System.Text;
using Milters.Abstractions;
using Milters.DomainKeys.Canonicalization;

namespace Milters.DomainKeys.Tests;

/// <summary>Known answers for RFC 4870 §3.4 "simple" and "nofws", and independence from chunk boundaries.</summary>
public sealed class CanonicalizationTests
{
    private static string Body(CanonicalizationAlgorithm c, string body, int chunk = int.MaxValue)
    {
        var sink = new BufferSink();
        var canon = BodyCanonicalizer.Create(c, sink);
        var bytes = Encoding.Latin1.GetBytes(body);
        for (var i = 0; i < bytes.Length; i += chunk)
            canon.Write(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        canon.Finish();
        return Encoding.Latin1.GetString(sink.ToArray());
    }

    private static string Header(CanonicalizationAlgorithm c, string name, string rawValue)
    {
        var sink = new BufferSink();
        HeaderCanonicalizer.Write(c, new HeaderField(name, Encoding.Latin1.GetBytes(rawValue)), sink);
        return Encoding.Latin1.GetString(sink.ToArray());
    }

    // The separator line comes first; the canonical body starts with it when the body has content.
    [Theory]
    [InlineData("hello\r\n", "\r\nhello\r\n")]
    [InlineData("hello\r\n\r\n\r\n", "\r\nhello\r\n")]                  // trailing empty lines ignored
    [InlineData("\r\n\r\nhello\r\n", "\r\n\r\n\r\nhello\r\n")]           // leading empty lines kept
    [InlineData("a\r\n\r\n\r\nb\r\n\r\n", "\r\na\r\n\r\n\r\nb\r\n")]     // inner empty lines kept
    [InlineData("", "")]                                                  // empty body: separator ignored too
    [InlineData("\r\n\r\n\r\n", "")]                                      // only empty lines: all ignored
    [InlineData(" \r\n", "\r\n \r\n")]                                    // a space is content in simple
    [InlineData("a  b\t\r\n", "\r\na  b\t\r\n")]
    [InlineData("no final line break", "\r\nno final line break")]
    [InlineData("a\rb\nc\r\n", "\r\na\rb\nc\r\n")]                        // bare CR / LF are content
    [InlineData("a\r\n\r", "\r\na\r\n\r")]                                // a lone CR at the end is content
    public void Simple_body(string body, string expected)
    {
        Assert.Equal(expected, Body(CanonicalizationAlgorithm.Simple, body));
        for (var chunk = 1; chunk <= 4; chunk++) Assert.Equal(expected, Body(CanonicalizationAlgorithm.Simple, body, chunk));
    }

    [Theory]
    [InlineData("hello world\r\n", "\r\nhelloworld\r\n")]
    [InlineData("a b\r\n \t \r\n\r\n", "\r\nab\r\n")]                    // a white-space line is empty, hence trailing
    [InlineData(" \r\n\t\r\n", "")]                                       // only white space: nothing at all
    [InlineData("a\r \nb\r\n", "\r\na\r\nb\r\n")]                         // white space goes first: CR SP LF is a line end
    [InlineData("a\rb\r\n", "\r\nab\r\n")]                                 // standalone CR dropped
    [InlineData("a\nb\r\n", "\r\nab\r\n")]                                 // standalone LF dropped
    [InlineData("a\r\r\nb\r\n", "\r\na\r\nb\r\n")]                         // CR CR LF: the first CR is standalone
    [InlineData("x\r\n\r\n\r\ny \r\n", "\r\nx\r\n\r\n\r\ny\r\n")]
    [InlineData("end\r", "\r\nend")]                                       // CR at the very end: standalone
    public void Nofws_body(string body, string expected)
    {
        Assert.Equal(expected, Body(CanonicalizationAlgorithm.NoFws, body));
        for (var chunk = 1; chunk <= 4; chunk++) Assert.Equal(expected, Body(CanonicalizationAlgorithm.NoFws, body, chunk));
    }

    [Fact]
    public void Many_trailing_empty_lines_are_counted_not_kept()
    {
        var body = "text\r\n" + string.Concat(Enumerable.Repeat("\r\n", 100_000)) + "more\r\n" + string.Concat(Enumerable.Repeat("\r\n", 100_000));
        var expected = "\r\ntext\r\n" + string.Concat(Enumerable.Repeat("\r\n", 100_000)) + "more\r\n";
        Assert.Equal(expected, Body(CanonicalizationAlgorithm.Simple, body, 65536));
        Assert.Equal(expected, Body(CanonicalizationAlgorithm.NoFws, body, 7));
    }

    [Fact]
    public void Random_chunking_never_changes_the_result()
    {
        var random = new Random(4870);
        var alphabet = "ab \t\r\n\r\n\r\n\v\u00e9"; // \v: a control byte that is content; é: 8-bit
        for (var round = 0; round < 200; round++)
        {
            var body = new string(Enumerable.Range(0, random.Next(0, 60)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            foreach (var c in new[] { CanonicalizationAlgorithm.Simple, CanonicalizationAlgorithm.NoFws })
            {
                var whole = Body(c, body);
                Assert.Equal(whole, Body(c, body, random.Next(1, 8)));
                Assert.Equal(Reference(c, body), whole);
            }
        }
    }

    // Long bodies of words, white space and line ends (mostly CRLF, sometimes bare or split by white space),
    // in chunks of any size: exercises the 16-byte block path of nofws as well as its byte path, and
    // blocks that start with a pending CR or end inside a CRLF.
    [Fact]
    public void Random_text_matches_the_reference_in_any_chunking()
    {
        var random = new Random(4407);
        string[] pieces = ["word", "DomainKeys", "x", " ", " ", "  ", "\t", " \t ", "\r\n", "\r\n", "\r\n\r\n", "\r", "\n", "\r \n", "\v", "\u00e9\u00fc", ""];
        for (var round = 0; round < 400; round++)
        {
            var text = new System.Text.StringBuilder();
            var length = random.Next(0, round % 10 == 0 ? 9000 : 300);
            while (text.Length < length) text.Append(pieces[random.Next(pieces.Length)]);
            var body = text.ToString();
            foreach (var c in new[] { CanonicalizationAlgorithm.Simple, CanonicalizationAlgorithm.NoFws })
            {
                var expected = Reference(c, body);
                Assert.Equal(expected, Body(c, body));
                Assert.Equal(expected, Body(c, body, random.Next(1, 40)));
                Assert.Equal(expected, Body(c, body, random.Next(1, 5000)));
            }
        }
    }

    /// <summary>A direct (non-streaming) reading of RFC 4870 §3.4, as Mail::DKIM implements it, for comparison.</summary>
    private static string Reference(CanonicalizationAlgorithm c, string body)
    {
        var text = "\r\n" + body;
        if (c == CanonicalizationAlgorithm.NoFws)
        {
            text = text.Replace(" ", "").Replace("\t", "");
            text = System.Text.RegularExpressions.Regex.Replace(text, "\r(?!\n)", "");
            text = System.Text.RegularExpressions.Regex.Replace(text, "(?<!\r)\n", "");
        }
        while (text.EndsWith("\r\n\r\n", StringComparison.Ordinal)) text = text[..^2];
        return text == "\r\n" ? "" : text;
    }

    [Theory]
    [InlineData("Subject", " hi there", "Subject: hi there\r\n")]
    [InlineData("Subject", " folded\r\n\tline", "Subject: folded\r\n\tline\r\n")]
    [InlineData("X-Empty", "", "X-Empty:\r\n")]
    [InlineData("Subject", "  two  spaces ", "Subject:  two  spaces \r\n")]
    public void Simple_header_is_the_field_as_it_arrived(string name, string value, string expected) =>
        Assert.Equal(expected, Header(CanonicalizationAlgorithm.Simple, name, value));

    [Theory]
    [InlineData("Subject", " hi there", "Subject:hithere\r\n")]
    [InlineData("Subject", " folded\r\n\tline  here", "Subject:foldedlinehere\r\n")]
    [InlineData("From", " Jason Long <jlong@messiah.edu>", "From:JasonLong<jlong@messiah.edu>\r\n")]
    [InlineData("X-Empty", " \t", "X-Empty:\r\n")]
    public void Nofws_header_loses_all_white_space(string name, string value, string expected) =>
        Assert.Equal(expected, Header(CanonicalizationAlgorithm.NoFws, name, value));

    [Fact]
    public void Eight_bit_bytes_pass_through_unchanged()
    {
        var latin = "caf\u00e9 \u00fc\r\n";
        Assert.Equal("\r\ncaf\u00e9 \u00fc\r\n", Body(CanonicalizationAlgorithm.Simple, latin));
        Assert.Equal("\r\ncaf\u00e9\u00fc\r\n", Body(CanonicalizationAlgorithm.NoFws, latin));
    }
}
