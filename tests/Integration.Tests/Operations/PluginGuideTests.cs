using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.Operations;

/// <summary>
/// docs/PLUGINS.md, step by step: publish samples/HelloPlugin by path (it is not in Milters.sln) into a
/// plugins folder next to the repository's plugins, put it in Plugins:Order, check-config, verify, and a
/// running milter that picks it up on SIGHUP and then adds its header / rejects through the real protocol.
/// </summary>
[Collection(BuildsCollection.Name)]
public sealed class PluginGuideTests
{
    private const string Message =
        "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: {0}\r\n\r\nHello.\r\n";

    [Fact]
    public async Task The_sample_plugin_built_dropped_in_and_put_in_the_order_as_the_guide_says_runs_in_the_chain()
    {
        using var dir = new TempDir("plugin-guide");
        // "/usr/lib/milters/plugins": the repository's own plugins, as installed.
        var plugins = dir["plugins"];
        CopyDirectory(Path.Combine(RepoPaths.HostOutput, "plugins"), plugins);

        // Step 4: dotnet publish samples/HelloPlugin -c Release -o …/plugins/HelloPlugin
        var publish = ProcessRunner.Run("dotnet",
            ["publish", Path.Combine(RepoPaths.Root, "samples", "HelloPlugin"), "-c", "Release", "-o", Path.Combine(plugins, "HelloPlugin"), "-nologo"],
            TimeSpan.FromMinutes(5));
        Assert.True(publish.Succeeded, publish.ToString());
        Assert.True(File.Exists(Path.Combine(plugins, "HelloPlugin", "HelloPlugin.dll")));
        Assert.False(File.Exists(Path.Combine(plugins, "HelloPlugin", "Milters.Abstractions.dll")), "the contract must not be shipped with the plugin");

        using var dns = DnsServer.StartWithZone("example.com. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n");

        // Step 5: the order and the plugin's section.
        JsonObject Config(bool withHello)
        {
            var order = withHello ? new JsonArray("DomainKeys", "SenderId", "HelloPlugin", "AuthResults") : new JsonArray("DomainKeys", "SenderId", "AuthResults");
            return new JsonObject
            {
                ["Plugins"] = new JsonObject { ["Directory"] = plugins, ["Order"] = order },
                ["Dns"] = new JsonObject { ["Servers"] = new JsonArray(dns.Endpoint), ["Timeout"] = "00:00:03" },
                ["AuthResults"] = new JsonObject { ["AuthservId"] = "mx.example.org" },
                ["HelloPlugin"] = new JsonObject { ["OnError"] = "Accept", ["Greeting"] = "Hello from the guide", ["RejectSubjectContaining"] = "lottery" },
            };
        }
        var configPath = dir["milters.json"];
        File.WriteAllText(configPath, Config(withHello: true).ToJsonString());

        // Step 6: check-config shows it in the order…
        var check = MilterProcess.RunCommand(["check-config", "--config", configPath]);
        Assert.True(check.Succeeded, check.ToString());
        Assert.Contains("SenderId (on error: TempFail) -> HelloPlugin (on error: Accept) -> AuthResults", check.StandardOutput, StringComparison.Ordinal);

        // …and verify runs it, after SenderId (whose results it lists) and before AuthResults.
        var eml = dir["message.eml"];
        File.WriteAllText(eml, string.Format(System.Globalization.CultureInfo.InvariantCulture, Message, "numbers"));
        var verify = MilterProcess.RunCommand(["verify", "--config", configPath, "--file", eml, "--client-ip", "192.0.2.9"]);
        Assert.True(verify.Succeeded, verify.ToString());
        Assert.Contains("\nHelloPlugin: continue\n", verify.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("add header X-Hello: Hello from the guide (earlier plugins found: ", verify.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("spf=pass", verify.StandardOutput, StringComparison.Ordinal);

        // A running milter without it; then the order gains it and SIGHUP loads it for new connections.
        var options = new MilterProcessOptions { Config = Config(withHello: false) };
        using var milter = MilterProcess.Start(options);
        var before = await Send(milter, "numbers");
        Assert.DoesNotContain(before.Modifications, m => m.Name == "X-Hello");

        File.WriteAllText(milter.ConfigPath, File.ReadAllText(milter.ConfigPath).Replace("\"SenderId\",", "\"SenderId\", \"HelloPlugin\",", StringComparison.Ordinal));
        Assert.Contains("HelloPlugin\",", File.ReadAllText(milter.ConfigPath), StringComparison.Ordinal);
        milter.Signal(MilterProcess.SIGHUP);
        milter.WaitForOutput("plugins DomainKeys, SenderId, HelloPlugin, AuthResults", TimeSpan.FromSeconds(30));

        var after = await Send(milter, "numbers");
        var hello = Assert.Single(after.Modifications, m => m.Name == "X-Hello");
        Assert.StartsWith(" Hello from the guide (earlier plugins found: ", hello.Value, StringComparison.Ordinal);
        Assert.True(after.Verdict.IsContinue || after.Verdict.IsAccept, after.Verdict.ToString());

        var rejected = await Send(milter, "win the lottery");
        Assert.True(rejected.Verdict.IsReject, rejected.Verdict.ToString());
        Assert.Contains("550 5.7.1 HelloPlugin does not take mail about lottery", rejected.Verdict.Text, StringComparison.Ordinal);
    }

    private static async Task<EndOfMessageResult> Send(MilterProcess milter, string subject)
    {
        await using var client = await MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, milter.Socket.Port!.Value));
        await client.NegotiateAsync(MtaOffer.Postfix);
        await client.ConnectAsync("client.example.com", IPAddress.Parse("192.0.2.9"));
        await client.HeloAsync("client.example.com");
        var message = Encoding.ASCII.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, Message, subject));
        var result = await client.SendMessageAsync("alice@example.com", ["bob@example.org"], message);
        await client.QuitAsync();
        return Assert.IsType<EndOfMessageResult>(result.EndOfMessage);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var dest = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest);
        }
    }
}
