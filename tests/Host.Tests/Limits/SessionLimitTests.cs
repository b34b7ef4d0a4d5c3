using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.Host.Milter;
using Milters.Host.Tests.Milter;
using Milters.Testing.Milter;

namespace Milters.Host.Tests.Limits;

/// <summary>
/// Milter:MaxHeaders, MaxHeaderLength, MaxMacros, MaxMacroBytes and Listen:MaxConnections through the real
/// connection handler on a loopback socket: the message that hits a limit is tempfailed with 451 4.7.0 and a
/// text naming the limit, one log line says which key, the connection (and the next message) go on.
/// </summary>
public sealed class SessionLimitTests
{
    private static ScriptedPlugin Recorder() =>
        new("Recorder", PluginNeeds.MailFrom | PluginNeeds.Recipients | PluginNeeds.Headers | PluginNeeds.EndOfHeaders | PluginNeeds.Body | PluginNeeds.AddHeaders)
        {
            OnEndOfMessage = c =>
            {
                c.Edits.AddHeader("X-Seen", $" {c.Headers.Count} headers");
                return Verdict.Continue;
            },
        };

    private static byte[] Message(int headers, int valueLength = 10)
    {
        var text = new StringBuilder("From: a@example.com\r\n");
        for (int i = 1; i < headers; i++) text.Append("X-H").Append(i).Append(": ").Append('v', valueLength).Append("\r\n");
        text.Append("\r\nbody\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static int Limit(LogCapture logs, string key) =>
        logs.AtLeast(LogLevel.Warning).Count(l => l.Contains($"limit {key} hit", StringComparison.Ordinal));

    [Theory]
    [InlineData("Postfix")]
    [InlineData("Sendmail")]
    public async Task Too_many_headers_tempfail_the_message_once_logged_and_the_next_message_is_served(string mta)
    {
        var offer = mta == "Postfix" ? MtaOffer.Postfix : MtaOffer.Sendmail;
        await using var server = MilterTestServer.StartTcp(new Dictionary<string, string?> { ["Milter:MaxHeaders"] = "20" },
            MilterTestServer.Plugin(Recorder()));
        await using var client = await server.ReadyClientAsync(offer);

        var over = await client.SendMessageAsync("<a@example.com>", ["<b@example.org>"], Message(headers: 50));
        Assert.True(over.Verdict.IsTempFail, over.Verdict.ToString());
        Assert.StartsWith("451 4.7.0", over.Verdict.Text, StringComparison.Ordinal);
        Assert.Contains("more than 20 headers", over.Verdict.Text, StringComparison.Ordinal);
        Assert.Equal(1, Limit(server.Logs, "Milter:MaxHeaders"));

        await client.AbortAsync();
        var fine = await client.SendMessageAsync("<a@example.com>", ["<b@example.org>"], Message(headers: 20));
        Assert.True(fine.Verdict.IsContinue || fine.Verdict.IsAccept, fine.Verdict.ToString());
        Assert.Contains(fine.EndOfMessage!.AddedHeaders, h => h.Name == "X-Seen" && h.Value == " 20 headers");
        Assert.Equal(1, Limit(server.Logs, "Milter:MaxHeaders"));
    }

    /// <summary>
    /// With SMFIP_NR_RCPT (a plugin that only observes recipients) the MTA hears no answer and keeps every recipient:
    /// the limit only stops the list, and the message goes on — it was tempfailed at the next reply, for ever.
    /// </summary>
    [Fact]
    public async Task Recipients_over_MaxRecipients_without_replies_leave_the_message_alone()
    {
        var kept = -1;
        var plugin = new ScriptedPlugin("Observer", PluginNeeds.MailFrom | PluginNeeds.Recipients | PluginNeeds.ObserveOnly | PluginNeeds.AddHeaders)
        {
            OnEndOfMessage = c =>
            {
                kept = c.Envelope.Recipients.Count;
                c.Edits.AddHeader("X-Seen", $" {kept} recipients");
                return Verdict.Continue;
            },
        };
        await using var server = MilterTestServer.StartTcp(new Dictionary<string, string?> { ["Milter:MaxRecipients"] = "5" },
            MilterTestServer.Plugin(plugin));
        await using var client = await server.ReadyClientAsync(MtaOffer.Postfix);

        var result = await client.SendMessageAsync("<a@example.com>", Enumerable.Range(1, 8).Select(i => $"<r{i}@example.org>").ToList(), Message(headers: 3));
        Assert.All(result.Steps.Where(s => s.Stage == "rcpt"), s => Assert.Equal(MilterReply.NoReply, s.Reply));
        Assert.True(result.Verdict.IsContinue || result.Verdict.IsAccept, result.Verdict.ToString());
        Assert.Contains(result.EndOfMessage!.AddedHeaders, h => h.Name == "X-Seen" && h.Value == " 5 recipients");
    }

    /// <summary>A recipient (or MAIL, HELO, CONNECT) longer than Milter:MaxCommandLength is refused and not kept.</summary>
    [Fact]
    public async Task A_recipient_over_MaxCommandLength_is_refused_and_not_kept()
    {
        var kept = -1;
        var plugin = Recorder();
        plugin.OnEndOfMessage = c =>
        {
            kept = c.Envelope.Recipients.Count;
            return Verdict.Continue;
        };
        await using var server = MilterTestServer.StartTcp(new Dictionary<string, string?> { ["Milter:MaxCommandLength"] = "600" },
            MilterTestServer.Plugin(plugin));
        await using var client = await server.ReadyClientAsync(MtaOffer.Sendmail);

        var result = await client.SendMessageAsync("<a@example.com>", ["<b@example.org>", $"<{new string('x', 700)}@example.org>", "<c@example.org>"], Message(headers: 3));
        var rcpts = result.Steps.Where(s => s.Stage == "rcpt").Select(s => s.Reply).ToList();
        Assert.True(rcpts[1].IsTempFail, rcpts[1].ToString());
        Assert.Contains("RCPT of more than 600 bytes", rcpts[1].Text, StringComparison.Ordinal);
        Assert.NotNull(result.EndOfMessage);
        Assert.Equal(2, kept);
        Assert.Equal(1, Limit(server.Logs, "Milter:MaxCommandLength"));

        var mail = await client.SendMessageAsync($"<{new string('y', 700)}@example.com>", ["<b@example.org>"], Message(headers: 3));
        Assert.True(mail.Verdict.IsTempFail, mail.Verdict.ToString());
    }

    /// <summary>
    /// Too many end-of-message macros for a message a plugin rejects anyway: the tempfail they earned belongs to that
    /// message and does not fall on the next one in the session (it did, at its MAIL).
    /// </summary>
    [Fact]
    public async Task A_macro_limit_hit_by_one_message_is_not_carried_to_the_next()
    {
        var plugin = Recorder();
        plugin.OnEndOfMessage = c => c.Envelope.MailFrom!.Contains("reject") ? Verdict.RejectWith("550", "5.7.1", "no") : Verdict.Continue;
        await using var server = MilterTestServer.StartTcp(new Dictionary<string, string?> { ["Milter:MaxMacros"] = "10" },
            MilterTestServer.Plugin(plugin));
        await using var client = await server.ReadyClientAsync(MtaOffer.Sendmail);
        client.StageMacros['E'] = Enumerable.Range(0, 20).ToDictionary(i => $"{{e{i}}}", i => "x");

        var first = await client.SendMessageAsync("<reject@example.com>", ["<b@example.org>"], Message(headers: 3));
        Assert.True(first.Verdict.IsReject, first.Verdict.ToString());

        client.StageMacros.Remove('E');
        var second = await client.SendMessageAsync("<a@example.com>", ["<b@example.org>"], Message(headers: 3));
        Assert.True(second.Verdict.IsContinue || second.Verdict.IsAccept, second.Verdict.ToString());
        Assert.All(second.Steps, s => Assert.False(s.Reply.IsTempFail, s.Reply.ToString()));
    }

    /// <summary>
    /// MAIL negotiated without reply (its plugin only observes): the tempfail earned by too many MAIL-stage macros is answered at the
    /// first RCPT, and there it refuses the message, not only that recipient (a code review's find).
    /// </summary>
    [Fact]
    public async Task A_mail_stage_macro_limit_answered_at_RCPT_ends_the_message()
    {
        var observer = new ScriptedPlugin("MailObserver", PluginNeeds.MailFrom | PluginNeeds.ObserveOnly);
        var plugin = new ScriptedPlugin("Rcpt", PluginNeeds.Recipients | PluginNeeds.AddHeaders);
        await using var server = MilterTestServer.StartTcp(new Dictionary<string, string?> { ["Milter:MaxMacros"] = "10" },
            MilterTestServer.Plugin(observer), MilterTestServer.Plugin(plugin));
        await using var client = await server.ReadyClientAsync(MtaOffer.Postfix);
        client.StageMacros['M'] = Enumerable.Range(0, 11).ToDictionary(i => $"{{m{i}}}", i => "x");

        Assert.Equal(MilterReply.NoReply, await client.MailFromAsync("<a@example.com>"));
        var rcpt = await client.RcptAsync("<b@example.org>");
        Assert.True(rcpt.IsTempFail, rcpt.ToString());
        Assert.Contains("more than 10 macros", rcpt.Text, StringComparison.Ordinal);
        // The message is over for the filter (its plugins were told so) before the MTA says anything more.
        Assert.Contains("abort", plugin.Events);
        await client.AbortAsync();
        client.StageMacros['M'] = new Dictionary<string, string> { ["{mail_addr}"] = "a@example.com" };
        var next = await client.SendMessageAsync("<a@example.com>", ["<b@example.org>"], Message(headers: 3));
        Assert.False(next.Verdict.IsTempFail, next.Verdict.ToString());
    }

    /// <summary>
    /// One field over Milter:MaxHeaderLength, or all of them together over MaxHeaderBytes (1,000 fields of 100 KB held
    /// 300 MB per message before that limit): the message is tempfailed, one log line; a smaller one is served.
    /// </summary>
    [Theory]
    [InlineData("Milter:MaxHeaderLength", 3, 3000, "more than 2000", 3, 1500)]
    [InlineData("Milter:MaxHeaderBytes", 10, 1000, "more than 5000 bytes of headers", 4, 1000)]
    public async Task Header_bytes_over_a_limit_tempfail_the_message(string key, int headers, int valueLength, string text, int fineHeaders, int fineLength)
    {
        await using var server = MilterTestServer.StartTcp(
            new Dictionary<string, string?> { ["Milter:MaxHeaderLength"] = "2000", ["Milter:MaxHeaderBytes"] = "5000" },
            MilterTestServer.Plugin(Recorder()));
        await using var client = await server.ReadyClientAsync(MtaOffer.Postfix);

        var over = await client.SendMessageAsync("<a@example.com>", ["<b@example.org>"], Message(headers, valueLength));
        Assert.True(over.Verdict.IsTempFail, over.Verdict.ToString());
        Assert.Contains(text, over.Verdict.Text, StringComparison.Ordinal);
        Assert.Equal(1, Limit(server.Logs, key));

        await client.AbortAsync();
        var fine = await client.SendMessageAsync("<a@example.com>", ["<b@example.org>"], Message(fineHeaders, fineLength));
        Assert.False(fine.Verdict.IsTempFail, fine.Verdict.ToString());
    }

    [Fact]
    public async Task Too_many_macros_for_a_stage_tempfail_the_message_at_its_next_reply()
    {
        await using var server = MilterTestServer.StartTcp(new Dictionary<string, string?> { ["Milter:MaxMacros"] = "10" },
            MilterTestServer.Plugin(Recorder()));
        await using var client = await server.ReadyClientAsync(MtaOffer.Postfix);
        client.StageMacros['M'] = Enumerable.Range(0, 11).ToDictionary(i => $"{{m{i}}}", i => "x");

        var over = await client.SendMessageAsync("<a@example.com>", ["<b@example.org>"], Message(headers: 3));
        Assert.True(over.Verdict.IsTempFail, over.Verdict.ToString());
        Assert.Contains("more than 10 macros", over.Verdict.Text, StringComparison.Ordinal);
        Assert.Equal(1, Limit(server.Logs, "Milter:MaxMacros"));

        client.StageMacros['M'] = new Dictionary<string, string> { ["{mail_addr}"] = "a@example.com" };
        var fine = await client.SendMessageAsync("<a@example.com>", ["<b@example.org>"], Message(headers: 3));
        Assert.False(fine.Verdict.IsTempFail, fine.Verdict.ToString());
    }

    [Fact]
    public async Task Macro_bytes_over_MaxMacroBytes_tempfail_and_are_not_kept()
    {
        string? seen = "unset";
        var plugin = Recorder();
        plugin.OnMail = c =>
        {
            seen = c.Macros.Get("big");
            return Verdict.Continue;
        };
        await using var server = MilterTestServer.StartTcp(new Dictionary<string, string?> { ["Milter:MaxMacroBytes"] = "4096" },
            MilterTestServer.Plugin(plugin));
        await using var client = await server.ReadyClientAsync(MtaOffer.Postfix);
        client.StageMacros['M'] = new Dictionary<string, string> { ["{big}"] = new string('x', 5000) };

        var over = await client.SendMessageAsync("<a@example.com>", ["<b@example.org>"], Message(headers: 3));
        Assert.True(over.Verdict.IsTempFail, over.Verdict.ToString());
        Assert.Contains("bytes of macros", over.Verdict.Text, StringComparison.Ordinal);
        Assert.Null(seen);
        Assert.Equal(1, Limit(server.Logs, "Milter:MaxMacroBytes"));
    }

    [Fact]
    public async Task A_frame_over_MaxFrameSize_closes_that_connection_from_its_length_alone_and_others_go_on()
    {
        await using var server = MilterTestServer.StartTcp(new Dictionary<string, string?> { ["Milter:MaxFrameSize"] = "70000" },
            MilterTestServer.Plugin(Recorder()));
        await using var other = await server.ReadyClientAsync(MtaOffer.Postfix);
        await using (var client = await server.ReadyClientAsync(MtaOffer.Postfix))
        {
            // A header frame announcing 70,001 bytes: only the prefix is sent, nothing is allocated for it.
            await client.SendRawAsync([0, 1, 0x11, 0x71, (byte)'L']);
            Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(20)));
        }
        Assert.Contains(server.Logs.AtLeast(LogLevel.Warning), l => l.Contains("protocol error", StringComparison.Ordinal));
        var result = await other.SendMessageAsync("<a@example.com>", ["<b@example.org>"], Message(headers: 3));
        Assert.Contains(result.EndOfMessage!.AddedHeaders, h => h.Name == "X-Seen");
    }

