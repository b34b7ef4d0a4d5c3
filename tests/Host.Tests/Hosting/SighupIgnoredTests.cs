using Milters.Host.Hosting;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Hosting;

/// <summary>
/// Started under nohup, SIGHUP stays ignored (the runtime keeps an inherited SIG_IGN) and a reload silently did
/// nothing while the ready line promised one (found by an independent review); the host now says so at start.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SighupIgnoredTests
{
    [Theory]
    [InlineData("SigIgn:\t0000000000001001", true)]   // SIGHUP (bit 0) and SIGPIPE
    [InlineData("SigIgn:\t0000000000001000", false)]
    [InlineData("SigIgn:\t0000000000000000", false)]
    public void The_ignored_signal_mask_is_read(string line, bool ignored)
    {
        using var dir = new TempDir("sigign");
        File.WriteAllLines(dir["status"], ["Name:\tmilters", "SigBlk:\t0000000000000001", line, "SigCgt:\t0000000000000000"]);
        Assert.Equal(ignored, ReloadService.SighupIgnored(dir["status"]));
    }

    /// <summary>The built host started as `nohup` would start it: the warning, and no promise of a reload.</summary>
    [Fact]
    public void A_host_started_with_SIGHUP_ignored_says_so()
    {
        using var dir = new TempDir("sigign");
        File.WriteAllText(dir["milters.json"], """{ "Plugins": { "Order": [] } }""");
        var (file, prefix) = MilterProcess.HostCommand();
        var port = FreePort.Tcp();
        // bash's `trap '' HUP` sets SIG_IGN, which exec hands on, as nohup does. The host runs until the timeout kills it.
        var run = ProcessRunner.Run("bash", ["-c", "trap '' HUP; exec \"$@\"", "bash", file, .. prefix,
            "--config", dir["milters.json"], "-p", $"inet:{port}@127.0.0.1"], TimeSpan.FromSeconds(10));
        Assert.True(run.TimedOut, run.ToString());
        Assert.Contains("SIGHUP is ignored in this process", run.Output);
        Assert.Contains("ready (pid", run.Output);
        Assert.DoesNotContain("SIGHUP reloads", run.Output);
    }

    [Fact]
    public void A_missing_status_file_means_not_ignored() =>
        Assert.False(ReloadService.SighupIgnored("/nonexistent/status"));
}
