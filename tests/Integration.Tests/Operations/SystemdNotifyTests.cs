using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.Operations;

/// <summary>
/// install/milters.service is <c>Type=notify</c>: systemd starts the MTA's dependants only after the host says
/// READY=1, and kills a host that never says it after TimeoutStartSec. A READY=1 before the milter socket is
/// bound would let Postfix or Sendmail start against a socket that is not there yet.
/// </summary>
/// <remarks>
/// Microsoft.Extensions.Hosting.Systemd speaks to NOTIFY_SOCKET only when it believes systemd started it: its
/// parent process is named "systemd". The parent here is /bin/sh under that name, and NOTIFY_SOCKET is a
/// datagram socket of the test's own — what systemd itself would create.
/// </remarks>
public sealed class SystemdNotifyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public void Says_READY_only_once_the_milter_socket_accepts_and_STOPPING_on_SIGTERM()
    {
        using var dir = new TempDir("sdnotify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(dir["notify"]));
        var milterSocket = MilterSocket.Unix(dir["milter.sock"]);
        var config = new JsonObject
        {
            ["Listen"] = new JsonObject { ["Socket"] = milterSocket.Spec },
            ["Dns"] = new JsonObject { ["Servers"] = new JsonArray("127.0.0.1:9") },
            ["Logging"] = new JsonObject { ["Syslog"] = false },
        };
        File.WriteAllText(dir["milters.json"], config.ToJsonString());

        var systemd = dir["systemd"];
        File.CreateSymbolicLink(systemd, "/bin/sh");
        var (host, prefix) = MilterProcess.HostCommand();
        var psi = new ProcessStartInfo(systemd)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir.Path,
        };
        // Not exec'd: the host's parent must stay the process named systemd. Its pid comes first on stdout.
        foreach (var a in (string[])["-c", "\"$@\" & pid=$!; echo $pid; wait $pid", "systemd", host, .. prefix, "--config", dir["milters.json"]])
            psi.ArgumentList.Add(a);
        psi.Environment["NOTIFY_SOCKET"] = dir["notify"];
        psi.Environment["DOTNET_NOLOGO"] = "1";

        using var shell = Process.Start(psi)!;
        var stderr = new StringBuilder();
        shell.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        shell.BeginErrorReadLine();
        int hostPid = int.Parse(shell.StandardOutput.ReadLine() ?? throw new InvalidOperationException("no pid from the shell"),
            System.Globalization.CultureInfo.InvariantCulture);
        // Whatever else the host writes to stdout must not fill the pipe and stall it.
        _ = Task.Run(() => { while (shell.StandardOutput.ReadLine() is { } line) lock (stderr) stderr.AppendLine(line); });
        try
        {
            var ready = WaitFor(notify, "READY=1", stderr);
            Assert.True(MilterProcess.Accepts(milterSocket), $"READY=1 came before {milterSocket} accepted connections ({ready})");

            ProcessRunner.Run("kill", ["-TERM", hostPid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            WaitFor(notify, "STOPPING=1", stderr);
            Assert.True(shell.WaitForExit(Patience), "the host did not exit after SIGTERM");
            Assert.True(shell.ExitCode == 0, $"exit code {shell.ExitCode}:\n{stderr}");
        }
        finally
        {
            if (!shell.HasExited)
            {
                try { Process.GetProcessById(hostPid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
                shell.Kill();
            }
        }
    }

    /// <summary>Reads notification datagrams until one holds <paramref name="state"/>; returns it.</summary>
    private static string WaitFor(Socket notify, string state, StringBuilder stderr)
    {
        var buffer = new byte[4096];
        var until = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < until)
        {
            if (!notify.Poll(TimeSpan.FromMilliseconds(200), SelectMode.SelectRead)) continue;
            var message = Encoding.UTF8.GetString(buffer, 0, notify.Receive(buffer));
            if (message.Split('\n').Contains(state)) return message;
        }
        lock (stderr) throw new TimeoutException($"no {state} on NOTIFY_SOCKET within {Patience.TotalSeconds:0} s; host output:\n{stderr}");
    }
}
