using System.Text.Json.Nodes;
using Milters.Integration.Tests.DomainKeys;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.Operations;

/// <summary>
/// The load generator behind docs/BENCHMARKS.md (bench/LoadGen, milters-loadgen) against the built host: its
/// counts and its header check are what the figures rest on, so they are checked here — with few messages and
/// no timing (benchmarks are not tests).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LoadGeneratorTests
{
    private static string LoadGen => Path.Combine(RepoPaths.Root, "bench", "LoadGen", "bin", RepoPaths.Configuration, "net10.0", "milters-loadgen");

    private static JsonObject Run(DomainKeysMilter dk, params string[] options)
    {
        if (!File.Exists(LoadGen)) throw new PeerException($"{LoadGen} is not built (dotnet build Milters.sln -c {RepoPaths.Configuration})");
        var r = ProcessRunner.Run(LoadGen, ["--socket", dk.Milter.Socket.Spec, "--quiet", "--json", "-", "--warmup", "0", .. options], TimeSpan.FromMinutes(3));
        var json = r.StandardOutput.Split('\n').SingleOrDefault(l => l.StartsWith('{'));
        Assert.True(json is not null, $"no JSON result line: {r}\n{dk.Milter.Output}");
        return JsonNode.Parse(json)!.AsObject();
    }

    private static long Number(JsonObject result, string name) => result[name]!.GetValue<long>();

    [Theory]
    [InlineData("1")]   // a connection per message, as Postfix opens one per SMTP session
    [InlineData("0")]   // all messages on one connection per worker
    public void Every_signed_message_is_counted_and_carries_the_signature(string perConnection)
    {
        using var dk = DomainKeysMilter.Start();
        var result = Run(dk, "--connections", "4", "--count", "120", "--per-connection", perConnection, "--sizes", "1k:2,64k:1",
            "--expect-header", "DomainKey-Signature");
        Assert.True(Number(result, "errors") == 0, result.ToJsonString());
        Assert.Equal(120, Number(result, "ok"));
        Assert.Equal(120, Number(result, "completed"));
        Assert.True(result["eomLatencyMs"]!["samples"]!.GetValue<long>() == 120, result.ToJsonString());
    }

    [Fact]
    public void A_message_without_the_expected_header_is_an_error()
    {
        // Verify-only: nothing is signed, so every message lacks the header the run asks for.
        using var dk = DomainKeysMilter.Start(new JsonObject { ["Mode"] = "v" });
        var result = Run(dk, "--connections", "2", "--count", "20", "--expect-header", "DomainKey-Signature");
        Assert.Equal(0, Number(result, "ok"));
        Assert.Equal(20, Number(result, "errors"));
        Assert.Equal(20, result["outcomes"]!["MissingHeader"]!.GetValue<long>());
    }

    [Fact]
    public void Verify_traffic_checks_the_result_the_filter_reports()
    {
        using var dk = DomainKeysMilter.Start();
        var result = Run(dk, "--connections", "2", "--count", "40", "--traffic", "verify", "--prime-header", "DomainKey-Signature",
            "--client-addr", "203.0.113.9", "--expect-header", "Authentication-Results", "--expect-contains", "domainkeys=pass");
        Assert.True(Number(result, "errors") == 0, result.ToJsonString() + "\n" + dk.Milter.Output);
        Assert.Equal(40, Number(result, "ok"));
        // The key came from the DNS server, not from anywhere else.
        Assert.Contains(dk.Dns.QueriesFor($"{DomainKeysMilter.Selector}._domainkey.{DomainKeysMilter.Domain}"), q => q.Contains("TXT", StringComparison.Ordinal));
    }
}
