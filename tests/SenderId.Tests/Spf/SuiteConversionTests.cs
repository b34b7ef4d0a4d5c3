using System.Globalization;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Milters.SenderId.Tests.Spf;

/// <summary>
/// The suites run from our JSON conversion (tests/data/spf/SOURCES.md, "JSON layout"); this holds it to the
/// published YAML beside it, so that no expected result, explanation, client, sender or DNS record can change in
/// the JSON alone: every case's fields, the faithful copy of the zone data, and the resolved "dns" view the tests
/// serve (TXT synthesis from SPF, "TXT: NONE", TIMEOUT) derived again from the YAML here.
/// </summary>
public sealed class SuiteConversionTests
{
    public static TheoryData<string, string> Suites() => new()
    {
        { "spf", "rfc4408-tests" },
        { "spf", "rfc7208-tests" },
        { "spf", "pyspf-test" },
        { "spf", "mail-spf-iterator-misc" },
        { "senderid", "rfc4406-tests" },
    };

    [Theory]
    [MemberData(nameof(Suites))]
    public void The_json_says_what_the_published_yaml_says(string folder, string suite)
    {
        var yaml = new YamlStream();
        using (var reader = new StringReader(File.ReadAllText(SpfSuite.DataPath(folder, suite + ".yml"))))
            yaml.Load(reader);
        using var json = JsonDocument.Parse(File.ReadAllBytes(SpfSuite.DataPath(folder, suite + ".json")));
        var scenarios = json.RootElement.GetProperty("scenarios").EnumerateArray().ToList();
        var documents = yaml.Documents.Where(d => d.RootNode is YamlMappingNode).ToList();
        Assert.Equal(documents.Count, scenarios.Count);

        var cases = 0;
        for (var i = 0; i < documents.Count; i++)
        {
            var document = (YamlMappingNode)documents[i].RootNode;
            var scenario = scenarios[i];
            var where = $"{suite} scenario {i + 1}";
            // pyspf-test.yml writes some scenarios' description as "comment"; the conversion took it for one.
            Assert.Equal(Text(document, "description") ?? Text(document, "comment"), scenario.GetProperty("description").GetString());

            var tests = (YamlMappingNode)document.Children[new YamlScalarNode("tests")];
            var converted = scenario.GetProperty("tests").EnumerateArray().ToList();
            Assert.Equal(tests.Children.Select(t => ((YamlScalarNode)t.Key).Value), converted.Select(t => t.GetProperty("name").GetString()));
            foreach (var (test, copy) in tests.Children.Zip(converted))
            {
                var name = ((YamlScalarNode)test.Key).Value!;
                var fields = (YamlMappingNode)test.Value;
                foreach (var field in new[] { "helo", "host", "mailfrom", "explanation" })
                    Assert.True(Text(fields, field) == (copy.TryGetProperty(field, out var v) ? v.GetString() : null), $"{where} {name}: {field}");
                Assert.True(List(fields, "result").SequenceEqual(copy.GetProperty("result").EnumerateArray().Select(r => r.GetString())), $"{where} {name}: result");
                cases++;
            }

            var zone = document.Children.TryGetValue(new YamlScalarNode("zonedata"), out var z) ? (YamlMappingNode)z : new YamlMappingNode();
            Assert.True(JsonSerializer.Serialize(Plain(zone)) == JsonSerializer.Serialize(Plain(scenario.GetProperty("zonedata"))), $"{where}: zonedata");
            Assert.True(JsonSerializer.Serialize(Resolved(zone)) == JsonSerializer.Serialize(Plain(scenario.GetProperty("dns"))), $"{where}: dns view");
        }
        Assert.Equal(json.RootElement.GetProperty("test_count").GetInt32(), cases);
    }

    private static string? Text(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value ?? "" : null;

    /// <summary>A field that is one value or a list of them ("result: fail" or "result: [fail, permerror]").</summary>
    private static IEnumerable<string> List(YamlMappingNode node, string key) =>
        node.Children[new YamlScalarNode(key)] switch
        {
            YamlSequenceNode list => list.Children.Select(c => ((YamlScalarNode)c).Value ?? ""),
            var scalar => [((YamlScalarNode)scalar).Value ?? ""],
        };

    /// <summary>YAML as plain values, every scalar a string: the shape both sides are compared in.</summary>
    private static object Plain(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value ?? "",
        YamlSequenceNode l => l.Children.Select(Plain).ToList(),
        YamlMappingNode m => new SortedDictionary<string, object>(m.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => Plain(c.Value)), StringComparer.Ordinal),
        _ => throw new InvalidDataException(node.ToString()),
    };

    private static object Plain(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.Number => element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.Array => element.EnumerateArray().Select(Plain).ToList(),
        JsonValueKind.Object => new SortedDictionary<string, object>(element.EnumerateObject().ToDictionary(p => p.Name, p => Plain(p.Value)), StringComparer.Ordinal),
        _ => throw new InvalidDataException(element.GetRawText()),
    };

    /// <summary>The "dns" view from the zone data, by SOURCES.md's conventions, in the same plain shape.</summary>
    private static object Resolved(YamlMappingNode zone)
    {
        var view = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in zone.Children)
        {
            var domain = ((YamlScalarNode)key).Value!.ToLowerInvariant();
            var records = new SortedDictionary<string, object>(StringComparer.Ordinal);
            bool timeout = false, txtNone = false;
            foreach (var entry in ((YamlSequenceNode)value).Children)
            {
                if (entry is YamlScalarNode { Value: "TIMEOUT" }) { timeout = true; continue; }
                var (type, data) = ((YamlMappingNode)entry).Children.Single();
                var name = ((YamlScalarNode)type).Value!;
                if (name == "TXT" && data is YamlScalarNode { Value: "NONE" }) { txtNone = true; continue; }
                object item = name switch
                {
                    "TXT" or "SPF" => data is YamlSequenceNode strings ? strings.Children.Select(Plain).ToList() : new List<object> { Plain(data) },
                    "MX" => new SortedDictionary<string, object>(StringComparer.Ordinal)
                    {
                        ["preference"] = Plain(((YamlSequenceNode)data).Children[0]),
                        ["exchange"] = Plain(((YamlSequenceNode)data).Children[1]),
                    },
                    _ => Plain(data),
                };
                if (!records.TryGetValue(name, out var list)) records[name] = list = new List<object>();
                ((List<object>)list).Add(item);
            }
            if (!txtNone && !records.ContainsKey("TXT") && records.TryGetValue("SPF", out var spf)) records["TXT"] = spf;
            var resolved = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["records"] = records };
            if (timeout) resolved["timeout_other_types"] = "true";
            view[domain] = resolved;
        }
        return view;
    }
}
