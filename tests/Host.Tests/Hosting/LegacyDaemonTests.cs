using System.Net;
using System.Security.Cryptography;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Hosting;

/// <summary>
/// dk-filter and sid-filter went into the background unless given -f, and an rc.local line without '&amp;', rc scripts,
/// start-stop-daemon and Type=forking units wait for the command to return (an independent review found a FreeBSD rc
/// script hanging at boot). `milters dk-filter` / `sid-filter` do the same: return once the daemon serves.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LegacyDaemonTests : IDisposable
{
    private readonly TempDir dir = new("hdaemon");

    public void Dispose() => dir.Dispose();

    private static ProcessResult Milters(params string[] args) => MilterProcess.RunCommand(args, TimeSpan.FromSeconds(90));

    private string KeyFile()
    {
        using var rsa = RSA.Create(1024);
        var path = dir["k.pem"];
        File.WriteAllText(path, rsa.ExportRSAPrivateKeyPem() + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    [Theory]
    [InlineData("dk-filter")]
    [InlineData("sid-filter")]
    public async Task Without_f_the_command_returns_once_the_daemon_serves_and_the_pid_file_names_it(string tool)
    {
        var port = FreePort.Tcp();
        var pidFile = dir[$"{tool}.pid"];
        string[] args = tool == "dk-filter"
            ? [tool, "-p", $"inet:{port}@127.0.0.1", "-d", "example.com", "-s", KeyFile(), "-S", "sel", "-P", pidFile, "--Dns:Servers:0=127.0.0.1:1"]
            : [tool, "-p", $"inet:{port}@127.0.0.1", "-P", pidFile, "--Dns:Servers:0=127.0.0.1:1"];
        var started = Milters(args);
        Assert.True(started.Succeeded, started.ToString());
        var pid = int.Parse(File.ReadAllText(pidFile).Trim());
        try
        {
            // The start-up lines reach the caller before the daemon lets go of its standard error.
            Assert.Contains($"ready (pid {pid})", started.StandardError);
            Assert.True(Directory.Exists($"/proc/{pid}"), "the daemon named in the pid file is not running");
            // daemon(3)'s shape: a session of its own (no terminal's hang-up reaches it), /dev/null on 0, 1 and 2.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            Assert.Equal(pid.ToString(), fields[3]);
            foreach (var fd in new[] { 0, 1, 2 })
                Assert.Equal("/dev/null", new FileInfo($"/proc/{pid}/fd/{fd}").LinkTarget);

            await using var client = await MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port));
            var negotiated = await client.NegotiateAsync(MtaOffer.Postfix);
            Assert.NotNull(negotiated);
        }
        finally
        {
            ProcessRunner.Run("kill", [pid.ToString()]);
        }
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.False(Directory.Exists($"/proc/{pid}"), "SIGTERM did not stop the daemon");
        Assert.False(File.Exists(pidFile), "the daemon left its pid file behind");
    }

    /// <summary>
    /// A descriptor the caller left open (here a copy of the captured output on fd 3) must not live on in the daemon,
    /// or whoever reads it waits for the daemon's end (a review's `x=$(… 3>&amp;1)` returned after 613 s).
    /// </summary>
    [Fact]
    public async Task The_daemon_keeps_none_of_the_callers_descriptors()
    {
        var port = FreePort.Tcp();
        var pidFile = dir["fd.pid"];
        var (file, prefix) = MilterProcess.HostCommand();
        var command = string.Join(' ', new[] { file }.Concat(prefix).Concat(["dk-filter", "-p", $"inet:{port}@127.0.0.1", "-d", "example.com",
            "-s", KeyFile(), "-S", "sel", "-P", pidFile, "--Dns:Servers:0=127.0.0.1:1"]).Select(ProcessRunner.Quote));
        // The runner reads the captured output to its end: a daemon holding fd 3 would keep it waiting (bounded here).
        var run = Task.Run(() => ProcessRunner.Run("bash", ["-c", "exec 3>&1; echo \"caller-fd3=$(readlink /proc/$$/fd/3)\" >&2; " + command],
            TimeSpan.FromSeconds(60)));
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(90))) == run;
        var pid = File.Exists(pidFile) ? int.Parse(File.ReadAllText(pidFile).Trim()) : 0;
        try
        {
            Assert.True(finished, "the caller's captured output stayed open in the daemon");
            var started = await run;
            Assert.True(started.Succeeded, started.ToString());
            Assert.True(pid > 0);
            var callersPipe = started.StandardError.Split('\n').Single(l => l.StartsWith("caller-fd3=", StringComparison.Ordinal))["caller-fd3=".Length..];
            Assert.StartsWith("pipe:", callersPipe);
            foreach (var entry in Directory.GetFiles($"/proc/{pid}/fd"))
                Assert.NotEqual(callersPipe, new FileInfo(entry).LinkTarget);
        }
        finally
        {
            if (pid > 0) ProcessRunner.Run("kill", [pid.ToString()]);
        }
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (pid > 0 && Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < deadline) await Task.Delay(50);
    }

    [Fact]
    public void A_daemon_that_cannot_start_says_why_and_the_command_fails()
    {
        var missing = dir["missing.pem"];
        var result = Milters("dk-filter", "-p", $"inet:{FreePort.Tcp()}@127.0.0.1", "-d", "example.com", "-s", missing, "-S", "sel");
        Assert.False(result.TimedOut, result.ToString());
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"key file {missing} not found", result.StandardError.Trim());
    }
}
