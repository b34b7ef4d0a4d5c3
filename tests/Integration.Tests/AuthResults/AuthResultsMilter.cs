using System.Text.Json.Nodes;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.AuthResults;

/// <summary>
/// The built host with the repository's AuthResults plugin alone, and messages that carry forged and foreign
/// Authentication-Results headers. Each header carries a marker (forged-N, foreign-N) so that what is
/// delivered can be told apart however the MTA refolds it.
/// </summary>
internal static class AuthResultsMilter
{
    public const string AuthservId = "mx.ar.test";

    /// <summary>Forged: our authserv-id in the ways a forger varies it (case, version, comment, spacing, quotes, folding).</summary>
    public static readonly string[] Forged =
    [
        "Authentication-Results: mx.ar.test; dkim=pass header.d=forged-1.example",
        "Authentication-Results: MX.AR.TEST 1; spf=pass smtp.mailfrom=ceo@forged-2.example",
        "Authentication-Results: (trust me) mx.ar.test; domainkeys=pass header.from=ceo@forged-3.example",
        "authentication-results:mx.ar.test;sender-id=pass header.from=ceo@forged-4.example",
        "Authentication-Results: \"mx.ar.test\"\r\n\t; spf=pass smtp.mailfrom=a@forged-5.example",
    ];

    /// <summary>Foreign: other authserv-ids, one of them merely starting with ours.</summary>
    public static readonly string[] Foreign =
    [
        "Authentication-Results: other.example.org; dkim=pass header.d=foreign-1.example",
        "Authentication-Results: mx.ar.test.evil.net; spf=pass smtp.mailfrom=a@foreign-2.example",
        "Authentication-Results: relay.example.net 1;\r\n\tdkim=fail header.d=foreign-3.example",
    ];

    /// <summary>
    /// A message with <paramref name="forged"/> forged headers interleaved with every foreign one and ordinary
    /// headers; <paramref name="forgedOccurrences"/> are the forged ones' positions among the A-R headers (1-based).
    /// </summary>
    public static string Message(int forged, string subject, out List<int> forgedOccurrences)
    {
        var lines = new List<string> { "Received: from relay.example.net by gateway.example.net; Sun, 29 Nov 2026 16:00:00 +0000" };
        var others = new Queue<string>(["From: Alice <alice@example.com>", "To: bob@example.org", $"Subject: {subject}", $"Message-ID: <{Guid.NewGuid():N}@example.com>", "Date: Sun, 29 Nov 2026 16:00:00 +0000"]);
        forgedOccurrences = new List<int>();
        var occurrence = 0;
        for (int f = 0, o = 0; f < forged || o < Foreign.Length;)
        {
            if (f < forged)
            {
                lines.Add(Forged[f++]);
                forgedOccurrences.Add(++occurrence);
            }
            if (o < Foreign.Length)
            {
                lines.Add(Foreign[o++]);
                ++occurrence;
            }
            if (others.TryDequeue(out var h)) lines.Add(h);
        }
        lines.AddRange(others);
        return string.Join("\r\n", lines) + "\r\n\r\nhello\r\n";
    }

    public static MilterProcess Start(JsonObject? authResults = null)
    {
        var plugins = Path.Combine(RepoPaths.HostOutput, "plugins");
        if (!File.Exists(Path.Combine(plugins, "AuthResults", "AuthResults.dll")))
            throw new PeerException($"plugin AuthResults is not built into {plugins} (run: dotnet build Milters.sln -c {RepoPaths.Configuration})");
        var section = authResults ?? new JsonObject();
        section["AuthservId"] ??= AuthservId;
        return MilterProcess.Start(new MilterProcessOptions
        {
            Config = new JsonObject
            {
                ["Plugins"] = new JsonObject { ["Directory"] = plugins, ["Order"] = new JsonArray("AuthResults") },
                ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Debug" } },
                ["AuthResults"] = section,
            },
        });
    }
}