    /// <summary>
    /// Recipients beyond Milter:MaxRecipients are answered 452 4.5.3 one by one (the client sends them later) and not
    /// kept; the message itself goes on. Before, 500,000 recipients on one connection took 2 GB (independent review).
    /// </summary>
    [Fact]
    public async Task Recipients_over_MaxRecipients_are_answered_452_and_not_kept()
    {
        var kept = -1;
        var plugin = Recorder();
        plugin.OnEndOfMessage = c =>
        {
            kept = c.Envelope.Recipients.Count;
            return Verdict.Continue;
        };
        await using var server = MilterTestServer.StartTcp(new Dictionary<string, string?> { ["Milter:MaxRecipients"] = "5" },
            MilterTestServer.Plugin(plugin));
        await using var client = await server.ReadyClientAsync(MtaOffer.Sendmail);

        var result = await client.SendMessageAsync("<a@example.com>", Enumerable.Range(1, 8).Select(i => $"<r{i}@example.org>").ToList(), Message(headers: 3));
        var rcpts = result.Steps.Where(s => s.Stage == "rcpt").Select(s => s.Reply).ToList();
        Assert.Equal(8, rcpts.Count);
        Assert.All(rcpts.Take(5), r => Assert.True(r.IsContinue, r.ToString()));
        Assert.All(rcpts.Skip(5), r => Assert.Equal("452 4.5.3 too many recipients", r.Text));
        Assert.NotNull(result.EndOfMessage);
        Assert.Equal(5, kept);
        Assert.Equal(1, Limit(server.Logs, "Milter:MaxRecipients"));

        // The next message starts counting again.
        result = await client.SendMessageAsync("<a@example.com>", ["<b@example.org>"], Message(headers: 3));
        Assert.Equal(1, kept);
    }

