using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Security;

/// <summary>
/// The built host with the shipped DomainKeys and AuthResults plugins (the dk-filter chain), a fresh key for
/// example.com and everything at Trace level, for the security tests: who may connect, what counts as
/// internal, what reaches the log.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class SecureHost : IDisposable
{
    public const string AuthservId = "mx.sec.test";

    private readonly TempDir keys;

    private SecureHost(TempDir keys, MilterProcess milter, string keyPem)
    {
        this.keys = keys;
        Milter = milter;
        KeyPem = keyPem;
    }

    public MilterProcess Milter { get; }

    /// <summary>The private key as written to the key file (PEM).</summary>
    public string KeyPem { get; }

    public string KeyFile => keys["sec.key.pem"];

    public static SecureHost Start(Action<JsonObject>? config = null, Action<MilterProcessOptions>? options = null)
    {
        var plugins = Path.Combine(RepoPaths.HostOutput, "plugins");
        foreach (var name in new[] { "DomainKeys", "AuthResults" })
            if (!File.Exists(Path.Combine(plugins, name, name + ".dll")))
                throw new PeerException($"plugin {name} is not built into {plugins} (run: dotnet build Milters.sln -c {RepoPaths.Configuration})");
        var keys = new TempDir("sec-keys");
        using var rsa = RSA.Create(1024);
        var pem = rsa.ExportRSAPrivateKeyPem() + "\n";
        File.WriteAllText(keys["sec.key.pem"], pem);
        File.SetUnixFileMode(keys["sec.key.pem"], UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var json = new JsonObject
        {
            ["Plugins"] = new JsonObject { ["Directory"] = plugins, ["Order"] = new JsonArray("DomainKeys", "AuthResults") },
            // No DNS server: nothing here verifies; a lookup would fail fast against a closed port.
            ["Dns"] = new JsonObject { ["Servers"] = new JsonArray($"127.0.0.1:{FreePort.UdpAndTcp()}"), ["Timeout"] = "00:00:01", ["Retries"] = 0 },
            ["Keys"] = new JsonObject
            {
                ["Table"] = new JsonArray(new JsonObject
                {
                    ["Domain"] = "example.com", ["Selector"] = "sec", ["KeyFile"] = keys["sec.key.pem"], ["Senders"] = new JsonArray("*@example.com"),
                }),
            },
            ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Trace" } },
            ["DomainKeys"] = new JsonObject { ["SigningDaemons"] = new JsonArray("MSA") },
            ["AuthResults"] = new JsonObject { ["AuthservId"] = AuthservId },
        };
        config?.Invoke(json);
        var processOptions = new MilterProcessOptions { Config = json };
        options?.Invoke(processOptions);
        try
        {
            return new SecureHost(keys, MilterProcess.Start(processOptions), pem);
        }
        catch
        {
            keys.Dispose();
            throw;
        }
    }

    /// <summary>A milter client from <paramref name="from"/> (a loopback address) to the host's TCP port.</summary>
    public async Task<MilterClient> ConnectAsync(IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (from is not null) socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Milter.Socket.Port!.Value));
        return new MilterClient(new NetworkStream(socket, ownsSocket: true)) { ReplyTimeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>
    /// One message as the MTA reports it: SMTP client <paramref name="clientName"/> [<paramref name="clientIp"/>],
    /// daemon <paramref name="daemon"/>, authenticated or not.
    /// </summary>
    public async Task<MessageResult> SendAsync(string message, string clientIp, string clientName = "client.example.net",
        string daemon = "MTA", bool authenticated = false, string queueId = "SEC1")
    {
        await using var client = await ConnectAsync();
        client.StageMacros['C'] = new Dictionary<string, string> { ["{daemon_name}"] = daemon, ["j"] = AuthservId };
        client.StageMacros['M'] = authenticated
            ? new Dictionary<string, string> { ["i"] = queueId, ["{auth_type}"] = "PLAIN", ["{auth_authen}"] = "alice" }
            : new Dictionary<string, string> { ["i"] = queueId };
        await client.NegotiateAsync(MtaOffer.Postfix);
        await client.ConnectAsync(clientName, IPAddress.Parse(clientIp));
        await client.HeloAsync(clientName);
        var result = await client.SendMessageAsync("<alice@example.com>", ["<bob@example.org>"], Encoding.ASCII.GetBytes(message));
        await client.QuitAsync();
        Assert.True(result.EndOfMessage is not null, $"{result.Verdict}\n{Milter.Output}");
        return result;
    }

    public void Dispose()
    {
        Milter.Dispose();
        keys.Dispose();
    }
}
