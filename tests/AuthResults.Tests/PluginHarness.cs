using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Milters.Abstractions;

namespace Milters.AuthResults.Tests;

/// <summary>Builds the plugin the way the host does: its own section to ConfigureServices, the root configuration in DI.</summary>
internal static class PluginHarness
{
    public static MessageFilter CreateFilter(Dictionary<string, string?>? settings = null)
    {
        var root = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new()).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(root);
        var plugin = new AuthResultsPlugin();
        plugin.ConfigureServices(services, root.GetSection(plugin.Name));
        return plugin.CreateFilter(services.BuildServiceProvider());
    }

    public static async Task<FakeMessageContext> RunAsync(MessageFilter filter, FakeMessageContext context)
    {
        await filter.ConnectAsync(context);
        foreach (var h in context.Headers) await filter.HeaderAsync(context, h);
        Assert.Equal(Verdict.Continue, await filter.EndOfMessageAsync(context));
        return context;
    }

    /// <summary>
    /// The header list after the queued edits, for an MTA that renumbers after each deletion (so the n-th
    /// occurrence is counted among what is left). Deleting from the bottom up gives the same result as the
    /// host contract's "occurrences in the original message".
    /// </summary>
    public static List<(string Name, string Value)> ApplyRenumbering(IReadOnlyList<HeaderField> headers, IReadOnlyList<MessageEdit> edits)
    {
        var list = headers.Select(h => (h.Name, h.Value)).ToList();
        foreach (var e in edits)
        {
            switch (e.Kind)
            {
                case MessageEditKind.ChangeHeader when e.Value is null:
                    var seen = 0;
                    var at = list.FindIndex(h => string.Equals(h.Name, e.Name, StringComparison.OrdinalIgnoreCase) && ++seen == e.Index);
                    Assert.True(at >= 0, $"no occurrence {e.Index} of {e.Name}");
                    list.RemoveAt(at);
                    break;
                case MessageEditKind.InsertHeader:
                    list.Insert(Math.Min(e.Index, list.Count), (e.Name!, e.Value!));
                    break;
                case MessageEditKind.AddHeader:
                    list.Add((e.Name!, e.Value!));
                    break;
                default:
                    Assert.Fail($"unexpected edit {e}");
                    break;
            }
        }
        return list;
    }

    /// <summary>The same, with occurrences always counted in the original message (the host contract).</summary>
    public static List<(string Name, string Value)> ApplyOriginalNumbering(IReadOnlyList<HeaderField> headers, IReadOnlyList<MessageEdit> edits)
    {
        var deleted = new HashSet<int>();
        foreach (var e in edits.Where(e => e.Kind == MessageEditKind.ChangeHeader && e.Value is null))
        {
            var seen = 0;
            var at = headers.Select((h, i) => (h, i)).First(x => x.h.Is(e.Name!) && ++seen == e.Index).i;
            Assert.True(deleted.Add(at), $"occurrence {e.Index} deleted twice");
        }
        var list = headers.Where((_, i) => !deleted.Contains(i)).Select(h => (h.Name, h.Value)).ToList();
        foreach (var e in edits.Where(e => e.Kind is MessageEditKind.InsertHeader or MessageEditKind.AddHeader))
        {
            if (e.Kind == MessageEditKind.InsertHeader) list.Insert(Math.Min(e.Index, list.Count), (e.Name!, e.Value!));
            else list.Add((e.Name!, e.Value!));
        }
        return list;
    }
}