    /// <summary>
    /// Milter:ConnectionTimeout runs from the last whole command: a byte now and then into a frame that never ends
    /// does not keep the connection (it did, and 1,000 such connections filled Listen:MaxConnections).
    /// </summary>
    [Fact]
    public async Task A_frame_trickled_a_byte_at_a_time_does_not_outlive_the_connection_timeout()
    {
        await using var server = MilterTestServer.StartTcp(new Dictionary<string, string?> { ["Milter:ConnectionTimeout"] = "00:00:02" },
            MilterTestServer.Plugin(Recorder()));
        await using var client = await server.ReadyClientAsync(MtaOffer.Postfix);
        await client.SendRawAsync([0, 0, 0x10, 0x00, (byte)'L']);   // a 4 KB header frame, begun
        // A byte every 400 ms, far inside the 2 s timeout: a timer that restarted on every byte would never close the
        // connection, so closing while the bytes still come is the whole proof; how soon is up to the machine's load
        // (a fixed 6 s bound and 20 bytes were a timing assertion on a shared 2-core machine).
        var closed = false;
        for (var i = 0; i < 75 && !closed; i++)
        {
            try
            {
                await client.SendRawAsync([(byte)'x']);
                closed = await client.WaitForCloseAsync(TimeSpan.FromMilliseconds(400));
            }
            catch (IOException)
            {
                closed = true;
            }
        }
        Assert.True(closed, "still open after 75 trickled bytes (30 s)");
        Assert.Contains(server.Logs.AtLeast(LogLevel.Information), l => l.Contains("no command from the MTA within", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Milter:MaxCommandLength", "100")]
    [InlineData("Milter:MaxRecipients", "0")]
    [InlineData("Milter:MaxHeaderBytes", "1000")]
    [InlineData("Milter:MaxHeaders", "0")]
    [InlineData("Milter:MaxHeaderLength", "10")]
    [InlineData("Milter:MaxMacros", "0")]
    [InlineData("Milter:MaxMacroBytes", "100")]
    [InlineData("Milter:ConnectionTimeout", "30.00:00:00")] // past what .NET's timers take
    public void Unsafe_limit_values_are_refused_naming_the_key(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => MilterOptions.From(configuration));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_are_bounded()
    {
        var options = MilterOptions.From(new ConfigurationBuilder().Build());
        Assert.Equal(1000, options.MaxHeaders);
        Assert.Equal(102400, options.MaxHeaderLength);
        Assert.Equal(100, options.MaxMacros);
        Assert.Equal(65536, options.MaxMacroBytes);
        Assert.Equal(1048576, options.MaxHeaderBytes);
        Assert.Equal(1000, options.MaxRecipients);
        Assert.Equal(1000, Milters.Host.Hosting.ListenOptions.FromConfiguration(new ConfigurationBuilder().Build()).MaxConnections);
    }

    /// <summary>
    /// libmilter's 7210 s (mfapi.h): the MTA is silent while its client uploads DATA or its SMTP session idles, and
    /// a milter that gave up first made Postfix tempfail the message.
    /// </summary>
    [Fact]
    public void The_connection_timeout_is_libmilters()
    {
        var defaults = MilterOptions.From(new ConfigurationBuilder().Build());
        Assert.Equal(TimeSpan.FromSeconds(7210), defaults.ConnectionTimeout);
        // Plugins still at work when the MTA has gone are not waited for two hours.
        Assert.Equal(TimeSpan.FromMinutes(5), defaults.WaitAfterLostConnection);
        var installed = File.ReadAllText(Path.Combine(Milters.Testing.Peers.RepoPaths.Root, "install", "milters.json"));
        Assert.Contains("\"ConnectionTimeout\": \"02:00:10\"", installed);
    }
}
