using System.Text.Json;
using Milters.Testing.Dns;

namespace Milters.DomainKeys.Tests.Support;

/// <summary>Finds tests/data/domainkeys from the test binary and loads its files.</summary>
internal static class TestData
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "data", "domainkeys");
            if (File.Exists(Path.Combine(candidate, "manifest.json"))) return candidate;
        }
        throw new DirectoryNotFoundException("tests/data/domainkeys not found above " + AppContext.BaseDirectory);
    }

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static byte[] Bytes(string relative) => File.ReadAllBytes(PathOf(relative));

    public static JsonDocument Json(string relative) => JsonDocument.Parse(File.ReadAllText(PathOf(relative)));

    /// <summary>The fake DNS of the Mail::DKIM suite (dns.json) as an in-memory zone.</summary>
    public static InMemoryDnsResolver Dns()
    {
        var resolver = new InMemoryDnsResolver();
        using var doc = Json("dns.json");
        foreach (var record in doc.RootElement.GetProperty("records").EnumerateObject())
            Add(resolver, record.Name, record.Value);
        return resolver;
    }

    /// <summary>dns.json value forms: {"TXT": text}, "NXDOMAIN", {"error": "SERVFAIL" | "Query timed out"}.</summary>
    public static void Add(InMemoryDnsResolver resolver, string name, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            if (value.GetString() != "NXDOMAIN") throw new InvalidDataException($"{name}: {value}");
            return; // unknown names answer NXDOMAIN
        }
        if (value.TryGetProperty("TXT", out var txt))
            resolver.AddTxt(name, SplitIntoStrings(txt.GetString()!));
        else if (value.TryGetProperty("error", out var error))
            resolver.Fail(name, error.GetString()!.Contains("timed out", StringComparison.OrdinalIgnoreCase)
                ? Milters.Abstractions.DnsStatus.Timeout
                : Milters.Abstractions.DnsStatus.ServerFailure);
        else throw new InvalidDataException($"{name}: {value}");
    }

    /// <summary>A TXT record holds strings of at most 255 bytes (RFC 1035 §3.3.14); long texts are split.</summary>
    public static string[] SplitIntoStrings(string text)
    {
        var parts = new List<string>();
        for (var i = 0; i < text.Length; i += 255) parts.Add(text.Substring(i, Math.Min(255, text.Length - i)));
        return parts.Count == 0 ? [""] : parts.ToArray();
    }
}
