using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;
using Milters.Host.Hosting;

namespace Milters.Host.Keys;

/// <summary>One <c>Keys:Table</c> entry as configured.</summary>
public sealed record KeyTableEntry(string Domain, string Selector, string KeyFile, IReadOnlyList<SenderPattern> Senders);

/// <summary>
/// The <c>Keys</c> section: <c>Strict</c> (refuse keys others can read), the <c>Table</c>, and
/// <c>MultipleSignatures</c> (every matching entry signs; false: the first one only, as dk-filter's key list and
/// OpenDKIM's SigningTable).
/// </summary>
public sealed record KeyTableOptions(bool Strict, IReadOnlyList<KeyTableEntry> Entries)
{
    public bool MultipleSignatures { get; init; } = true;

    public static KeyTableOptions FromConfiguration(IConfiguration configuration, string? relativeTo = null)
    {
        var section = configuration.GetSection("Keys");
        var strict = ConfigValues.ReadBool(section, "Strict", false);
        var entries = new List<KeyTableEntry>();
        foreach (var item in section.GetSection("Table").GetChildren().OrderBy(c => int.TryParse(c.Key, out var n) ? n : int.MaxValue))
        {
            var where = $"Keys:Table:{item.Key}";
            var domain = DnsName(Required(item, "Domain", where).TrimEnd('.'), "Domain", where);
            var selector = DnsName(Required(item, "Selector", where), "Selector", where);
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
        return new KeyTableOptions(strict, entries) { MultipleSignatures = ConfigValues.ReadBool(section, "MultipleSignatures", true) };
    }

    /// <summary>
    /// Domain and Selector become d= and s= of every signature and the name verifiers look the key up under
    /// (selector._domainkey.domain): one that cannot be a DNS name is refused at startup rather than used to sign
    /// mail nobody can verify.
    /// </summary>
    private static string DnsName(string value, string key, string where)
    {
        if (!Ascii.IsValid(value))
        {
            string hint;
            try { hint = $"; in A-labels: {new IdnMapping().GetAscii(value.ToLowerInvariant())}"; }
            catch (ArgumentException) { hint = ""; }
            throw new StartupException($"{where}: {key} \"{value}\" is not ASCII: write an internationalized name in A-labels{hint}");
        }
        if (value.Length > 253 || value.Split('.').Any(label => label.Length is 0 or > 63
                || label.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))))
            throw new StartupException($"{where}: {key} \"{value}\" is not a DNS name (dot-separated labels of 1 to 63 letters, digits, '-' or '_')");
        return value;
    }

    private static string Required(IConfigurationSection item, string key, string where)
    {
        var value = item[key];
        if (string.IsNullOrWhiteSpace(value)) throw new StartupException($"{where}: {key} is missing");
        return value.Trim();
    }
}
