using System.Net;
using Microsoft.Extensions.Configuration;
using Milters.AuthResults.Syntax;

namespace Milters.AuthResults.Tests;

public class OptionsTests
{
    private static AuthResultsOptions Read(Dictionary<string, string?> settings) =>
        AuthResultsOptions.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("AuthResults"));

    [Fact]
    public void Defaults()
    {
        var o = Read(new() { ["AuthResults:OnError"] = "TempFail" });
        Assert.Null(o.AuthservId);
        Assert.Equal(Removal.Ours, o.Remove);
        Assert.Equal(Placement.Top, o.Placement);
        Assert.Equal(ReasonStyle.ReasonSpec, o.ReasonStyle);
        Assert.Empty(o.FailedPluginMethods);
        Assert.Empty(o.OtherAuthservIds);
        Assert.True(o.InternalHosts.Contains(IPAddress.Loopback));
        Assert.True(o.InternalHosts.Contains(IPAddress.IPv6Loopback));
        Assert.False(o.InternalHosts.Contains(IPAddress.Parse("127.0.0.2")));
    }

    [Fact]
    public void Lists_may_be_arrays_or_one_string()
    {
        var o = Read(new()
        {
            ["AuthResults:InternalHosts"] = "10.0.0.0/8, 192.168.1.7/24 2001:db8::/32",
            ["AuthResults:OtherAuthservIds"] = "mx1.example.com,mx2.example.com",
            ["AuthResults:FailedPluginMethods:DomainKeys"] = "domainkeys",
        });
        Assert.True(o.InternalHosts.Contains(IPAddress.Parse("10.9.8.7")));
        Assert.True(o.InternalHosts.Contains(IPAddress.Parse("192.168.1.200")));
        Assert.True(o.InternalHosts.Contains(IPAddress.Parse("2001:db8::25")));
        Assert.False(o.InternalHosts.Contains(IPAddress.Loopback));
        Assert.Equal(["mx1.example.com", "mx2.example.com"], o.OtherAuthservIds);
        Assert.Equal(["domainkeys"], o.FailedPluginMethods["domainkeys"]);
    }

    [Fact]
    public void Internal_hosts_read_the_netmask_spelling_as_the_peer_lists_do()
    {
        var o = Read(new() { ["AuthResults:InternalHosts"] = "10.0.0.0/255.0.0.0, 192.168.1.7/255.255.255.0, 192.0.2.9/255.255.255.255" });
        Assert.True(o.InternalHosts.Contains(IPAddress.Parse("10.200.1.2")));
        Assert.True(o.InternalHosts.Contains(IPAddress.Parse("::ffff:192.168.1.254")));
        Assert.True(o.InternalHosts.Contains(IPAddress.Parse("192.0.2.9")));
        Assert.False(o.InternalHosts.Contains(IPAddress.Parse("192.0.2.10")));
        Assert.False(o.InternalHosts.Contains(IPAddress.Parse("11.0.0.1")));
    }

    [Fact]
    public void An_empty_internal_hosts_list_trusts_nobody()
    {
        var o = Read(new() { ["AuthResults:InternalHosts"] = "" });
        Assert.False(o.InternalHosts.Contains(IPAddress.Loopback));
    }

    [Theory]
    [InlineData("AuthservId", "mx example.com", "AuthservId")]
    [InlineData("AuthservId", "mx.example.com\r\nX-Evil: 1", "AuthservId")]
    [InlineData("InternalHosts", "10.0.0.0/33", "10.0.0.0/33")]
    [InlineData("InternalHosts", "mail.example.com", "mail.example.com")]
    [InlineData("InternalHosts", "10/8", "10/8")] // IPAddress alone would read 0.0.0.10
    [InlineData("InternalHosts", "10.0.0.0/255.0.255.0", "10.0.0.0/255.0.255.0")]
    [InlineData("InternalHosts", "2001:db8::/255.255.0.0", "2001:db8::/255.255.0.0")]
    [InlineData("Remove", "Some", "Remove")]
    [InlineData("Placement", "Middle", "Placement")]
    [InlineData("ReasonStyle", "Loud", "ReasonStyle")]
    [InlineData("FailedPluginMethods:SenderId", "sender_id", "sender_id")]
    public void Bad_values_are_named_in_the_error(string key, string value, string named)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Read(new() { ["AuthResults:" + key] = value }));
        Assert.Contains(named, e.Message);
    }
}
