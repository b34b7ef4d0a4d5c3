using System.Net;
using System.Text;
using Milters.Abstractions;
using Milters.Testing.Milter;

namespace Milters.Host.Tests.Milter;

/// <summary>
/// <see cref="PluginNeeds.ObserveOnlyHeaders"/> over the real protocol: the test client waits for no reply
/// after SMFIC_HEADER when SMFIP_NR_HDR was negotiated, so a host that answered anyway would desynchronise
/// the next reply the client reads.
/// </summary>
public class ObserveOnlyHeadersSessionTests
{
    private static readonly byte[] Message = Encoding.ASCII.GetBytes(
        "From: Alice <a@example.com>\r\nSender: b@example.com\r\nTo: c@example.org\r\nSubject: hi\r\n\r\nbody\r\n");

    [Fact]
    public async Task SenderId_like_plugin_gets_headers_without_replies_and_answers_its_other_stages()
    {
        var plugin = new ScriptedPlugin("SenderIdLike", PluginNeeds.Connect | PluginNeeds.Helo | PluginNeeds.MailFrom
            | PluginNeeds.Headers | PluginNeeds.EndOfHeaders | PluginNeeds.AddHeaders | PluginNeeds.ObserveOnlyHeaders);
        var headers = new List<string>();
        plugin.OnHeader = (_, h) => { lock (headers) headers.Add(h.Name); return Verdict.Continue; };
        plugin.OnEndOfMessage = c => { c.Edits.AddHeader("X-Checked", $" {c.Headers.Count}"); return Verdict.Continue; };

        await using var server = MilterTestServer.StartTcp(MilterTestServer.Plugin(plugin));
        await using var client = await server.ConnectAsync();
        var n = await client.NegotiateAsync(MtaOffer.Postfix);
        Assert.True(n.Has(0x80));                        // SMFIP_NR_HDR
        Assert.False(n.Has(0x1000));                     // not SMFIP_NR_CONN
        Assert.False(n.Has(0x4000));                     // not SMFIP_NR_MAIL
        Assert.False(n.Has(0x40000));                    // not SMFIP_NR_EOH

        Assert.True((await client.ConnectAsync("client.example.net", IPAddress.Parse("192.0.2.10"), 40000)).IsContinue);
        Assert.True((await client.HeloAsync("client.example.net")).IsContinue);
        var r = await client.SendMessageAsync("b@example.com", ["c@example.org"], Message);

        var headerSteps = r.Steps.Where(s => s.Stage == "header").ToList();
        Assert.Equal(4, headerSteps.Count);
        Assert.All(headerSteps, s => Assert.Same(MilterReply.NoReply, s.Reply));
        Assert.True(r.Steps.Single(s => s.Stage == "mail").Reply.IsContinue);
        Assert.True(r.Steps.Single(s => s.Stage == "eoh").Reply.IsContinue);

        var eom = r.EndOfMessage!;
        Assert.True(eom.Verdict.IsContinue, eom.Verdict.ToString());
        var added = Assert.Single(eom.Modifications);
        Assert.Equal("X-Checked", added.Name);
        Assert.Equal(" 4", added.Value);
        Assert.Equal(["From", "Sender", "To", "Subject"], headers);

        // The connection is still in step: a second message goes through the same way.
        var r2 = await client.SendMessageAsync("b@example.com", ["c@example.org"], Message);
        Assert.True(r2.Verdict.IsContinue);
        Assert.Equal(" 4", r2.EndOfMessage!.Modifications.Single().Value);
    }
}
