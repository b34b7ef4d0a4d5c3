using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Milters.Host.Hosting;
using Milters.Host.Plugins;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Plugins;

/// <summary>Plugins built elsewhere, dropped into a folder, loaded and chained in the configured order.</summary>
public class DropInPluginTests : IDisposable
{
    private readonly TempDir dir = new("hplg");

    public void Dispose() => dir.Dispose();

    private string PluginsDir => dir["plugins"];

    private JsonObject Config(params string[] order) => new()
    {
        ["Plugins"] = new JsonObject { ["Directory"] = PluginsDir, ["Order"] = new JsonArray(order.Select(o => (JsonNode)o).ToArray()) },
        ["Dns"] = new JsonObject { ["Servers"] = new JsonArray("127.0.0.1:1") },
        ["StampA"] = new JsonObject { ["Header"] = "X-Stamp", ["Value"] = "A" },
        ["StampB"] = new JsonObject { ["Header"] = "X-Stamp", ["Value"] = "B" },
    };

    [Fact]
    public async Task Configured_order_is_the_order_of_effects_and_reversing_it_reverses_them()
    {
        InProcessMilter.LayOutStamp(PluginsDir, "StampA");
        InProcessMilter.LayOutStamp(PluginsDir, "StampB");

        await using (var milter = await InProcessMilter.StartAsync(Config("StampA", "StampB"), dir["ab.json"]))
        {
            await using var client = await milter.ClientAsync();
            var (stamps, verdict) = await InProcessMilter.SendAsync(client);
            Assert.True(verdict.IsContinue || verdict.IsAccept, verdict.ToString());
            Assert.Equal([" A", " B"], stamps);
        }

        await using (var milter = await InProcessMilter.StartAsync(Config("StampB", "StampA"), dir["ba.json"]))
        {
            await using var client = await milter.ClientAsync();
            var (stamps, _) = await InProcessMilter.SendAsync(client);
            Assert.Equal([" B", " A"], stamps);
        }
    }

    [Fact]
    public async Task Plugin_not_in_the_order_is_not_used_and_reject_reaches_the_mta()
    {
        InProcessMilter.LayOutStamp(PluginsDir, "StampA");
        InProcessMilter.LayOutStamp(PluginsDir, "StampB");
        var config = Config("StampB");
        config["StampB"]!["Reject"] = true;

        await using var milter = await InProcessMilter.StartAsync(config, dir["b.json"]);
        await using var client = await milter.ClientAsync();
        var (stamps, verdict) = await InProcessMilter.SendAsync(client);
        Assert.Empty(stamps);
        Assert.True(verdict.IsReject, verdict.ToString());
        Assert.StartsWith("550 5.7.1", verdict.Text);
    }

    [Fact]
    public void Loads_each_folder_in_its_own_context_sharing_only_the_contract()
    {
        InProcessMilter.LayOutStamp(PluginsDir, "StampA");
        InProcessMilter.LayOutStamp(PluginsDir, "StampB");
        var catalog = new PluginCatalog();
        var a = catalog.Find(PluginsDir, "StampA");
        var b = catalog.Find(PluginsDir, "StampB");
        Assert.NotSame(a.Type, b.Type); // same code, two load contexts
        Assert.Same(typeof(Milters.Abstractions.IMilterPlugin), a.Type.GetInterfaces().Single(i => i.Name == "IMilterPlugin"));
        Assert.Same(a.Type, catalog.Find(PluginsDir, "StampA").Type); // loaded once
    }

    [Fact]
    public void Unknown_plugin_names_it_and_the_folder()
    {
        InProcessMilter.LayOutStamp(PluginsDir, "StampA");
        var e = Assert.Throws<StartupException>(() => new PluginCatalog().Find(PluginsDir, "DomainKeys"));
        Assert.Equal($"plugin \"DomainKeys\" in Plugins:Order was not found in {PluginsDir} (plugin folders there: StampA)", e.Message);
    }

    [Fact]
    public void Missing_plugins_directory_is_named()
    {
        var e = Assert.Throws<StartupException>(() => new PluginCatalog().Find(dir["absent"], "StampA"));
        Assert.Equal($"plugin \"StampA\" in Plugins:Order was not found: plugins directory {dir["absent"]} does not exist (set Plugins:Directory or --plugins)", e.Message);
    }

    [Fact]
    public void Folder_without_its_dll_is_named()
    {
        Directory.CreateDirectory(Path.Combine(PluginsDir, "Empty"));
        var e = Assert.Throws<StartupException>(() => new PluginCatalog().Find(PluginsDir, "Empty"));
        Assert.Equal($"plugin \"Empty\" in Plugins:Order was not found: {Path.Combine(PluginsDir, "Empty")} has no Empty.dll", e.Message);
    }

    [Fact]
    public void Broken_dll_is_named()
    {
        var folder = Path.Combine(PluginsDir, "Broken");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "Broken.dll"), "not an assembly");
        var e = Assert.Throws<StartupException>(() => new PluginCatalog().Find(PluginsDir, "Broken"));
        Assert.StartsWith($"cannot load plugin {Path.Combine(folder, "Broken.dll")}: ", e.Message);
    }

    [Fact]
    public void Duplicate_in_the_order_is_refused()
    {
        IConfiguration config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Plugins:Order:0"] = "StampA", ["Plugins:Order:1"] = "StampA" }).Build();
        var e = Assert.Throws<StartupException>(() => PluginSetFactory.Order(config));
        Assert.Equal("Plugins:Order names \"StampA\" twice", e.Message);
    }
}
