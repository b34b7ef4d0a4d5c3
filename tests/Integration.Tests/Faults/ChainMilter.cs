using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.Faults;

/// <summary>
/// The built host with the whole chain (DomainKeys, SenderId, AuthResults) as shipped, a fresh key for
/// example.com in the key table, a real DNS server (BIND) that can misbehave on purpose, and the metrics summary
/// line every second (so "connections … open" can be read back from the process). Messages go through the test
/// milter client playing Postfix.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class ChainMilter : IDisposable
{
    public const string Domain = "example.com";
    public const string Selector = "fault";
    public const string AuthservId = "mx.fault.test";

    /// <summary>SPF records of the fault tests; 192.0.2.0/24 is the SMTP client the milter client reports.</summary>
    public const string Zone = """
        $TTL 60
        ok.fault.test.         IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
        garbage.fault.test.    IN TXT "v=spf1 \000\255\010 ip4:192.0.2.0/33 include: a:-- ~~all"
        notspf.fault.test.     IN TXT "\255\254\253 binary \000 junk"
        """;

    private readonly TempDir keys;

    private ChainMilter(TempDir keys, DnsServer dns, MilterProcess milter)
    {
        this.keys = keys;
        Dns = dns;
        Milter = milter;
    }

    public DnsServer Dns { get; }

    public MilterProcess Milter { get; }

    public string KeyFile => keys["fault.key.pem"];

    /// <summary>Starts DNS (zone + <paramref name="dns"/> changes) and the host (config + <paramref name="config"/> changes).</summary>
    public static ChainMilter Start(Action<DnsServerOptions>? dns = null, Action<JsonObject>? config = null, string? extraZone = null,
        params string[] testPlugins)
    {
        var plugins = Path.Combine(RepoPaths.HostOutput, "plugins");
        foreach (var name in new[] { "DomainKeys", "SenderId", "AuthResults" })
            if (!File.Exists(Path.Combine(plugins, name, name + ".dll")))
                throw new PeerException($"plugin {name} is not built into {plugins} (run: dotnet build Milters.sln -c {RepoPaths.Configuration})");

        var keys = new TempDir("fault-keys");
        using var rsa = RSA.Create(1024);
        File.WriteAllText(keys["fault.key.pem"], rsa.ExportRSAPrivateKeyPem() + "\n");
        File.SetUnixFileMode(keys["fault.key.pem"], UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var record = "k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
        var options = new DnsServerOptions();
        options.ZoneTexts.Add(Zone + "\n" + Txt($"{Selector}._domainkey.{Domain}", record) + Txt(Domain, "v=spf1 ip4:192.0.2.0/24 -all") + (extraZone ?? ""));
        dns?.Invoke(options);
        DnsServer? server = null;
        try
        {
            server = DnsServer.Start(options);
            var json = new JsonObject
            {
                ["Plugins"] = new JsonObject { ["Directory"] = plugins, ["Order"] = new JsonArray("DomainKeys", "SenderId", "AuthResults") },
                ["Dns"] = new JsonObject { ["Servers"] = new JsonArray(server.Endpoint), ["Timeout"] = "00:00:01", ["Retries"] = 1, ["UseCache"] = false },
                ["Keys"] = new JsonObject
                {
                    ["Table"] = new JsonArray(new JsonObject
                    {
                        ["Domain"] = Domain, ["Selector"] = Selector, ["KeyFile"] = keys["fault.key.pem"], ["Senders"] = new JsonArray($"*@{Domain}"),
                    }),
                },
                ["Metrics"] = new JsonObject { ["SummaryInterval"] = "00:00:01" },
                ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Information" } },
                ["DomainKeys"] = new JsonObject { ["SigningDaemons"] = new JsonArray("MSA") },
                ["SenderId"] = new JsonObject(),
                ["AuthResults"] = new JsonObject { ["AuthservId"] = AuthservId },
            };
            if (testPlugins.Length > 0)
            {
                // One plugins folder with the shipped plugins and the test-only ones side by side.
                var folder = keys["plugins"];
                foreach (var shipped in Directory.GetDirectories(plugins)) CopyDirectory(shipped, Path.Combine(folder, Path.GetFileName(shipped)));
                foreach (var name in testPlugins) TestPluginFolder.LayOut(name, folder);
                json["Plugins"]!["Directory"] = folder;
            }
            config?.Invoke(json);
            return new ChainMilter(keys, server, MilterProcess.Start(new MilterProcessOptions { Config = json }));
        }
        catch
        {
            server?.Dispose();
            keys.Dispose();
            throw;
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from)) CopyDirectory(sub, Path.Combine(to, Path.GetFileName(sub)));
    }

    /// <summary>A TXT record in zone-file syntax (absolute name, strings of at most 255 bytes).</summary>
    public static string Txt(string name, string text)
    {
        var line = new StringBuilder(name + ". IN TXT");
        for (var i = 0; i < text.Length; i += 255) line.Append(" \"").Append(text, i, Math.Min(255, text.Length - i)).Append('"');
        return line.Append('\n').ToString();
    }

    public static byte[] Message(string from, string subject = "fault", string extraHeaders = "") => Encoding.ASCII.GetBytes(
        $"From: {from}\r\nTo: bob@example.org\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@fault.test>\r\n{extraHeaders}\r\nhello\r\n");

    public Task<MilterClient> ConnectAsync() =>
        MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, Milter.Socket.Port!.Value));

    /// <summary>
    /// A client ready for a message: negotiated as Postfix, connected from <paramref name="ip"/>, HELO given; signing
    /// traffic ({daemon_name}=MSA, authenticated) when <paramref name="submission"/>, else inbound (MTA, no auth).
    /// </summary>
    public async Task<MilterClient> ReadyAsync(string queueId, bool submission = false, string ip = "192.0.2.7")
    {
        var client = await ConnectAsync();
        client.ReplyTimeout = TimeSpan.FromSeconds(60); // a hang fails the test instead of blocking it
        client.StageMacros['C'] = new Dictionary<string, string> { ["{daemon_name}"] = submission ? "MSA" : "MTA", ["j"] = AuthservId };
        client.StageMacros['M'] = submission
            ? new Dictionary<string, string> { ["i"] = queueId, ["{auth_type}"] = "PLAIN", ["{auth_authen}"] = "alice" }
            : new Dictionary<string, string> { ["i"] = queueId };
        await client.NegotiateAsync(MtaOffer.Postfix);
        await client.ConnectAsync("client.fault.test", IPAddress.Parse(ip));
        await client.HeloAsync("client.fault.test");
        return client;
    }

    /// <summary>One whole message on a fresh connection (QUIT after it).</summary>
    public async Task<MessageResult> SendAsync(string queueId, string mailFrom, byte[] message, bool submission = false, string ip = "192.0.2.7")
    {
        await using var client = await ReadyAsync(queueId, submission, ip);
        var result = await client.SendMessageAsync(mailFrom, ["bob@example.org"], message);
        await client.QuitAsync();
        return result;
    }

    /// <summary>The one Authentication-Results header we added (fails with the host's output otherwise).</summary>
    public string AuthResults(MessageResult r)
    {
        Assert.True(r.EndOfMessage is not null, $"no end of message: {r.Verdict}\n{Milter.Output}");
        var h = r.EndOfMessage!.AddedHeaders.Where(m => m.Name == "Authentication-Results").ToList();
        Assert.True(h.Count == 1, $"expected one Authentication-Results header, got {h.Count}\n{Milter.Output}");
        return h[0].Value!;
    }

    /// <summary>Asserts that TEXT contains EXPECTED, showing the text and the host's output when it does not.</summary>
    public void AssertHas(string text, string expected) =>
        Assert.True(text.Contains(expected, StringComparison.Ordinal), $"expected \"{expected}\" in:\n{text}\n--- host output ---\n{Milter.Output}");

    /// <summary>
    /// The host's output lines that contain every one of <paramref name="parts"/>, once there are at least
    /// <paramref name="count"/> of them (the console logger writes after the reply has left, so wait for it).
    /// </summary>
    public List<string> WaitForLines(int count, TimeSpan timeout, params string[] parts)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var lines = Milter.Output.Split('\n').Where(l => parts.All(p => l.Contains(p, StringComparison.Ordinal))).ToList();
            if (lines.Count >= count) return lines;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"expected {count} line(s) with \"{string.Join("\", \"", parts)}\" within {timeout.TotalSeconds:0} s:\n{Milter.Output}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Waits for a metrics summary line written after this call that reports no open connection.</summary>
    public string WaitForNoOpenConnection(TimeSpan timeout)
    {
        var start = Milter.Output.Length;
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            var line = Milter.Output[start..].Split('\n').LastOrDefault(l => l.Contains("metrics for the last", StringComparison.Ordinal));
            if (line is not null && line.Contains(" new, 0 open;", StringComparison.Ordinal)) return line;
            Thread.Sleep(200);
        }
        throw new TimeoutException($"no summary line with 0 open connections within {timeout.TotalSeconds:0} s:\n{Milter.Output}");
    }

    public void Dispose()
    {
        Milter.Dispose();
        Dns.Dispose();
        keys.Dispose();
    }
}
