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
        // bash's `trap '' HUP` sets SIG_IGN, which exec hands on, as nohup does. The host runs until it says it is ready
        // (a fixed 10 s run was not enough: a loaded 2-core machine took 6–8 s to the ready line), then it is killed.
        // Port 0: a port chosen here could be taken before the host binds it.
        var psi = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-c", "trap '' HUP; exec \"$@\"", "bash", file, .. prefix, "--config", dir["milters.json"], "-p", "inet:0@127.0.0.1"])
            psi.ArgumentList.Add(a);
        var output = new System.Text.StringBuilder();
        string Output() { lock (output) return output.ToString(); }
        using var host = new System.Diagnostics.Process { StartInfo = psi };
        host.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.Append(e.Data).Append('\n'); };
        host.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.Append(e.Data).Append('\n'); };
        host.Start();
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!Output().Contains("ready (pid", StringComparison.Ordinal) && !host.HasExited && DateTime.UtcNow < until) Thread.Sleep(50);
        var exited = host.HasExited;
        try { host.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        host.WaitForExit();
        Assert.False(exited, Output());
        Assert.Contains("SIGHUP is ignored in this process", Output());
        Assert.Contains("ready (pid", Output());
        Assert.DoesNotContain("SIGHUP reloads", Output());
    }

    [Fact]
    public void A_missing_status_file_means_not_ignored() =>
        Assert.False(ReloadService.SighupIgnored("/nonexistent/status"));
}
