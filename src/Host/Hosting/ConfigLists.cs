using Microsoft.Extensions.Configuration;

namespace Milters.Host.Hosting;

/// <summary>
/// Reads a list setting. Microsoft.Extensions.Configuration merges arrays index by index, so a shorter list
/// given on the command line would leave the file's tail in place; list settings therefore also accept one
/// comma-separated string, which wins over any array entries (how --nameserver and MILTERS_Dns__Servers=a,b
/// replace the file's list instead of merging into it).
/// </summary>
public static class ConfigLists
{
    public static IReadOnlyList<string>? Get(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        if (section.Value is { } single)
            return single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var children = section.GetChildren().ToList();
        if (children.Count == 0) return null;
        return children
            .OrderBy(c => int.TryParse(c.Key, out var n) ? n : int.MaxValue)
            .Select(c => c.Value)
            .Where(v => !string.IsNullOrWhiteSpace(v))
            .Select(v => v!.Trim())
            .ToList();
    }
}
