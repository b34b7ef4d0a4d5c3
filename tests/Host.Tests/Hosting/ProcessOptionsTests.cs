using System.Text.Json.Nodes;
using Milters.Host.Hosting;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Hosting;

/// <summary>The old filters' process habits: -P pid file, -u user after binding, -f foreground.</summary>
public class ProcessOptionsTests : IDisposable
{
    private readonly TempDir dir = new("hopt");

    public void Dispose() => dir.Dispose();

    /// <summary>
    /// A successor started while this instance drained (same -P) has written its pid: the exit of the old one must
    /// not delete it. Its own file is removed as before.
    /// </summary>
    [Fact]
    public void Only_a_pid_file_naming_this_process_is_removed()
    {
        var path = dir["own.pid"];
        var pid = PidFile.Write(path);
        Assert.Equal(Environment.ProcessId + "\n", File.ReadAllText(path));
        File.WriteAllText(path, "4194301\n"); // the successor's
        Assert.Null(pid.Remove());
        Assert.Equal("4194301\n", File.ReadAllText(path));

        pid = PidFile.Write(path);
        Assert.Null(pid.Remove());
        Assert.False(File.Exists(path));
        Assert.Null(pid.Remove()); // already gone: nothing to say
    }

    private JsonObject Config()
    {
        TestPluginFolder.LayOut("HeaderStamp", dir["plugins"]);
        return new JsonObject
        {
            ["Plugins"] = new JsonObject { ["Directory"] = dir["plugins"], ["Order"] = new JsonArray("HeaderStamp") },
            ["Dns"] = new JsonObject { ["Servers"] = new JsonArray("127.0.0.1:1") },
        };
    }

    [Fact]
    public void Pid_file_is_written_and_removed_on_exit()
    {
        var pidFile = dir["milters.pid"];
        var options = new MilterProcessOptions { Config = Config() };
        options.Args.AddRange(["-f", "-P", pidFile]);
        using var milter = MilterProcess.Start(options);
        milter.WaitForOutput("ready (pid", TimeSpan.FromSeconds(30));
        Assert.Equal(milter.ProcessId.ToString(), File.ReadAllText(pidFile).Trim());
        Assert.Equal(0, milter.Stop(TimeSpan.FromSeconds(30)));
        Assert.False(File.Exists(pidFile));
    }

    [Fact]
    public void User_option_drops_privileges_after_binding()
    {
        if (Environment.UserName != "root")
        {
            // Not root: the option must refuse clearly rather than pretend.
            var result = MilterProcess.RunCommand(["--config", WriteConfig(), "-p", "inet:0@127.0.0.1", "-u", "nobody"]);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("only root can change user", result.StandardError);
            return;
        }

        var options = new MilterProcessOptions { Config = Config() };
        options.Args.AddRange(["-u", "nobody"]);
        using var milter = MilterProcess.Start(options);
        milter.WaitForOutput("ready (pid", TimeSpan.FromSeconds(30));
        var uidLine = File.ReadAllLines($"/proc/{milter.ProcessId}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        var nobody = PrivilegeDrop.Resolve("nobody").Uid.ToString();
        Assert.Equal(["Uid:", nobody, nobody, nobody, nobody], uidLine.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        Assert.True(MilterProcess.Accepts(milter.Socket));
        Assert.Equal(0, milter.Stop(TimeSpan.FromSeconds(30)));
    }

    /// <summary>
    /// -u with -P in a directory the user may not write (an independent review: the pid file stayed behind silently):
    /// the log says so. The file stays root's (start-stop-daemon refuses a pid file owned by another user).
    /// </summary>
    [SkippableFact]
    public void A_pid_file_that_cannot_be_removed_after_u_is_named_in_a_warning()
    {
        Skip.IfNot(Environment.UserName == "root", "-u needs root (CI runs as root); refusal covered above");
        var pidFile = dir["milters.pid"];
        var options = new MilterProcessOptions { Config = Config() };
        options.Args.AddRange(["-u", "nobody", "-P", pidFile]);
        using var milter = MilterProcess.Start(options);
        milter.WaitForOutput("ready (pid", TimeSpan.FromSeconds(30));
        Assert.Equal(milter.ProcessId.ToString(), File.ReadAllText(pidFile).Trim());
        Assert.Equal("0", ProcessRunner.Run("stat", ["-c", "%u", pidFile], TimeSpan.FromSeconds(10)).StandardOutput.Trim());
        Assert.Equal(0, milter.Stop(TimeSpan.FromSeconds(30)));
        Assert.Contains($"could not remove pid file {pidFile}", milter.Output);
    }

    /// <summary>A symbolic link planted where the pid file goes is replaced, never written through (root writes it).</summary>
    [Fact]
    public void A_link_in_place_of_the_pid_file_is_not_followed()
    {
        var target = dir["precious"];
        File.WriteAllText(target, "keep me\n");
        var pidFile = dir["linked.pid"];
        File.CreateSymbolicLink(pidFile, target);
        var options = new MilterProcessOptions { Config = Config() };
        options.Args.AddRange(["-P", pidFile]);
        using var milter = MilterProcess.Start(options);
        milter.WaitForOutput("ready (pid", TimeSpan.FromSeconds(30));
        Assert.Equal("keep me\n", File.ReadAllText(target));
        Assert.Null(new FileInfo(pidFile).LinkTarget);
        Assert.Equal(milter.ProcessId.ToString(), File.ReadAllText(pidFile).Trim());
        Assert.Equal(0, milter.Stop(TimeSpan.FromSeconds(30)));
    }

    [SkippableFact]
    public void Unix_socket_is_handed_to_the_user_it_runs_as()
    {
        Skip.IfNot(Environment.UserName == "root", "-u needs root (CI runs as root); refusal covered above");
        var options = new MilterProcessOptions { Config = Config(), UseUnixSocket = true };
        options.Args.AddRange(["-u", "nobody:nogroup"]);
        using var milter = MilterProcess.Start(options);
        milter.WaitForOutput("ready (pid", TimeSpan.FromSeconds(30));
        var (uid, gid, _) = PrivilegeDrop.Resolve("nobody:nogroup");
        var stat = ProcessRunner.Run("stat", ["-c", "%u %g %a", milter.Socket.UnixPath!], TimeSpan.FromSeconds(10));
        Assert.Equal($"{uid} {gid} 666", stat.StandardOutput.Trim()); // the fixture asks for 0666
        Assert.Equal(0, milter.Stop(TimeSpan.FromSeconds(30)));
    }

    private string WriteConfig()
    {
        var path = dir["milters.json"];
        File.WriteAllText(path, Config().ToJsonString());
        return path;
    }

    [Fact]
    public void Unknown_user_is_named()
    {
        var e = Assert.Throws<StartupException>(() => PrivilegeDrop.Resolve("no-such-user-here"));
        Assert.Equal("-u \"no-such-user-here\": no such user \"no-such-user-here\"", e.Message);
        e = Assert.Throws<StartupException>(() => PrivilegeDrop.Resolve("root:no-such-group-here"));
        Assert.Equal("-u \"root:no-such-group-here\": no such group \"no-such-group-here\"", e.Message);
        Assert.Equal((0u, 0u, "root"), PrivilegeDrop.Resolve("root"));
    }
}
