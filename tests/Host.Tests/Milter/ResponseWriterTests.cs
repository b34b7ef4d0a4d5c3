using System.Buffers;
using System.Text.Json;
using Milters.Abstractions;
using Milters.Host.Milter.Protocol;
using Milters.Host.Milter.Session;

namespace Milters.Host.Tests.Milter;

/// <summary>Our reply frames against the "responses" of tests/data/milter/vectors.json, byte for byte.</summary>
public class ResponseWriterTests
{
    private static byte[] Write(Action<IBufferWriter<byte>> write)
    {
        var w = new ArrayBufferWriter<byte>();
        write(w);
        return w.WrittenSpan.ToArray();
    }

    private static byte[] Packet(string id) => Vectors.Hex(Vectors.ById("responses", id), "packet_hex");

    private static string Escaped(string id) => Vectors.ById("responses", id).GetProperty("payload_escaped").GetString()!;

    [Fact]
    public void Continue() => Assert.Equal(Packet("continue"), Write(MilterResponseWriter.WriteContinue));

    [Theory]
    [InlineData("tempfail-471", "471")]
    [InlineData("reject-571", "571")]
    [InlineData("tempfail-471-enh", "471 4.7.1")]
    [InlineData("reject-571-enh", "571 5.7.1")]
    [InlineData("tempfail-471-text", "471 foobar")]
    [InlineData("reject-571-enh-text", "571 5.7.1 foobar")]
    [InlineData("tempfail-471-enh-text", "471 4.7.1 foobar")]
    public void Reply_codes(string id, string text) =>
        Assert.Equal(Packet(id), Write(w => MilterResponseWriter.WriteReplyCode(w, text)));

    [Theory]
    [InlineData("addheader-simple", "Foo", "Bar")]
    [InlineData("addheader-empty", "Foo", "")]
    [InlineData("addheader-utf8", "Foo", "Bár\u0e21")]
    [InlineData("addheader-tilde", "Fo~o", "Bar")]
    [InlineData("addheader-bang", "Fo!o", "Bar")]
    public void Add_header(string id, string name, string value) =>
        Assert.Equal(Packet(id), Write(w => MilterResponseWriter.WriteAddHeader(w, name, value)));

    [Theory]
    [InlineData("insheader-123", 123, "Bar")]
    [InlineData("insheader-empty", 123, "")]
    [InlineData("insheader-0", 0, "Bar")]
    [InlineData("insheader-utf8", 123, "Bár\u0e21")]
    public void Insert_header(string id, int index, string value) =>
        Assert.Equal(Packet(id), Write(w => MilterResponseWriter.WriteInsertHeader(w, index, "Foo", value)));

    [Theory]
    [InlineData("chgheader-123", 123, "Bar")]
    [InlineData("chgheader-empty", 123, null)]
    [InlineData("chgheader-0", 0, "Bar")]
    [InlineData("chgheader-utf8", 123, "Bár\u0e21")]
    public void Change_header(string id, int index, string? value) =>
        Assert.Equal(Packet(id), Write(w => MilterResponseWriter.WriteChangeHeader(w, index, "Foo", value)));

    [Fact]
    public void Recipients_and_sender()
    {
        const string a = "purepythonmilter@gertvandijk.nl";
        Assert.Equal(Packet("addrcpt"), Write(w => MilterResponseWriter.WriteAddRecipient(w, a)));
        Assert.Equal(Packet("addrcpt-par-1"), Write(w => MilterResponseWriter.WriteAddRecipientWithArgs(w, a, "FOO=BAR LOREM=IPSUM")));
        Assert.Equal(Packet("addrcpt-par-2"), Write(w => MilterResponseWriter.WriteAddRecipientWithArgs(w, a, "FOO=BAR LOREM")));
        Assert.Equal(Packet("delrcpt"), Write(w => MilterResponseWriter.WriteDeleteRecipient(w, a)));
        Assert.Equal(Packet("chgfrom"), Write(w => MilterResponseWriter.WriteChangeFrom(w, a, null)));
        Assert.Equal(Packet("chgfrom-par-1"), Write(w => MilterResponseWriter.WriteChangeFrom(w, a, "FOO=BAR LOREM=IPSUM")));
        Assert.Equal(Packet("chgfrom-par-2"), Write(w => MilterResponseWriter.WriteChangeFrom(w, a, "FOO=BAR LOREM")));
    }

    [Fact]
    public void Replace_body_small() =>
        Assert.Equal(Packet("replbody"), Write(w => MilterResponseWriter.WriteReplaceBody(w, "foobar"u8)));

    [Fact]
    public void Replace_body_is_cut_into_chunks_of_at_most_65535()
    {
        var body = Enumerable.Range(0, 150_000).Select(i => (byte)i).ToArray();
        var bytes = Write(w => MilterResponseWriter.WriteReplaceBody(w, body));
        var seq = new ReadOnlySequence<byte>(bytes);
        var collected = new List<byte>();
        int frames = 0;
        while (MilterFrameReader.TryRead(ref seq, 1 << 20, out var f))
        {
            Assert.Equal((byte)'b', (byte)f.Command);
            Assert.True(f.Data.Length <= 65535);
            collected.AddRange(f.Data.ToArray());
            frames++;
        }
        Assert.Equal(3, frames);
        Assert.Equal(body, collected);
    }

    [Theory]
    [InlineData("optneg-default")]
    [InlineData("optneg-call-data")]
    [InlineData("optneg-add-headers")]
    public void Option_negotiation_reply(string id)
    {
        var d = Vectors.ById("responses", id).GetProperty("decoded");
        var o = new OptionNegotiation(d.GetProperty("version").GetUInt32(), (MilterActions)d.GetProperty("actions").GetUInt32(),
            (MilterProtocolFlags)d.GetProperty("protocol").GetUInt32());
        Assert.Equal(Packet(id), Write(w => MilterResponseWriter.WriteOptionNegotiation(w, o)));
    }

