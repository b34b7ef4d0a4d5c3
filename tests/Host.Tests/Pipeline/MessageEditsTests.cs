using System.Buffers;
using Milters.Abstractions;
using Milters.Host.Milter.Negotiation;
using Milters.Host.Milter.Protocol;
using Milters.Host.Milter.Session;
using Milters.Host.Pipeline;

namespace Milters.Host.Tests.Pipeline;

public class MessageEditsTests
{
    [Theory]
    [InlineData("", " v")]
    [InlineData("Bad Name", " v")]
    [InlineData("Bad:Name", " v")]
    [InlineData("X-Inject", " v\r\nBcc: victim@example.com")]
    [InlineData("X-Inject", " v\n")]
    [InlineData("X-Nul", " a\0b")]
    public void Header_edits_that_would_break_the_message_are_refused(string name, string value)
    {
        var edits = new MessageEdits();
        Assert.ThrowsAny<ArgumentException>(() => edits.AddHeader(name, value));
        Assert.Empty(edits.Queued);
    }

    [Fact]
    public void Folded_values_and_occurrences_are_accepted_in_order()
    {
        var edits = new MessageEdits();
        edits.AddHeader("X-A", " one\r\n\ttwo");
        edits.InsertHeader(0, "X-B", " top");
        edits.ChangeHeader("X-C", 2, null);
        Assert.Equal([MessageEditKind.AddHeader, MessageEditKind.InsertHeader, MessageEditKind.ChangeHeader], edits.Queued.Select(e => e.Kind));
        Assert.Throws<ArgumentOutOfRangeException>(() => edits.ChangeHeader("X-C", 0, "x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => edits.InsertHeader(-1, "X", " x"));
    }

    private static NegotiatedProtocol Protocol(MilterActions actions, MilterProtocolFlags flags = MilterProtocolFlags.HeaderLeadingSpace)
    {
        var o = new OptionNegotiation(6, actions, flags);
        return new NegotiatedProtocol(o, o, MilterActions.None);
    }

    private static List<string> Frames(ArrayBufferWriter<byte> w)
    {
        var seq = new ReadOnlySequence<byte>(w.WrittenMemory);
        var list = new List<string>();
        while (MilterFrameReader.TryRead(ref seq, 1 << 20, out var f))
            list.Add((char)f.Command + System.Text.Encoding.UTF8.GetString(f.Data.ToArray()).Replace('\0', '|'));
        return list;
    }

    [Fact]
    public void Header_changes_go_first_highest_occurrence_first_then_the_rest_in_queued_order()
    {
        var edits = new MessageEdits();
        edits.InsertHeader(0, "Authentication-Results", " mx; none");
        edits.ChangeHeader("Authentication-Results", 1, null);
        edits.ChangeHeader("Authentication-Results", 3, null);
        edits.AddHeader("X-Last", " z");
        edits.ChangeHeader("Authentication-Results", 2, null);
        var w = new ArrayBufferWriter<byte>();
        var dropped = new Dictionary<MessageEditKind, int>();
        int args = 0;
        EditWriter.Write(w, edits.Queued, Protocol(MilterActions.AddHeaders | MilterActions.ChangeHeaders), dropped, ref args);
        var frames = Frames(w);
        Assert.Equal(5, frames.Count);
        Assert.Equal('m', frames[0][0]);
        Assert.EndsWith("\u0003Authentication-Results||", frames[0]);
        Assert.EndsWith("\u0002Authentication-Results||", frames[1]);
        Assert.EndsWith("\u0001Authentication-Results||", frames[2]);
        Assert.Equal('i', frames[3][0]);
        Assert.Equal("hX-Last| z|", frames[4]);
        Assert.Empty(dropped);
    }

    [Fact]
    public void Edits_the_MTA_did_not_grant_are_dropped_and_counted()
    {
        var edits = new MessageEdits();
        edits.AddHeader("X-A", " 1");
        edits.ChangeHeader("X-B", 1, " 2");
        edits.Quarantine("held");
        edits.AddRecipient("new@example.org", "NOTIFY=NEVER");
        var w = new ArrayBufferWriter<byte>();
        var dropped = new Dictionary<MessageEditKind, int>();
        int args = 0;
        EditWriter.Write(w, edits.Queued, Protocol(MilterActions.AddHeaders | MilterActions.AddRecipients), dropped, ref args);
        Assert.Equal(["hX-A| 1|", "+new@example.org|"], Frames(w));
        Assert.Equal(1, dropped[MessageEditKind.ChangeHeader]);
        Assert.Equal(1, dropped[MessageEditKind.Quarantine]);
        Assert.Equal(1, args);
    }

    [Fact]
    public void Without_leading_space_negotiated_one_space_is_left_to_the_MTA_and_folding_uses_LF()
    {
        var edits = new MessageEdits();
        edits.AddHeader("X-A", " one\r\n\ttwo");
        var w = new ArrayBufferWriter<byte>();
        int args = 0;
        EditWriter.Write(w, edits.Queued, Protocol(MilterActions.AddHeaders, MilterProtocolFlags.None), new(), ref args);
        Assert.Equal(["hX-A|one\n\ttwo|"], Frames(w));
    }

    [Theory]
    [InlineData(" plain", true, " plain")]
    [InlineData("plain", false, " plain")]
    [InlineData("\tplain", false, "\tplain")]
    [InlineData("", false, "")]
    [InlineData(" a\n\tb", true, " a\r\n\tb")]
    [InlineData(" a\r\n\tb", true, " a\r\n\tb")]
    public void Header_values_from_the_MTA_get_CRLF_folding_and_their_leading_space(string mta, bool leadingSpaceKept, string expected)
    {
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(HeaderValues.FromMta(System.Text.Encoding.UTF8.GetBytes(mta), leadingSpaceKept)));
    }

    [Theory]
    [InlineData(" a\r\n\tb", true, " a\n\tb")]
    [InlineData(" a\r\n\tb", false, "a\n\tb")]
    [InlineData("  two", false, " two")]             // one space, the one the MTA puts back
    [InlineData("\tx", false, "\tx")]
    [InlineData("a\rb\r\n\r\n c\r", true, "a\rb\n\n c\r")] // only CRLF pairs change
    [InlineData("", false, "")]
    public void Header_values_to_the_MTA_get_LF_folding_and_lose_one_leading_space(string value, bool leadingSpaceKept, string expected)
    {
        Assert.Equal(expected, HeaderValues.ToMta(value, leadingSpaceKept, new char[value.Length]).ToString());
    }

    [Theory]
    [InlineData("Subject")]
    [InlineData("X-\u00e9t\u00e9")]
    public void A_header_name_comes_back_as_the_bytes_the_MTA_sent(string name)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(name);
        Assert.Equal(bytes, System.Text.Encoding.UTF8.GetBytes(HeaderValues.Name(bytes)));
    }
}
