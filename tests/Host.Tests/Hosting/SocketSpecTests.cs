using Milters.Host.Hosting;

namespace Milters.Host.Tests.Hosting;

public class SocketSpecTests
{
    [Theory]
    [InlineData("inet:8891@127.0.0.1", SocketKind.Inet, "127.0.0.1", 8891)]
    [InlineData("inet:8891@localhost", SocketKind.Inet, "localhost", 8891)]
    [InlineData("inet:25", SocketKind.Inet, null, 25)]
    [InlineData("inet:8891@*", SocketKind.Inet, null, 8891)] // every address, as ADMIN writes it
    [InlineData("inet6:8891@*", SocketKind.Inet6, null, 8891)]
    [InlineData("inet6:8891@::1", SocketKind.Inet6, "::1", 8891)]
    [InlineData("inet6:8891@[::1]", SocketKind.Inet6, "::1", 8891)]
    [InlineData("inet6:8891", SocketKind.Inet6, null, 8891)]
    [InlineData("inet:127.0.0.1:8891", SocketKind.Inet, "127.0.0.1", 8891)] // Postfix spelling
    [InlineData("inet:localhost:10025", SocketKind.Inet, "localhost", 10025)]
    [InlineData("INET:8891@127.0.0.1", SocketKind.Inet, "127.0.0.1", 8891)]
    public void Parses_tcp_specs(string text, SocketKind kind, string? host, int port)
    {
        var spec = SocketSpec.Parse(text);
        Assert.Equal(kind, spec.Kind);
        Assert.Equal(host, spec.Host);
        Assert.Equal(port, spec.Port);
        Assert.True(spec.IsTcp);
        Assert.Equal(text, spec.Text);
    }

    [Theory]
    [InlineData("unix:/var/run/milters.sock", "/var/run/milters.sock")]
    [InlineData("local:/tmp/x.sock", "/tmp/x.sock")]
    [InlineData("/run/milter/m.sock", "/run/milter/m.sock")]
    public void Parses_unix_specs(string text, string path)
    {
        var spec = SocketSpec.Parse(text);
        Assert.Equal(SocketKind.Unix, spec.Kind);
        Assert.Equal(path, spec.Path);
        Assert.False(spec.IsTcp);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("tcp:8891@127.0.0.1", "unknown scheme \"tcp\"")]
    [InlineData("inet:@127.0.0.1", "the port is missing")]
    [InlineData("inet:99999@127.0.0.1", "\"99999\" is not a port number")]
    [InlineData("inet:-1@127.0.0.1", "\"-1\" is not a port number")]
    [InlineData("inet:abc@127.0.0.1", "\"abc\" is not a port number")]
    [InlineData("inet:8891@", "the host after '@' is missing")]
    [InlineData("inet:8891@::1", "not an IPv4 address")]
    [InlineData("inet6:8891@127.0.0.1", "not an IPv6 address")]
    [InlineData("inet:8891@bad host", "is not a host name or address")]
    [InlineData("unix:", "the socket path is missing")]
    [InlineData("unix:relative.sock", "must be absolute")]
    [InlineData("8891", "no scheme")]
    public void Says_what_is_wrong(string text, string why)
    {
        var e = Assert.Throws<StartupException>(() => SocketSpec.Parse(text));
        Assert.StartsWith($"bad socket specification \"{text}\": ", e.Message);
        Assert.Contains(why, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
