using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.AuthResults;

/// <summary>
/// Whole messages through the real milter protocol to the built host (its FilterChain, session and codec) with the
/// AuthResults plugin: the test client plays Postfix or Sendmail, so the SMTP client address can be anything.
/// </summary>
public sealed class AuthResultsProtocolTests
{
    private static async Task<MessageResult> Send(MilterProcess milter, MtaOffer offer, string ip, string message)
    {
        await using var client = await MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, milter.Socket.Port!.Value));
        await client.NegotiateAsync(offer);
        await client.ConnectAsync("relay.example.net", IPAddress.Parse(ip));
        await client.HeloAsync("relay.example.net");
        var result = await client.SendMessageAsync("alice@example.com", ["bob@example.org"], Encoding.UTF8.GetBytes(message));
        await client.QuitAsync();
        Assert.True(result.EndOfMessage is not null, $"no end of message reached\n{milter.Output}");
        return result;
    }

    public static TheoryData<int, string> Cases()
    {
        var data = new TheoryData<int, string>();
        foreach (var n in new[] { 1, 2, 5 })
            foreach (var mta in new[] { "Postfix", "Sendmail" })
                data.Add(n, mta);
        return data;
    }

    private static MtaOffer Offer(string name) => name == "Postfix" ? MtaOffer.Postfix : MtaOffer.Sendmail;

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Forged_headers_are_deleted_by_occurrence_and_ours_is_inserted_at_the_top(int forged, string mta)
    {
        using var milter = AuthResultsMilter.Start();
        var message = AuthResultsMilter.Message(forged, "forged", out var occurrences);

        var eom = (await Send(milter, Offer(mta), "203.0.113.9", message)).EndOfMessage!;

        var deletions = eom.Modifications.Where(m => m.Code == 'm').ToList();
        Assert.All(deletions, d => Assert.Equal("", d.Value));
        Assert.All(deletions, d => Assert.Equal("authentication-results", d.Name, ignoreCase: true));
        Assert.Equal(occurrences.OrderDescending(), deletions.Select(d => d.Index));

        var ours = Assert.Single(eom.AddedHeaders);
        Assert.Equal('i', ours.Code);
        Assert.Equal(0, ours.Index);
        Assert.Equal("Authentication-Results", ours.Name);
        Assert.Equal($"{AuthResultsMilter.AuthservId}; none", ours.Value!.Trim());
        Assert.True(eom.Verdict.IsContinue || eom.Verdict.IsAccept, eom.Verdict.ToString());
    }

    [Fact]
    public async Task Mail_from_an_internal_host_keeps_its_headers()
    {
        using var milter = AuthResultsMilter.Start();
        var eom = (await Send(milter, MtaOffer.Postfix, "127.0.0.1", AuthResultsMilter.Message(2, "internal", out _))).EndOfMessage!;
        Assert.DoesNotContain(eom.Modifications, m => m.Code == 'm');
        Assert.Single(eom.AddedHeaders);
    }

    [Fact]
    public async Task Remove_All_deletes_every_authentication_results_header()
    {
        using var milter = AuthResultsMilter.Start(new JsonObject { ["Remove"] = "All" });
        var eom = (await Send(milter, MtaOffer.Postfix, "203.0.113.9", AuthResultsMilter.Message(2, "all", out _))).EndOfMessage!;
        Assert.Equal([5, 4, 3, 2, 1], eom.Modifications.Where(m => m.Code == 'm').Select(m => m.Index));
    }

    [Fact]
    public async Task Placement_Bottom_adds_instead_of_inserting()
    {
        using var milter = AuthResultsMilter.Start(new JsonObject { ["Placement"] = "Bottom" });
        var eom = (await Send(milter, MtaOffer.Postfix, "203.0.113.9", AuthResultsMilter.Message(1, "bottom", out _))).EndOfMessage!;
        Assert.Equal('h', Assert.Single(eom.AddedHeaders).Code);
    }

    [Fact]
    public async Task The_authserv_id_defaults_to_the_j_macro()
    {
        using var milter = AuthResultsMilter.Start(new JsonObject { ["AuthservId"] = "" });
        await using var client = await MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, milter.Socket.Port!.Value));
        await client.NegotiateAsync(MtaOffer.Postfix);
        client.StageMacros['C'] = new() { ["j"] = "mta.j-macro.test" };
        await client.ConnectAsync("relay.example.net", IPAddress.Parse("203.0.113.9"));
        var message = "Authentication-Results: MTA.J-MACRO.TEST; dkim=pass\r\nFrom: a@example.com\r\nSubject: j\r\n\r\nhi\r\n";
        var eom = (await client.SendMessageAsync("a@example.com", ["b@example.org"], Encoding.UTF8.GetBytes(message))).EndOfMessage!;
        await client.QuitAsync();
        Assert.Equal("mta.j-macro.test; none", Assert.Single(eom.AddedHeaders).Value!.Trim());
        Assert.Equal(1, Assert.Single(eom.Modifications, m => m.Code == 'm').Index);
    }
}
