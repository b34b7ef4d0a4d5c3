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

    /// <summary>A syslog socket of our own at <paramref name="path"/>: what /dev/log is to the provider.</summary>
    private static Socket Sink(string path, int receiveTimeoutMs = 10_000)
    {
        var sink = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        sink.Bind(new UnixDomainSocketEndPoint(path));
        sink.ReceiveTimeout = receiveTimeoutMs;
        return sink;
    }

    [Theory]
    [InlineData(LogLevel.Critical, 18)]   // mail.crit
    [InlineData(LogLevel.Error, 19)]      // mail.err
    [InlineData(LogLevel.Warning, 20)]    // mail.warning
    [InlineData(LogLevel.Information, 22)]// mail.info
    [InlineData(LogLevel.Debug, 23)]      // mail.debug
    public void Sends_rfc3164_datagrams_with_facility_mail_and_pid(LogLevel level, int pri)
    {
        var path = dir["log.sock"];
        using var sink = Sink(path);

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
    public async Task A_syslog_that_does_not_read_costs_lines_not_a_stalled_milter()
    {
        var path = dir["full.sock"];
        using var sink = Sink(path);
        const int Lines = 3000; // well past net.unix.max_dgram_qlen (10 by default, 512 where systemd raises it)

        using var provider = new SyslogLoggerProvider(path);
        var logger = provider.CreateLogger("x");
        // Liveness, not speed: a blocking send would never return while nobody reads.
        var writing = Task.Run(() =>
        {
            for (var i = 0; i < Lines; i++) logger.LogInformation("line {N}", i);
        });
        await writing.WaitAsync(TimeSpan.FromSeconds(60)); // TimeoutException: logging blocked on a socket nobody reads

        var received = new List<string>();
        var buffer = new byte[4096];
        while (sink.Available > 0) received.Add(Encoding.UTF8.GetString(buffer, 0, sink.Receive(buffer)));
        Assert.InRange(received.Count, 1, Lines - 1);

        logger.LogInformation("after the pause");
        var notice = Encoding.UTF8.GetString(buffer, 0, sink.Receive(buffer));
        var count = Regex.Match(notice, @"^<20>.*: syslog did not take (\d+) log line\(s\): its queue was full$");
        Assert.True(count.Success, notice);
        Assert.Equal(Lines, received.Count + int.Parse(count.Groups[1].Value));
        Assert.EndsWith(": line " + (received.Count - 1), received[^1]);
        Assert.EndsWith(": after the pause", Encoding.UTF8.GetString(buffer, 0, sink.Receive(buffer)));
    }

    /// <summary>
    /// syslogd's queue holds 10 datagrams unless the system raises net.unix.max_dgram_qlen: a burst of lines meets a
    /// full queue while syslogd is reading, and a line waits for room rather than being lost (a review measured 17 to
    /// 73 % of a burst dropped when a full queue meant "drop").
    /// </summary>
    [Fact]
    public async Task A_burst_against_a_syslog_that_reads_loses_nothing()
    {
        var path = dir["busy.sock"];
        using var sink = Sink(path, 30_000);
        const int Lines = 2000;
        var received = new List<string>();
        var reading = Task.Run(() =>
        {
            var buffer = new byte[4096];
            while (received.Count < Lines)
            {
                var line = Encoding.UTF8.GetString(buffer, 0, sink.Receive(buffer));
                Thread.SpinWait(2000); // a reader slower than the writer
                received.Add(line);
            }
        });

        using (var provider = new SyslogLoggerProvider(path, roomWait: TimeSpan.FromSeconds(30)))
        {
            var logger = provider.CreateLogger("x");
            for (var i = 0; i < Lines; i++) logger.LogInformation("line {N}", i);
        }
        await reading.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(Enumerable.Range(0, Lines).Select(i => ": line " + i), received.Select(l => l[l.LastIndexOf(':')..]));
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
