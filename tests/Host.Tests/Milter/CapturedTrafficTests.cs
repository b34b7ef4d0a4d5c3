using Milters.Abstractions;

namespace Milters.Host.Tests.Milter;

/// <summary>
/// Real MTA traffic, captured on this project's peers (Postfix 3.7.11 and Sendmail 8.17.1.9 talking to the
/// host with an AuthResults-like plugin; swaks submitting one message with a folded header), replayed byte
/// for byte. Facts it pins: both MTAs fold header values with a bare LF, neither passes its own Received:
/// header, both send macros for stages negotiated away, Postfix sends ABORT twice after end of message.
/// </summary>
public class CapturedTrafficTests
{
    private static readonly string[] Postfix =
    [
        "4f00000006000001ff001fffff",
        "44436a006d74612e70656572732e74657374007b6461656d6f6e5f6e616d657d004d5441007b6461656d6f6e5f616464727d003132372e302e302e31007600506f737466697820332e372e3131005f006c6f63616c686f7374205b3132372e302e302e315d00",
        "436c6f63616c686f737400349c1e3132372e302e302e3100",
        "4448",
        "444d7b6d61696c5f616464727d0061406578616d706c652e636f6d007b6d61696c5f686f73747d006578616d706c652e636f6d007b6d61696c5f6d61696c65727d007669727475616c00",
        "44527b726370745f616464727d0062406578616d706c652e6f7267007b726370745f686f73747d006578616d706c652e6f7267007b726370745f6d61696c65727d007669727475616c00",
        "44546900443744433642323430434500",
        "444c6900443744433642323430434500",
        "4c44617465002053756e2c203239204e6f7620323032362031373a32303a3437202b3030303000",
        "444c6900443744433642323430434500",
        "4c546f002062406578616d706c652e6f726700",
        "444c6900443744433642323430434500",
        "4c46726f6d002061406578616d706c652e636f6d00",
        "444c6900443744433642323430434500",
        "4c5375626a6563740020666f6c64207465737400",
        "444c6900443744433642323430434500",
        "4c4d6573736167652d496400203c32303236313132393137323034372e30303330383940766d3e00",
        "444c6900443744433642323430434500",
        "4c582d4d61696c657200207377616b73207632303230313031342e30206a65746d6f72652e6f72672f6a6f686e2f636f64652f7377616b732f00",
        "444c6900443744433642323430434500",
        "4c582d466f6c64656400206f6e650a0974776f2020746872656500",
        "44456900443744433642323430434500",
        "45", "41", "41", "51",
    ];

    private static readonly string[] Sendmail =
    [
        "4f00000006000001ff001fffff",
        "44436a006d74612e70656572732e74657374005f006c6f63616c686f7374205b3132372e302e302e315d007b6461656d6f6e5f6e616d657d004d5441007b6461656d6f6e5f616464727d003132372e302e302e31007b6461656d6f6e5f706f72747d003132353235007b69665f6e616d657d006c6f63616c686f7374007b636c69656e745f616464727d003132372e302e302e31007b636c69656e745f706f72747d003336333638007b636c69656e745f6e616d657d006c6f63616c686f7374007b636c69656e745f7074727d006c6f63616c686f7374007b636c69656e745f7265736f6c76657d004f4b00",
        "436c6f63616c686f737400348e103132372e302e302e3100",
        "4448",
        "444d6900364154484c444356303035333731007b6d61696c5f6d61696c65727d00706565727366696c65007b6d61696c5f686f73747d006578616d706c652e636f6d2e007b6d61696c5f616464727d0061406578616d706c652e636f6d00",
        "44527b726370745f6d61696c65727d00706565727366696c65007b726370745f686f73747d006578616d706c652e6f72672e007b726370745f616464727d0062406578616d706c652e6f726700",
        "4c44617465002053756e2c203239204e6f7620323032362031373a32313a3133202b3030303000",
        "4c546f002062406578616d706c652e6f726700",
        "4c46726f6d002061406578616d706c652e636f6d00",
        "4c5375626a6563740020666f6c64207465737400",
        "4c4d6573736167652d496400203c32303236313132393137323131332e30303533323840766d3e00",
        "4c582d4d61696c657200207377616b73207632303230313031342e30206a65746d6f72652e6f72672f6a6f686e2f636f64652f7377616b732f00",
        "4c582d466f6c64656400206f6e650a0974776f2020746872656500",
        "44457b6d73675f69647d003c32303236313132393137323131332e30303533323840766d3e00",
        "45", "51",
    ];

