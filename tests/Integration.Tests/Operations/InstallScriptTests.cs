using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.Operations;

/// <summary>
/// install/install.sh into a temporary root (a real self-contained publish), then the installed program:
/// starts from the installed configuration and plugins, signs a message for a milter client, stops on SIGTERM.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Collection(BuildsCollection.Name)]
public sealed class InstallScriptTests
{
    private static readonly string Message =
        "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: installed\r\n\r\nHello from the installed milter.\r\n";

    [Fact]
    public async Task Installs_into_a_root_then_the_installed_milter_answers_a_client_and_stops_on_sigterm()
    {
        using var dir = new TempDir("install");
        var root = dir["root"];
        var install = ProcessRunner.Run("bash", [Path.Combine(RepoPaths.Root, "install", "install.sh"), "--root", root], TimeSpan.FromMinutes(9));
        Assert.True(install.Succeeded, install.ToString());

        // The layout.
        var lib = Path.Combine(root, "usr/lib/milters");
        Assert.True(File.Exists(Path.Combine(lib, "milters")), install.Output);
        foreach (var plugin in new[] { "DomainKeys", "SenderId", "AuthResults" })
        {
            Assert.True(File.Exists(Path.Combine(lib, "plugins", plugin, plugin + ".dll")), plugin);
            Assert.False(File.Exists(Path.Combine(lib, "plugins", plugin, "Milters.Abstractions.dll")), $"{plugin} carries its own copy of the contract");
        }
        // Self-contained: the runtime is in the folder.
        Assert.True(File.Exists(Path.Combine(lib, "libcoreclr.so")), "not a self-contained publish");
        Assert.Equal("/usr/lib/milters/milters", new FileInfo(Path.Combine(root, "usr/bin/milters")).LinkTarget);
        var config = Path.Combine(root, "etc/milters/milters.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(config));
        var keys = Path.Combine(root, "var/db/domainkeys");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(keys));
        var unit = File.ReadAllText(Path.Combine(root, "lib/systemd/system/milters.service"));
        Assert.Contains("\nType=notify\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nExecStart=/usr/lib/milters/milters --config /etc/milters/milters.json\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nUser=milters\n", unit, StringComparison.Ordinal);
        Assert.Contains("would create the system user and group milters", install.StandardOutput, StringComparison.Ordinal);

        // A key in the installed key directory, published in a real DNS server with an SPF record.
        PeerScripts.RunChecked("perl-dk.sh", ["keygen", "--selector", "inst", "--domain", "example.com", "--out", keys]);
        var keyFile = Path.Combine(keys, "inst.key.pem");
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite); // the template sets Keys:Strict
        using var dns = DnsServer.StartWithZone(File.ReadAllText(Path.Combine(keys, "inst.zone")) + "\nexample.com. IN TXT \"v=spf1 ip4:127.0.0.0/8 -all\"\n");

        // The installed program, with the installed configuration and its plugins folder (the default).
        var port = FreePort.Tcp();
        var psi = new ProcessStartInfo(Path.Combine(lib, "milters"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "--config", config, "--socket", $"inet:{port}@127.0.0.1", "--nameserver", dns.Endpoint,
                     "--Keys:Table:0:Domain=example.com", "--Keys:Table:0:Selector=inst", $"--Keys:Table:0:KeyFile={keyFile}",
                 })
            psi.ArgumentList.Add(a);
        using var milter = Process.Start(psi)!;
        var log = new StringBuilder();
        milter.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        milter.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        milter.BeginErrorReadLine();
        milter.BeginOutputReadLine();
        try
        {
            await WaitListening(port, milter, log);

            await using (var client = await MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port)))
            {
                await client.NegotiateAsync(MtaOffer.Postfix);
                // Submitted on the MSA port: the template signs that mail (DomainKeys:SigningDaemons = MSA).
                client.StageMacros['C'] = new Dictionary<string, string> { ["{daemon_name}"] = "MSA", ["j"] = "mta.example.com" };
                Assert.True((await client.ConnectAsync("submitter.example.com", IPAddress.Parse("198.51.100.20"))).IsContinue);
                await client.HeloAsync("submitter.example.com");
                var result = await client.SendMessageAsync("alice@example.com", ["bob@example.org"], Encoding.ASCII.GetBytes(Message));
                Assert.NotNull(result.EndOfMessage);
                Assert.True(result.Verdict.IsContinue || result.Verdict.IsAccept, $"verdict {result.Verdict}\n{Log(log)}");
                var signature = Assert.Single(result.EndOfMessage!.Modifications, m => m.Name == "DomainKey-Signature");
                Assert.Contains("s=inst", signature.Value, StringComparison.Ordinal);
                Assert.Contains("d=example.com", signature.Value, StringComparison.Ordinal);
                await client.QuitAsync();
            }

            // SIGTERM: a clean stop, exit status 0.
            Assert.True(ProcessRunner.Run("kill", ["-TERM", milter.Id.ToString(CultureInfo.InvariantCulture)]).Succeeded);
            Assert.True(milter.WaitForExit(TimeSpan.FromSeconds(60)), "no exit after SIGTERM\n" + Log(log));
            milter.WaitForExit();
            Assert.True(milter.ExitCode == 0, $"exit {milter.ExitCode}\n{Log(log)}");
            Assert.Contains($"listening on inet:{port}@127.0.0.1", Log(log), StringComparison.Ordinal);
        }
        finally
        {
            if (!milter.HasExited) milter.Kill(entireProcessTree: true);
        }
    }

    private static string Log(StringBuilder log)
    {
        lock (log) return log.ToString();
    }

    private static async Task WaitListening(int port, Process milter, StringBuilder log)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(milter.HasExited, "the installed milter exited at start:\n" + Log(log));
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(200);
            }
        }
        throw new TimeoutException("the installed milter did not listen within 60 s:\n" + Log(log));
    }
}
