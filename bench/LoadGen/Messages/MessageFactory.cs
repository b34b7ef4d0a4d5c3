using System.Globalization;
using System.Text;

namespace Milters.LoadGen.Messages;

/// <summary>
/// Makes message number i of a run: deterministic from (seed, i). For verify traffic each size class
/// has one fixed message that was signed once up front (see <see cref="SetPrimedSignature"/>); the
/// signature header is put on top of that same message every time it is sent.
/// </summary>
internal sealed class MessageFactory(SizeMix sizes, ulong seed, string fromDomain)
{
    private static readonly DateTimeOffset BaseDate = new(2026, 1, 5, 9, 30, 0, TimeSpan.Zero);
    private readonly Dictionary<int, HeaderLine> _primed = [];

    public SizeMix Sizes => sizes;

    public bool IsPrimed(int sizeClass) => _primed.ContainsKey(sizeClass);

    public void SetPrimedSignature(int sizeClass, HeaderLine signature) => _primed[sizeClass] = signature;

    /// <summary>Message i of the run; with primed signatures, the fixed signed message of its class.</summary>
    public TestMessage Create(long index)
    {
        int sizeClass = sizes.ClassOf(index, seed);
        if (_primed.TryGetValue(sizeClass, out var signature))
        {
            var template = Template(sizeClass);
            return new TestMessage
            {
                Index = index, SizeClass = sizeClass, QueueId = QueueId(index),
                MailFrom = template.MailFrom, RcptTo = template.RcptTo,
                Headers = [signature, .. template.Headers],
                FirstBodyLine = template.FirstBodyLine, BodyLength = template.BodyLength,
            };
        }
        return Build(index, index, sizeClass);
    }

    /// <summary>The fixed message of a size class that verify traffic repeats.</summary>
    public TestMessage Template(int sizeClass) => Build(-1 - sizeClass, -1 - sizeClass, sizeClass);

    private TestMessage Build(long index, long variant, int sizeClass)
    {
        int size = sizes.Classes[sizeClass].Size;
        string id = variant.ToString(CultureInfo.InvariantCulture).Replace('-', 't');
        string queueId = QueueId(index);
        string date = BaseDate.AddSeconds(Math.Abs(variant) % 86400).ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture);
        string from = $"alice@{fromDomain}";
        HeaderLine[] headers =
        [
            new("Received", $"from client.example.org (localhost [127.0.0.1])\r\n\tby mta.{fromDomain} (Postfix) with ESMTPSA id {queueId}\r\n\tfor <bob@example.org>; {date}"),
            new("From", $"Alice Example <{from}>"),
            new("To", "Bob Example <bob@example.org>"),
            new("Subject", $"load test message {id} ({SizeMix.FormatSize(size)})"),
            new("Date", date),
            new("Message-ID", $"<{id}.{seed:x}@{fromDomain}>"),
            new("MIME-Version", "1.0"),
            new("Content-Type", "text/plain; charset=us-ascii"),
        ];
        byte[] firstLine = Encoding.ASCII.GetBytes($"Message {id} of seed {seed:x}: {SizeMix.FormatSize(size)} of text.\r\n");
        long headerBytes = headers.Sum(h => (long)h.Name.Length + 2 + h.Value.Length + 2) + 2;
        long bodyLength = Math.Max(firstLine.Length + 2, size - headerBytes);
        return new TestMessage
        {
            Index = index, SizeClass = sizeClass, QueueId = queueId,
            MailFrom = from, RcptTo = "bob@example.org",
            Headers = headers, FirstBodyLine = firstLine, BodyLength = bodyLength,
        };
    }

    private static string QueueId(long index) =>
        "4L" + (index < 0 ? "T" + (-index).ToString("X6", CultureInfo.InvariantCulture) : index.ToString("X8", CultureInfo.InvariantCulture));
}
