using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Milters.Host.Hosting;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Plugins;

/// <summary>
/// The whole host in this process (configuration file, plugin loading, listener, milter protocol) on an
/// ephemeral loopback port, driven with the test milter client.
/// </summary>
public sealed class InProcessMilter : IAsyncDisposable
{
    private readonly IHost host;

    private InProcessMilter(IHost host, IPEndPoint endPoint, string configPath)
    {
        this.host = host;
        EndPoint = endPoint;
        ConfigPath = configPath;
    }

    public IPEndPoint EndPoint { get; }

    public string ConfigPath { get; }

    public IServiceProvider Services => host.Services;

    /// <summary>Writes <paramref name="config"/> (Listen:Socket forced to an ephemeral port) to <paramref name="configPath"/> and starts the host.</summary>
    public static async Task<InProcessMilter> StartAsync(JsonObject config, string configPath)
    {
        config = (JsonObject)config.DeepClone();
        // InlineCompletions false: building the host writes DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS into this (shared)
        // test process, and "1" there (the default) turns on FilterChain's 50 ms blocking warning and the end-of-message
        // hand-off in every MilterTestServer test that starts after it — warnings that tests asserting Single/Empty
        // warnings see on a loaded machine. "0" is what the test process has without it.
        config["Listen"] = new JsonObject { ["Socket"] = "inet:0@127.0.0.1", ["InlineCompletions"] = false };
        File.WriteAllText(configPath, config.ToJsonString());
        var host = MilterHostBuilder.Build(new StartupArguments(HostCommandLine.Parse(["--config", configPath])), MilterProtocol.Register);
        var listener = host.Services.GetRequiredService<MilterListener>();
        listener.Bind();
        await host.StartAsync();
        return new InProcessMilter(host, (IPEndPoint)listener.LocalEndPoint!, configPath);
    }

    /// <summary>A negotiated client that has sent CONNECT and HELO, as Postfix would.</summary>
    public async Task<MilterClient> ClientAsync()
    {
        var client = await MilterClient.ConnectTcpAsync(EndPoint);
        await client.NegotiateAsync(MtaOffer.Postfix);
        await client.ConnectAsync("client.example.net", IPAddress.Parse("192.0.2.10"), 4711);
        await client.HeloAsync("client.example.net");
        return client;
    }

    public static readonly byte[] Message = "From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody\r\n"u8.ToArray();

    /// <summary>One message; returns the values of the added headers called <paramref name="header"/>, in order, and the verdict.</summary>
    public static async Task<(string[] Stamps, MilterReply Verdict)> SendAsync(MilterClient client, string header = "X-Stamp")
    {
        var result = await client.SendMessageAsync("a@example.com", ["b@example.org"], Message);
        var eom = result.EndOfMessage;
        if (eom is null) return ([], result.Verdict);
        return (eom.AddedHeaders.Where(h => h.Name == header).Select(h => h.Value!).ToArray(), eom.Verdict);
    }

    /// <summary>Lays out the HeaderStamp build as DIR/NAME/NAME.dll: a plugin called NAME (HeaderStamp names itself after its dll).</summary>
    public static void LayOutStamp(string pluginsDir, string name)
    {
        var staged = Path.Combine(pluginsDir, ".staging-" + name);
        var source = TestPluginFolder.LayOut("HeaderStamp", staged);
        var target = Path.Combine(pluginsDir, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            var fileName = Path.GetFileName(file).Replace("HeaderStamp", name, StringComparison.Ordinal);
            File.Copy(file, Path.Combine(target, fileName), overwrite: true);
        }
        Directory.Delete(staged, recursive: true);
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        if (host is IAsyncDisposable asyncHost) await asyncHost.DisposeAsync();
        else host.Dispose();
    }
}
