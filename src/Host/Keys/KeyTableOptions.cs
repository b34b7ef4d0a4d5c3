using Microsoft.Extensions.Configuration;
using Milters.Host.Hosting;

namespace Milters.Host.Keys;

/// <summary>One <c>Keys:Table</c> entry as configured.</summary>
public sealed record KeyTableEntry(string Domain, string Selector, string KeyFile, IReadOnlyList<SenderPattern> Senders);

/// <summary>The <c>Keys</c> section: <c>Strict</c> (refuse keys others can read) and the <c>Table</c>.</summary>
public sealed record KeyTableOptions(bool Strict, IReadOnlyList<KeyTableEntry> Entries)
{
    public static KeyTableOptions FromConfiguration(IConfiguration configuration, string? relativeTo = null)
    {
        var section = configuration.GetSection("Keys");
        var strict = ConfigValues.ReadBool(section, "Strict", false);
        var entries = new List<KeyTableEntry>();
        foreach (var item in section.GetSection("Table").GetChildren().OrderBy(c => int.TryParse(c.Key, out var n) ? n : int.MaxValue))
        {
            var where = $"Keys:Table:{item.Key}";
            var domain = Required(item, "Domain", where).TrimEnd('.');
            var selector = Required(item, "Selector", where);
            var keyFile = Required(item, "KeyFile", where);
            if (relativeTo is not null && !Path.IsPathRooted(keyFile)) keyFile = Path.Combine(relativeTo, keyFile);

            var senderTexts = ConfigLists.Get(item, "Senders") ?? [domain];
            var senders = new List<SenderPattern>();
            foreach (var s in senderTexts)
            {
                try { senders.Add(SenderPattern.Parse(s)); }
                catch (FormatException e) { throw new StartupException($"{where}:Senders: {e.Message}"); }
            }
            entries.Add(new KeyTableEntry(domain, selector, keyFile, senders));
        }
        return new KeyTableOptions(strict, entries);
    }

    private static string Required(IConfigurationSection item, string key, string where)
    {
        var value = item[key];
        if (string.IsNullOrWhiteSpace(value)) throw new StartupException($"{where}: {key} is missing");
        return value.Trim();
    }
}
