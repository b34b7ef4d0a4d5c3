using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Milters.Host.Commands;

/// <summary>
/// Writes flat configuration keys ("SenderId:RejectMode" = "2", "Keys:Table:0:Domain" = …) as the JSON file
/// the host reads, sections in the order of docs/ADMIN.md, numeric children as arrays, "true"/"false" and
/// plain integers as JSON literals. Comments (// …) go above the object: the host's reader skips them.
/// </summary>
internal static class MigrateConfigWriter
{
    private static readonly string[] SectionOrder =
        ["Listen", "Milter", "Plugins", "Dns", "Keys", "Logging", "Hosting", "Metrics", "DomainKeys", "SenderId", "AuthResults"];

    /// <summary>
    /// Keys whose value is a list: the translators give them as one comma-separated string (which the readers
    /// accept, see Hosting/ConfigLists); in a file an array reads better. Other values may hold commas (-M text).
    /// </summary>
    private static readonly System.Text.RegularExpressions.Regex ListKeys = new(
        "^(Plugins:Order|Dns:Servers|Listen:AllowedClients|Keys:Table:[0-9]+:Senders|" +
        "DomainKeys:(PeerHosts|InternalHosts|ExternalHosts|SigningDaemons|SigningMacros|OmitHeaders|Domains)|SenderId:(IgnoredDomains|Peers))$",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public static bool IsListKey(string key) => ListKeys.IsMatch(key);

    public static string Write(IReadOnlyDictionary<string, string?> settings, IEnumerable<string> headerComments)
    {
        var root = new Node();
        foreach (var (key, value) in settings)
        {
            if (value is null) continue;
            if (IsListKey(key))
            {
                var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                for (var i = 0; i < parts.Length; i++) root.At($"{key}:{i}").Value = parts[i];
            }
            else
            {
                root.At(key).Value = value;
            }
        }

        var text = new StringBuilder();
        foreach (var line in headerComments) text.Append("// ").AppendLine(line);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteNode(writer, root, topLevel: true);
        }
        text.AppendLine(Encoding.UTF8.GetString(stream.ToArray()));
        return text.ToString();
    }

    private static void WriteNode(Utf8JsonWriter writer, Node node, bool topLevel = false)
    {
        if (node.Children.Count == 0)
        {
            WriteScalar(writer, node.Value ?? "");
            return;
        }

        var isArray = node.Children.Keys.All(k => int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out _));
        if (isArray)
        {
            writer.WriteStartArray();
            foreach (var child in node.Children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture))) WriteNode(writer, child.Value);
            writer.WriteEndArray();
            return;
        }

        writer.WriteStartObject();
        IEnumerable<KeyValuePair<string, Node>> children = node.Children;
        if (topLevel)
        {
            children = children.OrderBy(c => Array.FindIndex(SectionOrder, s => s.Equals(c.Key, StringComparison.OrdinalIgnoreCase)) is var i && i < 0 ? int.MaxValue : i);
        }
        foreach (var (name, child) in children)
        {
            writer.WritePropertyName(name);
            WriteNode(writer, child);
        }
        writer.WriteEndObject();
    }

    private static void WriteScalar(Utf8JsonWriter writer, string value)
    {
        if (value.Equals("true", StringComparison.OrdinalIgnoreCase)) writer.WriteBooleanValue(true);
        else if (value.Equals("false", StringComparison.OrdinalIgnoreCase)) writer.WriteBooleanValue(false);
        // "0660" (a file mode) must stay a string; "2" may be a number.
        else if (value.Length is > 0 and < 10 && (value == "0" || value[0] != '0') && value.All(char.IsAsciiDigit))
            writer.WriteNumberValue(long.Parse(value, CultureInfo.InvariantCulture));
        else writer.WriteStringValue(value);
    }

    /// <summary>One level of the key path; children keep their first-seen order (case-insensitive like the configuration).</summary>
    private sealed class Node
    {
        public OrderedDictionary<string, Node> Children { get; } = new(StringComparer.OrdinalIgnoreCase);

        public string? Value { get; set; }

        public Node At(string path)
        {
            var node = this;
            foreach (var part in path.Split(':'))
            {
                if (!node.Children.TryGetValue(part, out var next)) node.Children.Add(part, next = new Node());
                node = next;
            }
            return node;
        }
    }
}
