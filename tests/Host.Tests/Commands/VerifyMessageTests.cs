using System.Text;
using Milters.Host.Commands;

namespace Milters.Host.Tests.Commands;

/// <summary>How `milters verify` splits a message file: an mbox "From " line goes, an obsolete "From :" field stays.</summary>
public sealed class VerifyMessageTests
{
    [Fact]
    public void An_mbox_separator_line_is_dropped()
    {
        var m = VerifyMessage.Parse(Encoding.ASCII.GetBytes("From alice@example.com Mon Nov 30 12:00:00 2026\nFrom: alice@example.com\nSubject: s\n\nbody\n"));
        Assert.Equal(["From", "Subject"], m.Headers.Select(h => h.Name));
    }

    /// <summary>RFC 5322 obs-from allows white space before the colon; the milter reads it as From, so must verify.</summary>
    [Theory]
    [InlineData("From : alice@example.com\nSubject: s\n\nbody\n")]
    [InlineData("From \t: alice@example.com\nSubject: s\n\nbody\n")]
    public void An_obsolete_from_field_on_the_first_line_is_a_field(string text)
    {
        var m = VerifyMessage.Parse(Encoding.ASCII.GetBytes(text));
        Assert.Equal(2, m.Headers.Count);
        Assert.Equal("From", m.Headers[0].Name.TrimEnd(' ', '\t'));
        Assert.Contains("alice@example.com", m.Headers[0].Value);
    }
}
