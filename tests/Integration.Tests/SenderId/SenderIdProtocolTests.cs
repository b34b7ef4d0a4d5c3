using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.SenderId;

/// <summary>
/// Whole messages through the real milter protocol (the test milter client plays the MTA, so the client IP can be
/// any address) to the built host with the SenderId + AuthResults plugins and a real DNS server.
/// </summary>
public sealed class SenderIdProtocolTests : IDisposable
{
    private readonly DnsServer dns = SenderIdMilter.StartDns();

    public void Dispose() => dns.Dispose();

    private static byte[] Message(string from, string? sender = null) => Encoding.ASCII.GetBytes(
        $"From: {from}\r\n" + (sender is null ? "" : $"Sender: {sender}\r\n") +
        "To: bob@example.org\r\nSubject: sender id\r\nMessage-ID: <1@sid.test>\r\n\r\nhello\r\n");

    private static async Task<MessageResult> Send(MilterProcess milter, string ip, string helo, string mailFrom, byte[] message,
        Dictionary<string, string>? mailMacros = null)
    {
        await using var client = await MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, milter.Socket.Port!.Value));
        await client.NegotiateAsync(MtaOffer.Postfix);
        Assert.True((await client.ConnectAsync("client.sid.test", IPAddress.Parse(ip))).IsContinue, milter.Output);
        await client.HeloAsync(helo);
        if (mailMacros is not null) await client.SendMacrosAsync('M', mailMacros);
        var result = await client.SendMessageAsync(mailFrom, ["bob@example.org"], message);
        await client.QuitAsync();
        return result;
    }

    private static string AuthResults(MessageResult r, MilterProcess milter)
    {
        Assert.NotNull(r.EndOfMessage);
        var h = r.EndOfMessage!.AddedHeaders.Where(m => m.Name == "Authentication-Results").ToList();
        Assert.True(h.Count == 1, $"expected one Authentication-Results header, got {h.Count}\n{milter.Output}");
        return h[0].Value!;
    }

    [Theory]
    [InlineData("192.0.2.7")]
    [InlineData("2001:db8::7")]
    public async Task AuthorizedClientGetsSenderIdPassAndSpfPass(string ip)
    {
        using var milter = SenderIdMilter.Start(dns);
        var r = await Send(milter, ip, "mail.sid.test", "alice@ok.sid.test", Message("Alice <alice@ok.sid.test>"));
        var ar = AuthResults(r, milter);
        Assert.StartsWith(" " + SenderIdMilter.AuthservId, ar);
        Assert.Contains("sender-id=pass header.from=alice@ok.sid.test", ar);
        Assert.Contains("spf=pass smtp.mailfrom=ok.sid.test", ar);
        Assert.False(r.Verdict.IsReject || r.Verdict.IsTempFail, r.Verdict.ToString());
    }

    /// <summary>
    /// SMTPUTF8 mail (RFC 6531/6532): the envelope and From carry the domain in U-labels, the records live under its
    /// A-labels (xn--bcher-kva.sid.test is bücher.sid.test); both checks find them (RFC 7208 §4.3). The zone's
    /// spf2.0/pra record authorizes another network, so a pass for both would mean one check did not look there.
    /// </summary>
    [Fact]
    public async Task An_internationalized_sender_domain_is_checked_by_its_A_labels()
    {
        using var milter = SenderIdMilter.Start(dns);
        var message = Encoding.UTF8.GetBytes("From: Jörg <jörg@bücher.sid.test>\r\nTo: bob@example.org\r\nSubject: eai\r\n\r\nhallo\r\n");
        var r = await Send(milter, "192.0.2.7", "mail.sid.test", "jörg@bücher.sid.test", message);
        var ar = AuthResults(r, milter);
        Assert.Contains("spf=pass", ar);
        Assert.Contains("sender-id=fail", ar);
    }

    [Fact]
    public async Task RejectModeTwoRejectsAnUnauthorizedClientWith550()
    {
        using var milter = SenderIdMilter.Start(dns, new JsonObject { ["RejectMode"] = 2 });
        var r = await Send(milter, "203.0.113.9", "mail.sid.test", "alice@ok.sid.test", Message("alice@ok.sid.test"));
        Assert.True(r.Verdict.IsReject, $"{r.Verdict}\n{milter.Output}");
        Assert.StartsWith("550 5.7.1 ", r.Verdict.Text);
        Assert.Contains("alice@ok.sid.test", r.Verdict.Text);
    }

    [Fact]
    public async Task NullSenderIsCheckedAgainstHelo()
    {
        using var milter = SenderIdMilter.Start(dns);
        var r = await Send(milter, "192.0.2.25", "helo.sid.test", "<>", Message("MAILER-DAEMON@helo.sid.test"));
        Assert.Contains("spf=pass smtp.helo=helo.sid.test", AuthResults(r, milter));
    }

    [Fact]
    public async Task ServFailGivesTempFail451()
    {
        using var milter = SenderIdMilter.Start(dns);
        var r = await Send(milter, "192.0.2.7", "mail.sid.test", "alice@broken.sid.test", Message("alice@broken.sid.test"));
        Assert.True(r.Verdict.IsTempFail, $"{r.Verdict}\n{milter.Output}");
        Assert.StartsWith("451 4.7.0", r.Verdict.Text);
    }

    [Fact]
    public async Task DnsTimeoutWithSoftFailOptionDelivers()
    {
        using var milter = SenderIdMilter.Start(dns, new JsonObject { ["SoftFailDnsErrors"] = true, ["RejectMode"] = 2 });
        var r = await Send(milter, "192.0.2.7", "mail.sid.test", "alice@x.slow.sid.test", Message("alice@x.slow.sid.test"));
        Assert.False(r.Verdict.IsReject || r.Verdict.IsTempFail, $"{r.Verdict}\n{milter.Output}");
        Assert.Contains("spf=softfail", AuthResults(r, milter));
    }

    [Fact]
    public async Task AuthenticatedClientIsAcceptedAndNoted()
    {
        using var milter = SenderIdMilter.Start(dns, new JsonObject { ["RejectMode"] = 4 });
        var r = await Send(milter, "203.0.113.9", "laptop", "alice@deny.sid.test", Message("alice@deny.sid.test"),
            new Dictionary<string, string> { ["{auth_authen}"] = "alice", ["{auth_type}"] = "PLAIN" });
        Assert.False(r.Verdict.IsReject || r.Verdict.IsTempFail, $"{r.Verdict}\n{milter.Output}");
        var ar = AuthResults(r, milter);
        Assert.Contains("spf=fail", ar);
        Assert.Contains("auth=pass smtp.auth=alice", ar);
    }

    [Fact]
    public async Task ReceivedSpfHeaderWhenConfigured()
    {
        using var milter = SenderIdMilter.Start(dns, new JsonObject { ["AddReceivedSpf"] = true, ["HostName"] = "mx.sid.test" });
        var r = await Send(milter, "192.0.2.7", "mail.sid.test", "carol@soft.sid.test", Message("carol@soft.sid.test"));
        var received = Assert.Single(r.EndOfMessage!.AddedHeaders, m => m.Name == "Received-SPF");
        Assert.StartsWith(" softfail (mx.sid.test: domain of transitioning carol@soft.sid.test", received.Value);
        Assert.Contains("identity=mailfrom;", received.Value);
    }
}
