using System.Net;
using System.Net.Sockets;
using System.Text;
using Milters.Testing.Milter;

namespace Milters.Integration.Tests.Faults;

/// <summary>
/// The MTA goes away in the middle of a message: between headers, inside a header frame, in the body, just
/// before end of message, and with a reset instead of a close. Each is logged for its queue id; afterwards the
/// metrics report no open connection (nothing leaked) and the next message is signed and answered as usual.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ClientDropTests
{
    private static async Task StartMessageAsync(MilterClient client)
    {
        // Continue, or not sent / not answered where the filter negotiated the step away (SMFIP_NO*, SMFIP_NR_*).
        foreach (var reply in new[] { await client.MailFromAsync("<alice@example.com>"), await client.RcptAsync("<bob@example.org>") })
            Assert.False(reply.IsReject || reply.IsTempFail || reply.IsAccept || reply.IsDiscard, reply.ToString());
        await client.DataAsync();
        await client.HeaderAsync("From", " alice@example.com");
        await client.HeaderAsync("Subject", " dropped");
    }


    [Fact]
    public async Task Dropped_connections_leave_nothing_behind_and_the_next_message_is_served()
    {
        using var chain = ChainMilter.Start();

        // 1. between two headers: a clean close
        await using (var client = await chain.ReadyAsync("DROPHDR1", submission: true))
            await StartMessageAsync(client);

        // 2. inside a header frame: the length says 40 bytes, 10 arrive
        await using (var client = await chain.ReadyAsync("DROPHDR2", submission: true))
        {
            await StartMessageAsync(client);
            await client.SendRawAsync([0, 0, 0, 40, (byte)'L', .. Encoding.ASCII.GetBytes("To\0 bob@e")]);
        }

        // 3. in the body, after one chunk
        await using (var client = await chain.ReadyAsync("DROPBODY", submission: true))
        {
            await StartMessageAsync(client);
            await client.EndOfHeadersAsync();
            await client.BodyAsync(Encoding.ASCII.GetBytes(new string('x', 70000) + "\r\n"));
        }

        // 4. the whole body sent, end of message never comes
        await using (var client = await chain.ReadyAsync("DROPEOM1", submission: true))
        {
            await StartMessageAsync(client);
            await client.EndOfHeadersAsync();
            await client.BodyAsync("hello\r\n"u8.ToArray());
        }

        // 5. a reset (SO_LINGER 0) in the headers instead of an orderly close. The client reads every reply the
        // negotiated steps call for, so the milter has provably taken the message's start before the reset.
        using (var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true })
        {
            await raw.ConnectAsync(new IPEndPoint(IPAddress.Loopback, chain.Milter.Socket.Port!.Value));
            var client = new MilterClient(new NetworkStream(raw, ownsSocket: false)) { ReplyTimeout = TimeSpan.FromSeconds(60) };
            client.StageMacros['C'] = new Dictionary<string, string> { ["{daemon_name}"] = "MSA", ["j"] = ChainMilter.AuthservId };
            client.StageMacros['M'] = new Dictionary<string, string> { ["i"] = "DROPRST1" };
            await client.NegotiateAsync(MtaOffer.Postfix);
            await client.ConnectAsync("client.fault.test", IPAddress.Parse("192.0.2.7"));
            await client.HeloAsync("client.fault.test");
            await StartMessageAsync(client);
            raw.LingerState = new LingerOption(true, 0);
            raw.Close();
        }

        var summary = chain.WaitForNoOpenConnection(TimeSpan.FromSeconds(60));
        var output = chain.Milter.Output;
        foreach (var id in new[] { "DROPHDR1", "DROPBODY", "DROPEOM1" })
            Assert.Contains($"the MTA closed the connection in the middle of message {id}", output);
        Assert.Contains("connection closed inside a frame", output);
        // A reset is "lost" rather than "closed", but it names its message all the same.
        Assert.Matches("(connection lost|the MTA closed the connection) in the middle of message DROPRST1", output);
        Assert.Contains("errors: plugins 0", summary);

        // The next message, on a new connection, is signed and verified as ever.
        var next = await chain.SendAsync("AFTERDROP", "<alice@example.com>", ChainMilter.Message("alice@example.com"), submission: true);
        Assert.True(next.Verdict.IsContinue || next.Verdict.IsAccept, $"{next.Verdict}\n{chain.Milter.Output}");
        Assert.Contains(next.EndOfMessage!.AddedHeaders, h => h.Name == "DomainKey-Signature" && h.Value!.Contains("d=example.com"));
        chain.AuthResults(next);
        Assert.DoesNotContain("internal error", chain.Milter.Output);
        Assert.DoesNotContain("Unhandled exception", chain.Milter.Output);
        Assert.False(chain.Milter.HasExited);
    }
}
