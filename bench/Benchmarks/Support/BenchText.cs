using System.Text;

namespace Milters.Benchmarks.Support;

/// <summary>Deterministic message text for the benchmarks: plain lines, some with runs of white space.</summary>
internal static class BenchText
{
    public static byte[] Body(int size)
    {
        var text = new StringBuilder(size + 100);
        ulong state = 0x2545F4914F6CDD1DUL;
        string[] words = ["domain", "keys", "sign", "the", "body", "of", "mail", "with", "a", "hash", "and", "key"];
        while (text.Length < size)
        {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            int kind = (int)(state % 10);
            if (kind == 0) { text.Append("\r\n"); continue; }
            int len = 30 + (int)(state >> 8) % 45;
            int start = text.Length;
            while (text.Length - start < len)
            {
                if (text.Length > start) text.Append(kind == 1 ? " \t  " : " ");
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                text.Append(words[state % (ulong)words.Length]);
            }
            if (kind == 2) text.Append("  ");
            text.Append("\r\n");
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>The header block of a submitted message: (name, raw value with leading space, CRLF folds).</summary>
    public static readonly (string Name, string Value)[] Headers =
    [
        ("Received", " from client.example.org (localhost [127.0.0.1])\r\n\tby mta.example.com (Postfix) with ESMTPSA id 4LABC123\r\n\tfor <bob@example.org>; Mon, 05 Jan 2026 09:30:00 +0000"),
        ("From", " Alice Example <alice@example.com>"),
        ("To", " Bob Example <bob@example.org>"),
        ("Subject", " benchmark message"),
        ("Date", " Mon, 05 Jan 2026 09:30:00 +0000"),
        ("Message-ID", " <1.bench@example.com>"),
        ("MIME-Version", " 1.0"),
        ("Content-Type", " text/plain; charset=us-ascii"),
    ];
}
