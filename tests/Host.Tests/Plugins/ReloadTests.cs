using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Milters.Host.Hosting;
using Milters.Host.Pipeline;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Plugins;

/// <summary>SIGHUP's work: a new configuration for new connections; a broken one refused; connections in flight untouched.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ReloadTests : IDisposable
{
    private readonly TempDir dir = new("hrld");

    public void Dispose() => dir.Dispose();

    private JsonObject Config(string value) => new()
    {
        ["Plugins"] = new JsonObject { ["Directory"] = dir["plugins"], ["Order"] = new JsonArray("StampA") },
        ["Dns"] = new JsonObject { ["Servers"] = new JsonArray("127.0.0.1:1") },
        ["StampA"] = new JsonObject { ["Header"] = "X-Stamp", ["Value"] = value },
    };

    private static void Rewrite(InProcessMilter milter, JsonObject config)
    {
        config["Listen"] = new JsonObject { ["Socket"] = "inet:0@127.0.0.1", ["InlineCompletions"] = false };
        File.WriteAllText(milter.ConfigPath, config.ToJsonString());
    }

    [Fact]
    public async Task New_connections_get_the_new_configuration_and_a_broken_one_is_refused()
    {
        InProcessMilter.LayOutStamp(dir["plugins"], "StampA");
        await using var milter = await InProcessMilter.StartAsync(Config("first"), dir["milters.json"]);
        var reload = milter.Services.GetRequiredService<ReloadService>();
        var provider = milter.Services.GetRequiredService<IPluginSetProvider>();

        await using var early = await milter.ClientAsync();
        Assert.Equal([" first"], (await InProcessMilter.SendAsync(early)).Stamps);

        Rewrite(milter, Config("second"));
        var before = provider.Current;
        Assert.True(await reload.ReloadAsync());
        Assert.NotSame(before, provider.Current);

        await using (var late = await milter.ClientAsync())
            Assert.Equal([" second"], (await InProcessMilter.SendAsync(late)).Stamps);
        // The connection opened before the reload keeps the set it started with.
        Assert.Equal([" first"], (await InProcessMilter.SendAsync(early)).Stamps);

        File.WriteAllText(milter.ConfigPath, "{ this is not json");
        var kept = provider.Current;
        Assert.False(await reload.ReloadAsync());
        Assert.Same(kept, provider.Current);

        var unknown = Config("third");
        unknown["Plugins"]!["Order"] = new JsonArray("StampA", "Missing");
        Rewrite(milter, unknown);
        Assert.False(await reload.ReloadAsync());
        Assert.Same(kept, provider.Current);

        await using (var after = await milter.ClientAsync())
            Assert.Equal([" second"], (await InProcessMilter.SendAsync(after)).Stamps);
    }

    /// <summary>
    /// The replaced set's service provider — the container of the plugins' singletons — is disposed when its last
    /// connection has closed, not while one still uses it, and not never (each SIGHUP left one behind).
    /// </summary>
    [Fact]
    public async Task The_replaced_configuration_is_closed_when_its_last_connection_ends()
    {
        InProcessMilter.LayOutStamp(dir["plugins"], "StampA");
        await using var milter = await InProcessMilter.StartAsync(Config("first"), dir["milters.json"]);
        var provider = milter.Services.GetRequiredService<IPluginSetProvider>();
        var first = provider.Current;

        var early = await milter.ClientAsync();
        Assert.Equal([" first"], (await InProcessMilter.SendAsync(early)).Stamps);
        Rewrite(milter, Config("second"));
        Assert.True(await milter.Services.GetRequiredService<ReloadService>().ReloadAsync());

        // Still in use by the connection opened before the reload.
        Assert.Equal([" first"], (await InProcessMilter.SendAsync(early)).Stamps);
        Assert.False(first.Closed);
        first.Services.GetRequiredService<Milters.Abstractions.IDnsResolver>();

        await early.DisposeAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!first.Closed && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(first.Closed);
        deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Disposed(first.Services) && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(Disposed(first.Services));
        Assert.False(provider.Current.Closed);
        await using (var late = await milter.ClientAsync())
            Assert.Equal([" second"], (await InProcessMilter.SendAsync(late)).Stamps);
    }

    /// <summary>At exit the configuration in use is closed as a replaced one is: its singletons are disposed too.</summary>
    [Fact]
    public async Task The_current_configuration_is_closed_when_the_host_stops()
    {
        InProcessMilter.LayOutStamp(dir["plugins"], "StampA");
        var milter = await InProcessMilter.StartAsync(Config("first"), dir["milters.json"]);
        var current = milter.Services.GetRequiredService<IPluginSetProvider>().Current;
        await using (var client = await milter.ClientAsync())
            Assert.Equal([" first"], (await InProcessMilter.SendAsync(client)).Stamps);
        Assert.False(Disposed(current.Services));

        await milter.DisposeAsync();
        Assert.True(current.Closed);
        Assert.True(Disposed(current.Services));
    }

    private static bool Disposed(IServiceProvider services)
    {
        try
        {
            services.GetService(typeof(Milters.Abstractions.IDnsResolver));
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>An independent review set Logging:LogLevel to Debug, sent SIGHUP and saw no debug line until a restart.</summary>
    [Fact]
    public async Task Reload_applies_new_log_levels()
    {
        InProcessMilter.LayOutStamp(dir["plugins"], "StampA");
        var config = Config("first");
        config["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Information" } };
        await using var milter = await InProcessMilter.StartAsync(config, dir["milters.json"]);
        var logger = milter.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("Milters.Host.Test");
        Assert.False(logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug));

        var debug = Config("first");
        debug["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Information", ["Milters"] = "Debug" } };
        Rewrite(milter, debug);
        Assert.True(await milter.Services.GetRequiredService<ReloadService>().ReloadAsync());
        Assert.True(logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug));
    }

    [Fact]
    public async Task Reload_reads_the_key_table_again()
    {
        InProcessMilter.LayOutStamp(dir["plugins"], "StampA");
        using var rsa = System.Security.Cryptography.RSA.Create(1024);
        var keyFile = dir["k.pem"];
        File.WriteAllText(keyFile, rsa.ExportRSAPrivateKeyPem());
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        JsonObject WithKey(string selector)
        {
            var c = Config("x");
            c["Keys"] = new JsonObject
            {
                ["Table"] = new JsonArray(new JsonObject { ["Domain"] = "example.com", ["Selector"] = selector, ["KeyFile"] = keyFile }),
            };
            return c;
        }

        await using var milter = await InProcessMilter.StartAsync(WithKey("old"), dir["milters.json"]);
        var provider = milter.Services.GetRequiredService<IPluginSetProvider>();
        string Selector() => provider.Current.Services.GetRequiredService<Milters.Abstractions.ISigningKeyTable>().FindKeys("a@example.com").Single().Selector;
        Assert.Equal("old", Selector());

        Rewrite(milter, WithKey("new"));
        Assert.True(await milter.Services.GetRequiredService<ReloadService>().ReloadAsync());
        Assert.Equal("new", Selector());
        // Plugins of every generation get the host's counted resolver.
        Assert.IsType<Milters.Host.Metrics.MeteredDnsResolver>(provider.Current.Services.GetRequiredService<Milters.Abstractions.IDnsResolver>());

        // A key file that vanished makes the new table unloadable: refused, the running keys stay.
        var gone = WithKey("newer");
        gone["Keys"]!["Table"]![0]!["KeyFile"] = dir["missing.pem"];
        Rewrite(milter, gone);
        Assert.False(await milter.Services.GetRequiredService<ReloadService>().ReloadAsync());
        Assert.Equal("new", Selector());
    }

    [Fact]
    public void Sighup_to_the_process_reloads_and_logs_it()
    {
        TestPluginFolder.LayOut("HeaderStamp", dir["plugins"]);
        var config = new JsonObject
        {
            ["Plugins"] = new JsonObject { ["Directory"] = dir["plugins"], ["Order"] = new JsonArray("HeaderStamp") },
            ["Dns"] = new JsonObject { ["Servers"] = new JsonArray("127.0.0.1:1") },
        };
        using var milter = MilterProcess.Start(new MilterProcessOptions { Config = config });
        milter.WaitForOutput("ready (pid", TimeSpan.FromSeconds(30));

        milter.Signal(MilterProcess.SIGHUP);
        milter.WaitForOutput("configuration reloaded from", TimeSpan.FromSeconds(30));

        File.WriteAllText(milter.ConfigPath, "{ broken");
        milter.Signal(MilterProcess.SIGHUP);
        milter.WaitForOutput("reload refused, keeping the running configuration: configuration file", TimeSpan.FromSeconds(30));
        Assert.False(milter.HasExited);
        Assert.True(MilterProcess.Accepts(milter.Socket));
        Assert.Equal(0, milter.Stop(TimeSpan.FromSeconds(30)));
    }
}
