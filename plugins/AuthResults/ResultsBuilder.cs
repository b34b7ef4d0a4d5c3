using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.AuthResults.Syntax;

namespace Milters.AuthResults;

/// <summary>
/// Turns what the earlier plugins recorded into resinfos, in the order they were recorded (which is the
/// plugin order). Writes only what is there: a method that ran and found nothing is reported "none" by
/// its own plugin; a plugin that threw is reported "temperror" only for the methods configured for it.
/// </summary>
internal sealed class ResultsBuilder(AuthResultsOptions options, IReadOnlyList<string> pluginOrder, ILogger logger)
{
    /// <summary>Reason written for the temperror of a plugin that failed.</summary>
    public const string FailedPluginReason = "internal error";

    public IReadOnlyList<ResInfo> Build(IMessageContext context)
    {
        var entries = new List<(string? Plugin, ResInfo Info)>();
        foreach (var r in context.Results)
        {
            var info = ToResInfo(r, context.QueueId);
            if (info is not null) entries.Add((r.Plugin, info));
        }

        foreach (var failed in context.FailedPlugins)
        {
            if (!options.FailedPluginMethods.TryGetValue(failed, out var methods))
            {
                logger.LogWarning("{QueueId}: plugin {Plugin} failed; no methods configured for it (AuthResults:FailedPluginMethods), so nothing is reported for it",
                    context.QueueId, failed);
                continue;
            }
            foreach (var method in methods)
            {
                // What the plugin recorded before it threw is true; add temperror only for the rest.
                if (entries.Any(e => string.Equals(e.Plugin, failed, StringComparison.OrdinalIgnoreCase)
                                     && string.Equals(e.Info.Method, method, StringComparison.OrdinalIgnoreCase)))
                    continue;
                var temperror = new ResInfo(method, null, AuthResultCodes.ToToken(AuthResultCode.TempError), FailedPluginReason, []);
                entries.Insert(InsertionPoint(entries, failed), (failed, temperror));
            }
        }
        return entries.Select(e => e.Info).ToList();
    }

    /// <summary>After the failed plugin's own results, before those of plugins after it in Plugins:Order; else last.</summary>
    private int InsertionPoint(List<(string? Plugin, ResInfo Info)> entries, string failed)
    {
        var rank = Rank(failed);
        for (var i = 0; i < entries.Count; i++)
        {
            var other = Rank(entries[i].Plugin);
            if (rank >= 0 && other > rank) return i;
        }
        return entries.Count;
    }

    private int Rank(string? plugin)
    {
        if (plugin is null) return -1;
        for (var i = 0; i < pluginOrder.Count; i++)
            if (string.Equals(pluginOrder[i], plugin, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    /// <summary>
    /// The longest reason written. Reasons can carry text from outside (an SPF exp= explanation is the
    /// sending domain's own words); one without spaces cannot be folded, and RFC 5322 §2.1.1 allows 998.
    /// </summary>
    public const int MaxReasonLength = 200;

    /// <summary>A result whose names are not RFC 5321 Keywords cannot be written; it is dropped whole and logged.</summary>
    private ResInfo? ToResInfo(AuthenticationResult r, string queueId)
    {
        var bad = !Grammar.IsKeyword(r.Method) ? $"method \"{r.Method}\"" : null;
        foreach (var p in r.PropertyList)
        {
            if (bad is not null) break;
            if (!Grammar.IsKeyword(p.Type) || !Grammar.IsKeyword(p.Name)) bad = $"property \"{p.Type}.{p.Name}\"";
        }
        if (bad is not null)
        {
            logger.LogError("{QueueId}: result {Result} from plugin {Plugin} not written: {What} is not an RFC 5321 Keyword",
                queueId, r, r.Plugin ?? "?", bad);
            return null;
        }

        var props = new List<PropSpec>(r.PropertyList.Count);
        foreach (var p in r.PropertyList)
        {
            if (p.Value.Length > HeaderText.MaxAddressLength)
            {
                logger.LogWarning("{QueueId}: {Method} result: {Type}.{Property} left out, its value is {Length} characters long",
                    queueId, r.Method, p.Type, p.Name, p.Value.Length);
                continue;
            }
            props.Add(new PropSpec(p.Type, p.Name, p.Value));
        }
        var reason = string.IsNullOrWhiteSpace(r.Reason) ? null : HeaderText.Shorten(r.Reason, MaxReasonLength);
        return new ResInfo(r.Method, null, AuthResultCodes.ToToken(r.Result), reason, props);
    }
}
