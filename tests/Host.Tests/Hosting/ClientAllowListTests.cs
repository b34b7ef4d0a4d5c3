using System.Net;
using Milters.Host.Hosting;

namespace Milters.Host.Tests.Hosting;

public class ClientAllowListTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.255.0.9", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("10.0.0.1", false)]
    [InlineData("2001:db8::1", false)]
    public void Default_is_loopback_only(string address, bool allowed)
    {
        Assert.Equal(allowed, ClientAllowList.LoopbackOnly.Allows(IPAddress.Parse(address)));
        Assert.False(ClientAllowList.LoopbackOnly.IsExplicit);
    }

    [Theory]
    [InlineData("192.0.2.7", true)]
    [InlineData("192.0.3.7", false)]
    [InlineData("::ffff:192.0.2.200", true)]
    [InlineData("2001:db8:1::5", true)]
    [InlineData("2001:db9::5", false)]
    [InlineData("198.51.100.1", true)]
    [InlineData("198.51.100.2", false)]
    [InlineData("127.0.0.1", false)]
    public void Matches_cidr_lists(string address, bool allowed)
    {
        var list = ClientAllowList.Parse(["192.0.2.0/24", "2001:db8::/32", "198.51.100.1"]);
        Assert.True(list.IsExplicit);
        Assert.Equal(allowed, list.Allows(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("10.0.0.1/8")]
    [InlineData("not-an-address")]
    [InlineData("10.0.0.0/33")]
    public void Bad_entry_is_named(string entry)
    {
        var e = Assert.Throws<StartupException>(() => ClientAllowList.Parse([entry]));
        Assert.Contains($"\"{entry}\"", e.Message);
        Assert.StartsWith("Listen:AllowedClients", e.Message);
    }
}
