using System.Net;

namespace Milters.SenderId.Tests.Filter;

/// <summary>sid-filter's -a peer list: addresses, CIDR, IPv6, names, ".domain", "!" exclusions, first match wins.</summary>
public sealed class PeerListTests
{
    private static readonly PeerList Peers = new([
        "# relays", "!192.0.2.99", "192.0.2.0/24", "2001:db8:1::/48", "::ffff:198.51.100.7",
        "relay.example.net", "!bad.partner.example", ".partner.example",
    ]);

    [Theory]
    [InlineData("192.0.2.1", null, true)]
    [InlineData("192.0.2.99", null, false)]
    [InlineData("::ffff:192.0.2.5", null, true)]
    [InlineData("2001:db8:1:2::3", null, true)]
    [InlineData("2001:db8:2::3", null, false)]
    [InlineData("198.51.100.7", null, true)]
    [InlineData("203.0.113.1", "relay.example.net", true)]
    [InlineData("203.0.113.1", "RELAY.example.net.", true)]
    [InlineData("203.0.113.1", "mx.partner.example", true)]
    [InlineData("203.0.113.1", "partner.example", true)]
    [InlineData("203.0.113.1", "bad.partner.example", false)]
    [InlineData("203.0.113.1", "notpartner.example", false)]
    [InlineData("203.0.113.1", "[203.0.113.1]", false)]
    public void Contains(string ip, string? host, bool expected) => Assert.Equal(expected, Peers.Contains(IPAddress.Parse(ip), host));

    /// <summary>The netmask spelling of older lists ("10.0.0.0/255.0.0.0"), as DomainKeys' host lists read it.</summary>
    [Fact]
    public void A_netmask_is_read_as_its_prefix()
    {
        var peers = new PeerList(["10.9.0.0/255.255.0.0  # the LAN"]);
        Assert.True(peers.Contains(IPAddress.Parse("10.9.200.3"), null));
        Assert.False(peers.Contains(IPAddress.Parse("10.10.0.1"), null));
    }

    [Theory]
    [InlineData("192.0.2.0/33")]
    [InlineData("2001:db8::/129")]
    [InlineData("example.com/24")]
    [InlineData("10.0.0.0/255.0.255.0")]
    public void BadEntriesNameThemselves(string entry) =>
        Assert.Contains(entry, Assert.Throws<InvalidOperationException>(() => new PeerList([entry])).Message);
}
