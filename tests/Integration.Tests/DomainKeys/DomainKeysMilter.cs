using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.DomainKeys;

/// <summary>
/// The built host with the repository's DomainKeys and AuthResults plugins (the dk-filter order), a fresh
/// 1024-bit key in the central key table for example.com, selector "dkit", and a real DNS server publishing it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class DomainKeysMilter : IDisposable
{
    public const string Domain = "example.com";
    public const string Selector = "dkit";
    public const string AuthservId = "mx.dk.test";

    private readonly TempDir keys;

    private DomainKeysMilter(TempDir keys, DnsServer dns, MilterProcess milter, RSA key)
    {
        this.keys = keys;
        Dns = dns;
        Milter = milter;
        Key = key;
    }

    public DnsServer Dns { get; }

    public MilterProcess Milter { get; }

    public RSA Key { get; }

    public string KeyFile => keys["dkit.key.pem"];

    /// <summary>
    /// Starts DNS and the host; <paramref name="domainKeys"/> is the DomainKeys section; <paramref name="moreZone"/>
    /// adds zone lines, given the base64 public key (the p= value of the "dkit" record).
    /// </summary>
    public static DomainKeysMilter Start(JsonObject? domainKeys = null, Func<string, string>? moreZone = null)
    {
        var plugins = Path.Combine(RepoPaths.HostOutput, "plugins");
        foreach (var name in new[] { "DomainKeys", "AuthResults" })
            if (!File.Exists(Path.Combine(plugins, name, name + ".dll")))
                throw new PeerException($"plugin {name} is not built into {plugins} (run: dotnet build Milters.sln -c {RepoPaths.Configuration})");

        var keys = new TempDir("dk-keys");
        var rsa = RSA.Create(1024);
        var keyFile = keys["dkit.key.pem"];
        File.WriteAllText(keyFile, rsa.ExportRSAPrivateKeyPem() + "\n");
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var record = "k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
        var dns = DnsServer.StartWithZone(Txt($"{Selector}._domainkey.{Domain}", record) + "unsigned.example. IN TXT \"x\"\n"
            + moreZone?.Invoke(Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())));
        try
        {
            var milter = MilterProcess.Start(new MilterProcessOptions
            {
                Config = new JsonObject
                {
                    ["Plugins"] = new JsonObject { ["Directory"] = plugins, ["Order"] = new JsonArray("DomainKeys", "AuthResults") },
                    ["Dns"] = new JsonObject { ["Servers"] = new JsonArray(dns.Endpoint), ["Timeout"] = "00:00:02", ["UseCache"] = false },
                    ["Keys"] = new JsonObject
                    {
                        ["Table"] = new JsonArray(new JsonObject
                        {
                            ["Domain"] = Domain, ["Selector"] = Selector, ["KeyFile"] = keyFile, ["Senders"] = new JsonArray($"*@{Domain}"),
                        }),
                    },
                    ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Debug", ["Milters.DomainKeys"] = "Trace" } },
                    ["DomainKeys"] = domainKeys ?? new JsonObject(),
                    ["AuthResults"] = new JsonObject { ["AuthservId"] = AuthservId },
                },
            });
            return new DomainKeysMilter(keys, dns, milter, rsa);
        }
        catch
        {
            dns.Dispose();
            keys.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One message through the real protocol as <paramref name="offer"/>'s MTA would send it, from client
    /// <paramref name="ip"/> (127.0.0.1 is internal: signed); the end-of-message result.
    /// </summary>
    public async Task<EndOfMessageResult> SendAsync(MtaOffer offer, string ip, string message, Dictionary<string, string>? connectMacros = null)
    {
        await using var client = await MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, Milter.Socket.Port!.Value));
        await client.NegotiateAsync(offer);
        if (connectMacros is not null) client.StageMacros['C'] = connectMacros;
        await client.ConnectAsync(ip == "127.0.0.1" ? "localhost" : "relay.example.net", IPAddress.Parse(ip));
        await client.HeloAsync("relay.example.net");
        var result = await client.SendMessageAsync("alice@example.com", ["bob@example.org"], Encoding.UTF8.GetBytes(message));
        await client.QuitAsync();
        Assert.True(result.EndOfMessage is not null, $"no end of message reached: {result.Verdict}\n{Milter.Output}");
        return result.EndOfMessage!;
    }

    /// <summary>The message as the MTA would deliver it: inserted header fields applied in order.</summary>
    public static string Apply(string message, EndOfMessageResult eom)
    {
        var (headers, body) = MilterClient.SplitMessage(Encoding.UTF8.GetBytes(message));
        var lines = headers.Select(h => $"{h.Name}:{h.Value}").ToList();
        foreach (var m in eom.Modifications)
        {
            if (m.Code == 'i') lines.Insert(Math.Min(m.Index, lines.Count), $"{m.Name}:{m.Value}");
            else if (m.Code == 'h') lines.Add($"{m.Name}:{m.Value}");
        }
        return string.Join("\r\n", lines) + "\r\n\r\n" + Encoding.UTF8.GetString(body);
    }

    /// <summary>A TXT record in zone-file syntax (absolute name, strings of at most 255 bytes).</summary>
    public static string Txt(string name, string text)
    {
        var line = new StringBuilder(name + ". IN TXT");
        for (var i = 0; i < text.Length; i += 255) line.Append(" \"").Append(text, i, Math.Min(255, text.Length - i)).Append('"');
        return line.Append('\n').ToString();
    }

    /// <summary>Mail::DKIM's verdict (tests/peers/perl-dk.sh verify) on a whole message, against this DNS server.</summary>
    public (bool Pass, string Output) PerlVerify(byte[] message)
    {
        var file = keys[$"verify-{Guid.NewGuid():N}.eml"];
        File.WriteAllBytes(file, message);
        var r = ProcessRunner.Run("bash", ["-c", $"bash '{PeerScripts.Path("perl-dk.sh")}' verify --dns-port {Dns.Port} < '{file}'"], TimeSpan.FromMinutes(2));
        return (r.ExitCode == 0 && r.StandardOutput.Contains("result=pass"), r.Output);
    }

    /// <summary>
    /// Mail::DKIM's report on every DIR/*.eml in one process (perl-dk.sh verify --batch): file name to its lines
    /// ("result=…", "detail=…", one "signature …" per signature).
    /// </summary>
    public Dictionary<string, string> PerlVerifyBatch(string dir)
    {
        var r = ProcessRunner.Run("bash", [PeerScripts.Path("perl-dk.sh"), "verify", "--dns-port", Dns.Port.ToString(CultureInfo.InvariantCulture), "--batch", dir],
            TimeSpan.FromMinutes(5));
        if (!r.Succeeded) throw new PeerException($"perl-dk.sh verify --batch failed: {r}");
        var reports = new Dictionary<string, string>();
        string? file = null;
        var lines = new StringBuilder();
        foreach (var line in r.StandardOutput.Split('\n'))
        {
            if (line.StartsWith("file=", StringComparison.Ordinal))
            {
                if (file is not null) reports[file] = lines.ToString().TrimEnd();
                file = line["file=".Length..];
                lines.Clear();
            }
            else if (file is not null && line.Length > 0) lines.Append(line).Append('\n');
        }
        if (file is not null) reports[file] = lines.ToString().TrimEnd();
        return reports;
    }

    /// <summary>Mail::DKIM signs every DIR/*.eml into DIR/*.eml.signed with this milter's key and selector.</summary>
    public void PerlSignBatch(string dir, string method)
    {
        var r = ProcessRunner.Run("bash", [PeerScripts.Path("perl-dk.sh"), "sign", "--key", KeyFile, "--selector", Selector, "--domain", Domain,
            "--method", method, "--batch", dir], TimeSpan.FromMinutes(5));
        if (!r.Succeeded) throw new PeerException($"perl-dk.sh sign --batch failed: {r}");
    }

    public void Dispose()
    {
        Milter.Dispose();
        Dns.Dispose();
        Key.Dispose();
        keys.Dispose();
    }
}
