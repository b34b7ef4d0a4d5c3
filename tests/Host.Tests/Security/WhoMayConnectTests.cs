using System.Net;
using System.Text.Json.Nodes;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Security;

/// <summary>
/// A signing milter signs for whoever reaches its socket. The built host serves only Listen:AllowedClients
/// (default loopback), closes anyone else at once with a log line, applies the unix socket's mode, and warns when
/// it listens beyond loopback without a list.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class WhoMayConnectTests
{
    private static async Task<bool> IsServedAsync(SecureHost host, IPAddress from)
    {
        await using var client = await host.ConnectAsync(from);
        try
        {
            await client.NegotiateAsync(MtaOffer.Postfix);
            return true;
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or InvalidDataException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Only_allowed_clients_are_served_and_a_stranger_is_refused_with_a_log_line()
    {
        using var host = SecureHost.Start(json => json["Listen"] = new JsonObject { ["AllowedClients"] = new JsonArray("127.0.0.1/32") });
        Assert.True(await IsServedAsync(host, IPAddress.Parse("127.0.0.1")));
        Assert.False(await IsServedAsync(host, IPAddress.Parse("127.0.0.2")));
        host.Milter.WaitForOutput("refused connection from 127.0.0.2:", TimeSpan.FromSeconds(30));
        Assert.Contains("not in Listen:AllowedClients", host.Milter.Output);
        Assert.False(host.Milter.HasExited);
    }

    /// <summary>
    /// An administrator adding or taking away an MTA's address expects SIGHUP to do it, as the reload row of ADMIN
    /// promises for the configuration; a changed setting a reload cannot take up is named, not silently kept.
    /// </summary>
    [Fact]
    public async Task A_reload_takes_up_a_new_allow_list_and_names_the_settings_that_need_a_restart()
    {
        using var host = SecureHost.Start(json => json["Listen"] = new JsonObject { ["AllowedClients"] = new JsonArray("127.0.0.1/32") });
        Assert.True(await IsServedAsync(host, IPAddress.Parse("127.0.0.1")));
        Assert.False(await IsServedAsync(host, IPAddress.Parse("127.0.0.2")));

        var json = JsonNode.Parse(File.ReadAllText(host.Milter.ConfigPath))!.AsObject();
        json["Listen"]!["AllowedClients"] = new JsonArray("127.0.0.2/32");
        json["Milter"] = new JsonObject { ["MaxHeaders"] = 500 };
        File.WriteAllText(host.Milter.ConfigPath, json.ToJsonString());
        host.Milter.Signal(1); // SIGHUP
        host.Milter.WaitForOutput("configuration reloaded", TimeSpan.FromSeconds(30));
        Assert.Contains("changed setting(s) read at start only: Milter:MaxHeaders; the running values stay until a restart", host.Milter.Output);

        Assert.True(await IsServedAsync(host, IPAddress.Parse("127.0.0.2")));
        Assert.False(await IsServedAsync(host, IPAddress.Parse("127.0.0.1")));
        host.Milter.WaitForOutput("refused connection from 127.0.0.1:", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task An_allow_list_of_another_loopback_address_turns_127_0_0_1_away()
    {
        // The fixture's start-up probe connects from 127.0.0.1 and is refused too: the host must still be up after it.
        using var host = SecureHost.Start(json => json["Listen"] = new JsonObject { ["AllowedClients"] = new JsonArray("127.0.0.2", "::1") });
        Assert.True(await IsServedAsync(host, IPAddress.Parse("127.0.0.2")));
        Assert.False(await IsServedAsync(host, IPAddress.Parse("127.0.0.1")));
        host.Milter.WaitForOutput("refused connection from 127.0.0.1:", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task By_default_every_loopback_address_is_allowed()
    {
        using var host = SecureHost.Start();
        // 127.0.0.2 is loopback, so the default lets it in; the default list is what the listener reports.
        host.Milter.WaitForOutput("allowed clients: 127.0.0.0/8, ::1", TimeSpan.FromSeconds(30));
        Assert.True(await IsServedAsync(host, IPAddress.Parse("127.0.0.2")));
    }

    [Fact]
    public void The_unix_socket_gets_the_configured_mode()
    {
        using var host = SecureHost.Start(json => json["Listen"] = new JsonObject { ["UnixSocketMode"] = "0600" }, o => o.UseUnixSocket = true);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(host.Milter.Socket.UnixPath!));
        host.Milter.WaitForOutput("(unix socket: file permissions)", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Listening_on_all_addresses_without_an_allow_list_warns_and_still_serves_only_loopback()
    {
        var port = FreePort.Tcp();
        using var host = SecureHost.Start(options: o =>
        {
            o.Socket = MilterSocket.Inet(port);
            o.Args.AddRange(["-p", $"inet:{port}@0.0.0.0"]);
        });
        host.Milter.WaitForOutput("a non-loopback address, but Listen:AllowedClients is not set", TimeSpan.FromSeconds(30));
        host.Milter.WaitForOutput("allowed clients: 127.0.0.0/8, ::1", TimeSpan.FromSeconds(30));

        // A client from one of this machine's own outside addresses reaches the socket, and is turned away. A machine
        // with none gets a documentation address on lo for the test (root only; CI runs as root).
        var outside = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        var added = false;
        if (outside is null)
        {
            Assert.True(Environment.UserName == "root", "this test needs a non-loopback IPv4 address on the machine, or root to add one");
            outside = IPAddress.Parse("198.51.100.251");
            var add = ProcessRunner.Run("ip", ["addr", "add", $"{outside}/32", "dev", "lo"]);
            Assert.True(add.ExitCode == 0, add.ToString());
            added = true;
        }
        try
        {
            Assert.True(await IsServedAsync(host, IPAddress.Loopback));
            Assert.False(await IsServedAsync(host, outside));
            host.Milter.WaitForOutput($"refused connection from {outside}:", TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (added) ProcessRunner.Run("ip", ["addr", "del", $"{outside}/32", "dev", "lo"]);
        }
    }

    [SkippableFact]
    public void After_dropping_privileges_no_root_uid_or_group_is_left()
    {
        Skip.IfNot(Environment.UserName == "root", "only root can change user (CI runs as root); refusal covered in ProcessOptionsTests");
        using var lists = new TempDir("sec-lists");
        var internalHosts = lists["internal-hosts"];
        File.WriteAllText(internalHosts, "127.0.0.1\n");
        File.SetUnixFileMode(internalHosts, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var host = SecureHost.Start(json => json["DomainKeys"]!["InternalHosts"] = new JsonArray(internalHosts),
            options: o => o.Args.AddRange(["-u", "nobody"]));
        host.Milter.WaitForOutput("ready (pid", TimeSpan.FromSeconds(30));
        var status = File.ReadAllLines($"/proc/{host.Milter.ProcessId}/status");
        string[] Field(string name) => status.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[1..];
        Assert.DoesNotContain("0", Field("Uid"));
        Assert.DoesNotContain("0", Field("Gid"));
        Assert.DoesNotContain("0", Field("Groups")); // supplementary groups of root are gone too
        Assert.Equal("0000000000000000", Field("CapEff").Single()); // no capability kept
        Assert.True(MilterProcess.Accepts(host.Milter.Socket)); // bound before the drop, still serving
        // The key file is root's (0600): read at start, but every reload would be refused; said at start (found by a review).
        Assert.Contains($"{host.KeyFile} cannot be read as user nobody: a reload (SIGHUP) will be refused until it can", host.Milter.Output);
        Assert.Contains($"{internalHosts} cannot be read as user nobody", host.Milter.Output); // a plugin's list file too
    }
}
