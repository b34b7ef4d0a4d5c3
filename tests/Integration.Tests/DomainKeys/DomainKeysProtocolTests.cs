using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.DomainKeys;

/// <summary>
/// Whole messages through the real milter protocol to the built host with DomainKeys and AuthResults: the test
/// client plays Postfix or Sendmail, signs from an internal address, then brings the signed message back in
/// from outside; Mail::DKIM checks the signature independently.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DomainKeysProtocolTests
{
    private static string Message(string subject) =>
        "Received: from submit.example.com by mta.example.com; Sun, 29 Nov 2026 10:00:00 +0000\r\n" +
        "From: Alice <alice@example.com>\r\n" +
        "To: Bob <bob@example.org>\r\n" +
        $"Subject: {subject}\r\n" +
        "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\n" +
        $"Message-ID: <{Guid.NewGuid():N}@example.com>\r\n" +
        "\r\n" +
        "Hello Bob,\r\n\r\nthis is  signed.\r\n\r\n";

    private static MtaOffer Offer(string name) => name == "Postfix" ? MtaOffer.Postfix : MtaOffer.Sendmail;

    [Theory]
    [InlineData("Postfix")]
    [InlineData("Sendmail")]
    public async Task Signs_from_an_internal_host_and_the_signed_message_verifies_back_in(string mta)
    {
        using var dk = DomainKeysMilter.Start();
        var message = Message("signed " + mta);

        var signing = await dk.SendAsync(Offer(mta), "127.0.0.1", message);
        var sig = Assert.Single(signing.AddedHeaders, h => h.Name == "DomainKey-Signature");
        Assert.Equal('i', sig.Code);
        Assert.StartsWith("a=rsa-sha1; q=dns; c=nofws; d=example.com; s=dkit;", sig.Value!.TrimStart()); // nofws: the default (ADMIN.md)
        Assert.True(signing.Verdict.IsContinue || signing.Verdict.IsAccept, signing.Verdict.ToString());
        // Signing verifies nothing: AuthResults reports none.
        Assert.Contains(signing.AddedHeaders, h => h.Name == "Authentication-Results" && h.Value!.Trim() == $"{DomainKeysMilter.AuthservId}; none");

        var signed = DomainKeysMilter.Apply(message, signing);
        var (perlPass, perlOutput) = dk.PerlVerify(Encoding.UTF8.GetBytes(signed));
        Assert.True(perlPass, perlOutput + "\n" + signed);

        var verifying = await dk.SendAsync(Offer(mta), "203.0.113.9", signed);
        Assert.DoesNotContain(verifying.AddedHeaders, h => h.Name == "DomainKey-Signature");
        var ar = Assert.Single(verifying.AddedHeaders, h => h.Name == "Authentication-Results").Value!;
        Assert.Contains("domainkeys=pass", ar);
        Assert.Contains("header.d=example.com", ar);
        Assert.Contains("header.from=alice@example.com", ar);
        Assert.Contains(dk.Dns.QueriesFor("dkit._domainkey.example.com"), q => q.Contains("TXT"));
    }

    [Fact]
    public async Task A_changed_message_fails_and_the_bad_signature_action_applies()
    {
        using var dk = DomainKeysMilter.Start(new JsonObject { ["Actions"] = new JsonObject { ["BadSignature"] = "Reject" } });
        var message = Message("tampered");
        var signed = DomainKeysMilter.Apply(message, await dk.SendAsync(MtaOffer.Postfix, "127.0.0.1", message));
        var tampered = signed.Replace("this is  signed.", "this is  changed.");
        Assert.False(dk.PerlVerify(Encoding.UTF8.GetBytes(tampered)).Pass);

        await using var client = await MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, dk.Milter.Socket.Port!.Value));
        await client.NegotiateAsync(MtaOffer.Postfix);
        await client.ConnectAsync("relay.example.net", IPAddress.Parse("203.0.113.9"));
        var result = await client.SendMessageAsync("alice@example.com", ["bob@example.org"], Encoding.UTF8.GetBytes(tampered));
        Assert.True(result.Verdict.IsReject, $"{result.Verdict}\n{dk.Milter.Output}");
        Assert.StartsWith("550", result.Verdict.Text);
    }

    /// <summary>
    /// Sendmail's SMTP on standard input (`sendmail -bs`, `-Am -bs`) reaches the milter as a client of unknown family,
    /// "localhost", without an address: local mail, signed as dk-filter signed it (it was left unsigned, and logged
    /// as an external host sending as our domain).
    /// </summary>
    [Fact]
    public async Task A_client_without_an_address_is_this_host_and_its_mail_is_signed()
    {
        using var dk = DomainKeysMilter.Start();
        await using var client = await MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, dk.Milter.Socket.Port!.Value));
        await client.NegotiateAsync(MtaOffer.Sendmail);
        await client.ConnectUnknownAsync("localhost");
        await client.HeloAsync("localhost");
        var result = await client.SendMessageAsync("alice@example.com", ["bob@example.org"], Encoding.UTF8.GetBytes(Message("stdin")));
        Assert.True(result.EndOfMessage is not null, $"{result.Verdict}\n{dk.Milter.Output}");
        Assert.Contains(result.EndOfMessage!.AddedHeaders, h => h.Name == "DomainKey-Signature" && h.Value!.Contains("d=example.com"));
        Assert.DoesNotContain("attempted to send as", dk.Milter.Output);
    }

    [Fact]
    public async Task Only_the_signing_daemon_signs_when_no_host_is_internal()
    {
        // The seed: signs only mail submitted on the MSA port ({daemon_name} MSA); swaks and Postfix are local.
        using var dk = DomainKeysMilter.Start(new JsonObject { ["InternalHosts"] = new JsonArray("192.0.2.255/32"), ["SigningDaemons"] = new JsonArray("MSA") });
        var msa = await dk.SendAsync(MtaOffer.Postfix, "127.0.0.1", Message("msa"), new() { ["{daemon_name}"] = "MSA" });
        Assert.Contains(msa.AddedHeaders, h => h.Name == "DomainKey-Signature");
        var mta = await dk.SendAsync(MtaOffer.Postfix, "127.0.0.1", Message("mta"), new() { ["{daemon_name}"] = "MTA" });
        Assert.DoesNotContain(mta.AddedHeaders, h => h.Name == "DomainKey-Signature");
        Assert.Contains(mta.AddedHeaders, h => h.Name == "Authentication-Results" && h.Value!.Contains("domainkeys=none"));
    }

    [Fact]
    public async Task An_unpublished_key_is_a_permanent_error_accepted_by_default()
    {
        using var dk = DomainKeysMilter.Start();
        var message = "DomainKey-Signature: a=rsa-sha1; q=dns; c=simple; d=slow.example; s=x; b=AAAA\r\n" +
                      "From: a@slow.example\r\nSubject: dns\r\n\r\nbody\r\n";
        await using var client = await MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, dk.Milter.Socket.Port!.Value));
        await client.NegotiateAsync(MtaOffer.Postfix);
        await client.ConnectAsync("relay.example.net", IPAddress.Parse("203.0.113.9"));
        // The zone does not serve slow.example at all: NXDOMAIN is "no key", a permanent error, accepted by default.
        var result = await client.SendMessageAsync("a@slow.example", ["b@example.org"], Encoding.UTF8.GetBytes(message));
        Assert.True(result.Verdict.IsContinue || result.Verdict.IsAccept, result.Verdict.ToString());
        var ar = Assert.Single(result.EndOfMessage!.AddedHeaders, h => h.Name == "Authentication-Results").Value!;
        Assert.Contains("domainkeys=permerror", ar);
    }
}
