using System.Text.Json;
using System.Text.Json.Nodes;

namespace Milters.AuthResults.Tests;

/// <summary>tests/data/authres/cases.json (see its SOURCES.md): header texts with expected structures.</summary>
internal static class ParserCases
{
    private static readonly Lazy<JsonObject> All = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "authres", "cases.json")))!.AsObject());

    public static IEnumerable<JsonObject> Of(string group) => All.Value[group]!.AsArray().Select(n => n!.AsObject());

    public static JsonObject ById(string group, string id) => Of(group).Single(c => (string)c["id"]! == id);

    public static TheoryData<string> Ids(string group)
    {
        var data = new TheoryData<string>();
        foreach (var c in Of(group)) data.Add((string)c["id"]!);
        return data;
    }

    public static string Canonical(JsonNode? node) => node?.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) ?? "null";
}
