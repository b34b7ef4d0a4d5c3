using System.Net;
using System.Text;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.SenderId;

/// <summary>
/// `milters sid-filter -p inet:PORT@127.0.0.1 -r 2 -H NAME` — sid-filter's own command line — runs the built host
/// with SenderId + AuthResults; whole messages go through the real milter protocol, DNS from a real server.
/// </summary>
public sealed class SidFilterDropInTests : IDisposable
{
    private readonly DnsServer dns = SenderIdMilter.StartDns();

    public void Dispose() => dns.Dispose();

    /// <summary>The host run as `milters sid-filter …`: everything comes from the sid-filter flags (plugins from the host's folder).</summary>
    private MilterProcess Start(MilterSocket socket, params string[] sidFilterArgs)
    {
        var options = new MilterProcessOptions { Command = "sid-filter", Socket = socket };
        options.Args.AddRange(["--nameserver", dns.Endpoint, "-p", socket.Spec, .. sidFilterArgs]);
        return MilterProcess.Start(options);
    }

    private static async Task<MessageResult> Send(MilterSocket socket, string ip, string mailFrom, string from)
    {
        await using var client = await MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, socket.Port!.Value));
        await client.NegotiateAsync(MtaOffer.Sendmail);
        await client.ConnectAsync("client.sid.test", IPAddress.Parse(ip));
        await client.HeloAsync("client.sid.test");
        var message = Encoding.ASCII.GetBytes($"From: {from}\r\nTo: bob@example.org\r\nSubject: drop-in\r\n\r\nhello\r\n");
        var r = await client.SendMessageAsync(mailFrom, ["bob@example.org"], message);
        await client.QuitAsync();
        return r;
    }

    [Fact]
    public async Task SidFilterCommandLineRunsTheMilter()
    {
        var socket = MilterSocket.FreeInet();
        using var host = Start(socket, "-r", "2", "-H", "mx.sid.test", "-c");

        var pass = await Send(socket, "192.0.2.7", "alice@ok.sid.test", "alice@ok.sid.test");
        var ar = Assert.Single(pass.EndOfMessage!.AddedHeaders, h => h.Name == "Authentication-Results");
        Assert.StartsWith(" mx.sid.test;", ar.Value);
        Assert.Contains("sender-id=pass header.from=alice@ok.sid.test", ar.Value);
        Assert.Contains("spf=pass smtp.mailfrom=ok.sid.test", ar.Value);

        var reject = await Send(socket, "203.0.113.9", "alice@ok.sid.test", "alice@ok.sid.test");
        Assert.True(reject.Verdict.IsReject, $"{reject.Verdict}\n{host.Output}");
        Assert.StartsWith("550 5.7.1 Rejected due to SPF policy for sender alice@ok.sid.test", reject.Verdict.Text);
    }

    [Fact]
    public async Task WithoutDashCAMessageWithoutPraIsRejectedAsSidFilterDid()
    {
        var socket = MilterSocket.FreeInet();
        using var host = Start(socket);
        var r = await Send(socket, "192.0.2.7", "alice@ok.sid.test", "undisclosed-recipients:;");
        Assert.True(r.Verdict.IsReject, $"{r.Verdict}\n{host.Output}");
        Assert.Contains("can't determine Purported Responsible Address", r.Verdict.Text);
    }
}
