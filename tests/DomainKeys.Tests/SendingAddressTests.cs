using Milters.DomainKeys.Verifying;

namespace Milters.DomainKeys.Tests;

/// <summary>The DomainKeys identity read from a From or Sender value, as Mail::DKIM (Mail::Address) reads it.</summary>
public sealed class SendingAddressTests
{
    [Theory]
    [InlineData("Alice <alice@example.com>", "alice", "example.com")]
    [InlineData("alice@example.com", "alice", "example.com")]
    [InlineData("\"Alice Example\" <alice@example.c\tom>", "alice", "example.com")] // white space inside <> does not count
    [InlineData("Alice < alice @ example.com >", "alice", "example.com")]
    [InlineData("\"a <b>\" <alice@Example.COM>", "alice", "example.com")]              // a < inside quotes is not the address
    [InlineData("(comment <x@y>) Alice <alice@example.com>", "alice", "example.com")]   // nor one inside a comment
    [InlineData("Group: alice@example.com, bob@example.org;", "alice", "example.com")]
    [InlineData("Alice <alice@xn--bcher-kva.example>", "alice", "xn--bcher-kva.example")] // as written, not U-labels
    [InlineData("J\u00fcrgen <alice@XN--BCHER-KVA.example>", "alice", "xn--bcher-kva.example")]
    [InlineData("alice@b\u00fccher.example", "alice", "b\u00fccher.example")]
    [InlineData("<alice @ xn--bcher-kva .example>", "alice", "xn--bcher-kva.example")]
    [InlineData("\"xn--bcher-kva.example\" <alice@b\u00fccher.example>", "alice", "b\u00fccher.example")] // the display name is not the address
    [InlineData("alice@m\u00fcnchen.de, bob@xn--mnchen-3ya.de", "alice", "m\u00fcnchen.de")]                // nor is the second mailbox
    public void Reads_the_first_mailbox(string value, string local, string domain)
    {
        var address = SendingAddress.Parse(value, fromSender: false);
        Assert.NotNull(address);
        Assert.Equal(local, address!.LocalPart);
        Assert.Equal(domain, address.Domain);
    }

    [Fact]
    public void Keeps_the_space_of_a_quoted_local_part()
    {
        var address = SendingAddress.Parse("<\"john doe\"@example.com>", fromSender: true);
        Assert.NotNull(address);
        Assert.Contains("john doe", address!.LocalPart);
        Assert.Equal("example.com", address.Domain);
    }

    [Theory]
    [InlineData("")]
    [InlineData("undisclosed-recipients:;")]
    [InlineData("<>")]
    public void No_address_is_none(string value) => Assert.Null(SendingAddress.Parse(value, fromSender: false));

    private static List<Milters.Abstractions.HeaderField> Fields(params (string Name, string Value)[] fields) =>
        fields.Select(f => new Milters.Abstractions.HeaderField(f.Name, System.Text.Encoding.UTF8.GetBytes(f.Value))).ToList();

    /// <summary>Signer and verifier (and Mail::DKIM) take the last From: a signature for the first would never verify.</summary>
    [Fact]
    public void The_last_From_counts()
    {
        var address = SendingAddress.Find(Fields(("From", " alice@example.com"), ("To", " bob@example.org"), ("From", " mallory@evil.example")));
        Assert.Equal("mallory@evil.example", address!.Address);
        Assert.False(address.FromSender);
    }

    [Fact]
    public void A_Sender_comes_before_From()
    {
        Assert.Equal("carol@example.net", SendingAddress.Find(Fields(("From", " alice@example.com"), ("Sender", " carol@example.net")))!.Address);
    }

    /// <summary>
    /// Mail::DKIM (dk_rsa_sha1.pm) takes the first address Mail::Address->parse finds in Sender, and From when it
    /// finds none — as for these values (an independent comparison found "Sender: &lt;&gt;" failing here only).
    /// </summary>
    [Theory]
    [InlineData(" \t")]
    [InlineData(" <>")]
    [InlineData(" < >")]
    [InlineData(" <>, <>")]
    [InlineData(" ;")]
    public void A_Sender_where_Mail_Address_finds_nothing_is_passed_over(string sender)
    {
        var address = SendingAddress.Find(Fields(("From", " alice@example.com"), ("Sender", sender)));
        Assert.Equal("alice@example.com", address!.Address);
        Assert.False(address.FromSender);
    }

    /// <summary>
    /// A Sender with no mailbox in it is still the sending address (Mail::DKIM takes it, and fails it): there is
    /// no falling back to From, which would sign for an identity no verifier checks.
    /// </summary>
    [Theory]
    [InlineData(" undisclosed-recipients:;")]
    [InlineData(" @@@")]
    [InlineData(" ()")]
    public void A_Sender_without_a_mailbox_leaves_no_sending_address(string sender) =>
        Assert.Null(SendingAddress.Find(Fields(("From", " alice@example.com"), ("Sender", sender))));
}