    [Fact]
    public void Empty_replies_carry_their_libmilter_letters()
    {
        Assert.Equal(Convert.FromHexString("0000000161"), Write(MilterResponseWriter.WriteAccept));
        Assert.Equal(Convert.FromHexString("0000000172"), Write(MilterResponseWriter.WriteReject));
        Assert.Equal(Convert.FromHexString("0000000174"), Write(MilterResponseWriter.WriteTempFail));
        Assert.Equal(Convert.FromHexString("0000000164"), Write(MilterResponseWriter.WriteDiscard));
        Assert.Equal(Convert.FromHexString("0000000173"), Write(MilterResponseWriter.WriteSkip));
        Assert.Equal(Convert.FromHexString("0000000170"), Write(MilterResponseWriter.WriteProgress));
        Assert.Equal(Convert.FromHexString("000000097174657374696e6700"), Write(w => MilterResponseWriter.WriteQuarantine(w, "testing")));
    }

    [Theory]
    [InlineData(VerdictKind.Reject, "550", "5.7.1", "no", "y550 5.7.1 no\0")]
    [InlineData(VerdictKind.TempFail, "451", "4.7.1", "later", "y451 4.7.1 later\0")]
    [InlineData(VerdictKind.Reject, "451", null, "wrong class", "r")]    // a 4xx code cannot reject
    [InlineData(VerdictKind.TempFail, "550", null, "wrong class", "t")]  // a 5xx code cannot tempfail
    [InlineData(VerdictKind.Reject, "550", "4.7.1", "status mismatch", "r")]
    [InlineData(VerdictKind.Reject, "550", null, "two\r\nlines", "y550 two lines\0")]
    // smfi_setreply(3): a lone '%' makes the MTA drop the text (Sendmail: its own 554, even for a 451), so it is doubled.
    [InlineData(VerdictKind.TempFail, "451", "4.7.0", "DNS Timeout looking up A a%b.slow.test", "y451 4.7.0 DNS Timeout looking up A a%%b.slow.test\0")]
    [InlineData(VerdictKind.Reject, "550", "5.7.1", "100%", "y550 5.7.1 100%%\0")]
    // No 8-bit text in an SMTP reply without SMTPUTF8, no NUL inside the frame's string.
    [InlineData(VerdictKind.Reject, "550", "5.7.1", "sender j\u00f6rg@example.com\0x", "y550 5.7.1 sender j?rg@example.com x\0")]
    public void Verdict_reply_text_only_when_it_fits(VerdictKind kind, string code, string? status, string text, string expected)
    {
        var verdict = new Verdict(kind, new SmtpReply(code, status, text));
        var bytes = Write(w => VerdictWriter.Write(w, verdict, canSkip: true, out _));
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(bytes, 4, bytes.Length - 4));
    }

    /// <summary>RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets; an exp= explanation can be far longer.</summary>
    [Fact]
    public void A_long_reply_text_is_shortened()
    {
        var verdict = new Verdict(VerdictKind.Reject, new SmtpReply("550", "5.7.1", new string('x', 1200) + "%"));
        var bytes = Write(w => VerdictWriter.Write(w, verdict, canSkip: true, out _));
        var text = System.Text.Encoding.ASCII.GetString(bytes, 5, bytes.Length - 6);
        Assert.Equal("550 5.7.1 " + new string('x', VerdictWriter.MaxReplyText - 3) + "...", text);
        Assert.True(text.Length < 510);
    }

    [Fact]
    public void Skip_is_continue_when_the_MTA_cannot_skip()
    {
        Assert.Equal("s", System.Text.Encoding.ASCII.GetString(Write(w => VerdictWriter.Write(w, Verdict.Skip, true, out _)), 4, 1));
        Assert.Equal("c", System.Text.Encoding.ASCII.GetString(Write(w => VerdictWriter.Write(w, Verdict.Skip, false, out _)), 4, 1));
    }

    [Fact]
    public void Every_response_vector_has_a_test_above()
    {
        var covered = new HashSet<string>
        {
            "continue", "tempfail-471", "reject-571", "tempfail-471-enh", "reject-571-enh", "tempfail-471-text", "reject-571-text",
            "tempfail-471-enh-text", "reject-571-enh-text", "addheader-simple", "addheader-empty", "addheader-utf8", "addheader-tilde",
            "addheader-bang", "insheader-123", "insheader-empty", "insheader-0", "insheader-utf8", "chgheader-123", "chgheader-empty",
            "chgheader-0", "chgheader-utf8", "addrcpt", "addrcpt-par-1", "addrcpt-par-2", "delrcpt", "chgfrom", "chgfrom-par-1",
            "chgfrom-par-2", "replbody", "optneg-default", "optneg-call-data", "optneg-add-headers",
            // Macro-list requests (SMFIR_SETSYMLIST in the OPTNEG reply): not used, we take the MTA's configured macros.
            "optneg-symlist-eom-i", "optneg-symlist-connect-two", "optneg-symlist-connect-helo",
        };
        var all = Vectors.Section("responses").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToHashSet();
        Assert.Subset(covered, all);
        Assert.Equal("y571 foobar\\x00", Escaped("reject-571-text"));
        Assert.Equal(Packet("reject-571-text"), Write(w => MilterResponseWriter.WriteReplyCode(w, "571 foobar")));
    }
}
