using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Milters.Host.Hosting;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Hosting;

[SupportedOSPlatform("linux")]
public class SyslogTests : IDisposable
{
    private readonly TempDir dir = new("hlog");

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData(LogLevel.Critical, 18)]   // mail.crit
    [InlineData(LogLevel.Error, 19)]      // mail.err
    [InlineData(LogLevel.Warning, 20)]    // mail.warning
    [InlineData(LogLevel.Information, 22)]// mail.info
    [InlineData(LogLevel.Debug, 23)]      // mail.debug
    public void Sends_rfc3164_datagrams_with_facility_mail_and_pid(LogLevel level, int pri)
    {
        var path = dir["log.sock"];
        using var sink = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        sink.Bind(new UnixDomainSocketEndPoint(path));
        sink.ReceiveTimeout = 10_000;

        using (var provider = new SyslogLoggerProvider(path))
        {
            provider.CreateLogger("Milters.Test").Log(level, new EventId(1), "key file /x missing\nsecond line", null, (s, _) => s);
        }

        var buffer = new byte[4096];
        var n = sink.Receive(buffer);
        var datagram = Encoding.UTF8.GetString(buffer, 0, n);
        Assert.Matches(new Regex($@"^<{pri}>[A-Z][a-z]{{2}} [ 123]\d \d\d:\d\d:\d\d milters\[{Environment.ProcessId}\]: key file /x missing second line$"), datagram);
    }

    [Fact]
    public void Missing_syslog_socket_does_not_throw()
    {
        using var provider = new SyslogLoggerProvider(dir["absent.sock"]);
        provider.CreateLogger("x").LogError("nobody listens");
    }

    [Fact]
    public void Day_is_space_padded()
    {
        using var provider = new SyslogLoggerProvider(dir["unused.sock"]);
        var line = provider.Format(LogLevel.Information, "m", new DateTime(2026, 11, 9, 8, 7, 6));
        Assert.Equal($"<22>Nov  9 08:07:06 milters[{Environment.ProcessId}]: m", line);
    }
}
