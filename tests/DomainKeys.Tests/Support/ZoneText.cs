using System.Text;

namespace Milters.DomainKeys.Tests.Support;

/// <summary>TXT records in zone-file syntax for the real DNS server (absolute names, ≤255-byte quoted strings).</summary>
internal static class ZoneText
{
    public static string Txt(string name, string text)
    {
        var line = new StringBuilder(name.TrimEnd('.') + ". IN TXT");
        foreach (var part in TestData.SplitIntoStrings(text))
            line.Append(" \"").Append(part.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"');
        return line.Append('\n').ToString();
    }
}
