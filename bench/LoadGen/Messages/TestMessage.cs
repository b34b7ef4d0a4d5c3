namespace Milters.LoadGen.Messages;

/// <summary>A header as the MTA hands it over: name, and the value after the colon without the
/// leading space; folded lines are joined with CRLF here and sent with the chosen line ending.</summary>
internal readonly record struct HeaderLine(string Name, string Value);

/// <summary>One message of the load: envelope, headers and a body described, not held.</summary>
internal sealed class TestMessage
{
    public required long Index { get; init; }
    public required int SizeClass { get; init; }
    public required string QueueId { get; init; }
    public required string MailFrom { get; init; }
    public required string RcptTo { get; init; }
    public required IReadOnlyList<HeaderLine> Headers { get; init; }
    public required byte[] FirstBodyLine { get; init; }
    public required long BodyLength { get; init; }

    public long HeaderBytes => Headers.Sum(h => (long)h.Name.Length + 2 + h.Value.Length + 2) + 2;

    public long TotalBytes => HeaderBytes + BodyLength;
}