    // libmilter's mfdef.h / mfapi.h values, written out here rather than taken from the host's own constants.
    private const uint SmfifAddHdrs = 0x01, SmfifChgHdrs = 0x10;
    private const uint SmfipNoHelo = 0x02, SmfipNoMail = 0x04, SmfipNoRcpt = 0x08, SmfipNoBody = 0x10, SmfipNoEoh = 0x40,
        SmfipNrHdr = 0x80, SmfipNoUnknown = 0x100, SmfipNoData = 0x200, SmfipNrConn = 0x1000, SmfipHdrLeadSpc = 0x100000;

    /// <summary>
    /// What a plugin that needs the connection and the headers, adds and changes headers and never answers before
    /// end of message must get: version 6; the two actions it uses; every step it does not need left out (HELO,
    /// MAIL, RCPT, DATA, unknown commands, end of headers, body), no reply to the steps it sees (connect, each
    /// header), header values with their leading space. Then, at end of message, the insert and continue.
    /// </summary>
    private static readonly string[] Answers =
    [
        "4f" + "00000006" + $"{SmfifAddHdrs | SmfifChgHdrs:x8}"
            + $"{SmfipNoHelo | SmfipNoMail | SmfipNoRcpt | SmfipNoBody | SmfipNoEoh | SmfipNrHdr | SmfipNoUnknown | SmfipNoData | SmfipNrConn | SmfipHdrLeadSpc:x8}",
        "69" + "00000000" + Convert.ToHexStringLower("Authentication-Results\0 mx.example.com; none\0"u8),
        "63",
    ];

    private static byte[] Framed(IEnumerable<string> payloads) => payloads.SelectMany(h =>
    {
        var p = Convert.FromHexString(h);
        return new byte[] { (byte)(p.Length >> 24), (byte)(p.Length >> 16), (byte)(p.Length >> 8), (byte)p.Length }.Concat(p);
    }).ToArray();

    [Theory]
    [InlineData("Postfix", "D7DC6B240CE")]
    [InlineData("Sendmail", "6ATHLDCV005371")]
    public async Task Replayed_MTA_traffic_gets_the_same_answers(string mta, string queueId)
    {
        var plugin = new ScriptedPlugin("AuthResults", PluginNeeds.Connect | PluginNeeds.Headers | PluginNeeds.ObserveOnly
            | PluginNeeds.AddHeaders | PluginNeeds.ChangeHeaders);
        string? seen = null;
        plugin.OnEndOfMessage = c =>
        {
            seen = $"{c.QueueId}|{c.Macros.Get("daemon_name")}|{c.Connection.Address}|{c.Headers.Count}|{c.Headers[^1].Value}";
            c.Edits.InsertHeader(0, "Authentication-Results", " mx.example.com; none");
            return Verdict.Continue;
        };
        await using var server = MilterTestServer.StartTcp(MilterTestServer.Plugin(plugin));
        await using var client = await server.ConnectAsync();

        await client.SendRawAsync(Framed(mta == "Postfix" ? Postfix : Sendmail));
        var answers = new List<string>();
        for (int i = 0; i < Answers.Length; i++)
        {
            var frame = await client.ReadFrameAsync();
            answers.Add(Convert.ToHexString([(byte)frame.Code, .. frame.Data]).ToLowerInvariant());
        }
        Assert.Equal(Answers, answers);
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(20))); // QUIT
        Assert.Equal($"{queueId}|MTA|127.0.0.1|7| one\r\n\ttwo  three", seen);
        await server.WaitForHandlersAsync();
        Assert.Empty(server.Logs.AtLeast(Microsoft.Extensions.Logging.LogLevel.Warning));
    }
}
