using Milters.Host.Dns;
using Milters.Host.Hosting;

namespace Milters.Host.Tests.Dns;

public class NameServerAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:5353", "127.0.0.1:5353")]
    [InlineData("127.0.0.1", "127.0.0.1:53")]
    [InlineData("[::1]:5353", "[::1]:5353")]
    [InlineData("[::1]", "[::1]:53")]
    [InlineData("::1", "[::1]:53")]
    [InlineData(" 192.0.2.53:1053 ", "192.0.2.53:1053")]
    public void Parses(string text, string endPoint) => Assert.Equal(endPoint, NameServerAddress.Parse(text).ToString());

    [Theory]
    [InlineData("ns1.example.com:53", "is not an IP address")]
    [InlineData("127.0.0.1:0", "is not a port number")]
    [InlineData("127.0.0.1:x", "is not a port number")]
    [InlineData("[::1", "missing ']'")]
    public void Names_the_bad_server(string text, string why)
    {
        var e = Assert.Throws<StartupException>(() => NameServerAddress.Parse(text));
        Assert.StartsWith($"bad DNS server \"{text}\"", e.Message);
        Assert.Contains(why, e.Message);
    }
}
