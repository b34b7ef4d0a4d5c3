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
}
