using System.Text.Json;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Milter;

/// <summary>tests/data/milter/vectors.json (see SOURCES.md there), used as it is.</summary>
public static class Vectors
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(RepoPaths.Data("milter", "vectors.json"))));

    public static JsonElement Section(string name) => Document.Value.RootElement.GetProperty(name);

    public static JsonElement ById(string section, string id) =>
        Section(section).EnumerateArray().Single(e => e.GetProperty("id").GetString() == id);

    public static IEnumerable<object[]> Ids(string section, Func<JsonElement, bool>? where = null) =>
        Section(section).EnumerateArray().Where(e => where?.Invoke(e) ?? true).Select(e => new object[] { e.GetProperty("id").GetString()! });

    public static byte[] Hex(JsonElement e, string property) => Convert.FromHexString(e.GetProperty(property).GetString()!);

    public static string? Note(JsonElement e) => e.TryGetProperty("note", out var n) ? n.GetString() : null;

    /// <summary>A rejection marked as purepythonmilter's own strictness, not a wire-format rule.</summary>
    public static bool IsPolicy(JsonElement e) => Note(e)?.Contains("purepythonmilter policy", StringComparison.Ordinal) == true;
}
