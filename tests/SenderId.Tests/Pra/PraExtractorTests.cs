using System.Text;
using Milters.Abstractions;
using Milters.SenderId.Pra;

namespace Milters.SenderId.Tests.Pra;

/// <summary>RFC 4407 §2, step by step (no public vectors exist, see tests/data/senderid/SOURCES.md).</summary>
public sealed class PraExtractorTests
{
    private static List<HeaderField> Headers(params string[] lines) =>
        lines.Select(l => { var i = l.IndexOf(':'); return new HeaderField(l[..i], Encoding.UTF8.GetBytes(l[(i + 1)..])); }).ToList();

    private static (string? Header, string? Address, string? Failure) Pra(params string[] lines)
    {
        var pra = PraExtractor.Find(Headers(lines), out var failure);
        return (pra?.HeaderName, pra?.Address, failure?.Reason);
    }

    [Fact]
    public void FromAloneIsThePra() =>
        Assert.Equal(("from", "alice@example.com", null), Pra("From: Alice <alice@example.com>", "To: bob@example.org"));

    /// <summary>Found by fuzzing: "From :" gave the property "header.from ", which AuthResults refused (no sender-id= written).</summary>
    [Fact]
    public void WhiteSpaceBeforeTheColonIsStillTheFromField() =>
        Assert.Equal(("from", "alice@example.com", null), Pra("From \t: Alice <alice@example.com>", "To: bob@example.org"));

    [Fact]
    public void SenderWinsOverFrom() =>
        Assert.Equal(("sender", "list@lists.example.net", null), Pra("From: alice@example.com", "Sender: list@lists.example.net"));

    [Fact]
    public void FirstResentSenderWins() =>
        Assert.Equal(("resent-sender", "fwd@example.net", null),
            Pra("Resent-Sender: fwd@example.net", "Resent-From: other@example.net", "Received: from x", "Sender: s@example.com", "From: a@example.com"));

    [Fact]
    public void ResentSenderOfAnOlderBlockLosesToTheFirstResentFrom() =>
        // Step 1: a Resent-From precedes the Resent-Sender with a Received in between → step 2.
        Assert.Equal(("resent-from", "new@example.org", null),
            Pra("Resent-From: new@example.org", "Received: from relay", "Resent-Sender: old@example.net", "From: a@example.com"));

    [Fact]
    public void ResentSenderOfTheSameBlockWins() =>
        Assert.Equal(("resent-sender", "agent@example.net", null),
            Pra("Resent-From: boss@example.org", "Resent-Sender: agent@example.net", "Received: from relay", "From: a@example.com"));

    [Fact]
    public void ResentFromWithoutResentSender() =>
        Assert.Equal(("resent-from", "fwd@example.org", null), Pra("Resent-From: fwd@example.org", "From: a@example.com"));

    [Fact]
    public void EmptyHeadersAreIgnored() =>
        Assert.Equal(("from", "a@example.com", null), Pra("Resent-From:   ", "Sender: \t", "From: a@example.com"));

    /// <summary>
    /// Step 5: "the single mailbox does not contain a domain name" — a quoted string with an "@" inside is a local-part
    /// alone, not alice at a.example (found by an independent review: Milters looked up TXT `a.example"`).
    /// </summary>
    [Theory]
    [InlineData("From: \"alice@a.example\"")]
    [InlineData("From: Alice <\"alice@a.example\">")]
    [InlineData("From: \"alice@a.example\" (Alice)")]
    [InlineData("From: \"alice@\"")]
    public void AQuotedStringAloneHasNoDomain(string from) =>
        Assert.Equal((null, null, "malformed From header: mailbox without a domain"), Pra(from, "To: bob@example.org"));

    [Fact]
    public void AQuotedLocalPartWithADomainIsAMailbox() =>
        Assert.Equal(("from", "\"a@b\"@example.com", null), Pra("From: \"a@b\"@example.com"));

    /// <summary>An A-label domain stays in A-labels (MimeKit shows U-labels): the property and the SMTP reply must be ASCII.</summary>
    [Fact]
    public void AnALabelDomainIsReportedAsWritten() =>
        Assert.Equal(("from", "j@xn--bcher-kva.example", null), Pra("From: j@xn--bcher-kva.example"));

    /// <summary>The decision is the domain's, not the field's: a UTF-8 display name is common in mail that is not EAI.</summary>
    [Theory]
    [InlineData("From: Jürgen <juergen@xn--bcher-kva.example>", "juergen@xn--bcher-kva.example")]
    [InlineData("From: \"Jürgen\" <juergen@xn--bcher-kva.example>", "juergen@xn--bcher-kva.example")]
    [InlineData("From: Jürgen <jürgen@bücher.example>", "jürgen@bücher.example")]
    public void The_domain_is_reported_as_written_whatever_the_display_name(string from, string expected) =>
        Assert.Equal(("from", expected, null), Pra(from));

    [Fact]
    public void TwoSendersMeanNoPra() => Assert.Equal("multiple Sender headers", Pra("Sender: a@example.com", "Sender: b@example.com", "From: c@example.com").Failure);

    [Fact]
    public void TwoFromsMeanNoPra() => Assert.Equal("multiple From headers", Pra("From: a@example.com", "From: b@example.com").Failure);

    [Fact]
    public void NoFromMeansNoPra() => Assert.Equal("no From header", Pra("To: a@example.com").Failure);

    [Theory]
    [InlineData("a@example.com, b@example.com")]  // two mailboxes
    [InlineData("Undisclosed:;")]                  // a group
    [InlineData("alice")]                          // no domain
    [InlineData("alice@.example.com")]             // empty label
    [InlineData("alice@[192.0.2.1]")]             // a domain literal has no SPF records
    public void MalformedSelectedHeaderMeansNoPra(string from)
    {
        var r = Pra("From: " + from);
        Assert.Null(r.Address);
        Assert.StartsWith("malformed From header", r.Failure);
    }

    [Fact]
    public void SingleLabelDomainIsStillAPra() =>
        // RFC 4407 step 5 only asks for a domain; check_host() then answers "none" (RFC 7208 §4.3).
        Assert.Equal(("from", "alice@localhost", null), Pra("From: alice@localhost"));

    [Fact]
    public void FoldedFromIsUnfolded() =>
        Assert.Equal("alice@example.com", Pra("From: \"Alice\r\n Example\" <alice@example.com>").Address);

    [Fact]
    public void HeaderNamesAreCaseInsensitive() =>
        Assert.Equal(("sender", "s@example.com", null), Pra("FROM: a@example.com", "sEnDeR: s@example.com"));
}
