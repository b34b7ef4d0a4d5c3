using System.Text;

namespace Milters.LoadGen.Messages;

/// <summary>
/// One shared, read-only block of plain-text lines that every body is cut from, so a 10 MB message
/// costs no per-connection memory and no generation time: bodies are the pattern repeated.
/// Deterministic (fixed seed); some lines carry runs of spaces and tabs so that "nofws" and
/// "simple" canonicalization really differ, and some lines are empty.
/// </summary>
internal static class BodyPattern
{
    public const int TargetLength = 256 * 1024;

    private static readonly string[] Words =
    [
        "the", "milter", "signs", "mail", "from", "example", "domain", "keys", "header", "body",
        "sender", "policy", "message", "receiver", "queue", "postfix", "sendmail", "record", "verify",
        "canonical", "whitespace", "hash", "selector", "load", "test", "of", "and", "to", "a", "is",
    ];

    public static readonly byte[] Bytes = Build();

    private static byte[] Build()
    {
        var text = new StringBuilder(TargetLength + 128);
        ulong state = 0x9E3779B97F4A7C15UL;
        while (text.Length < TargetLength)
        {
            int lineLength = 20 + (int)(Next(ref state) % 57); // at most 76 characters: RFC 5322 §2.1.1 "should"
            int kind = (int)(Next(ref state) % 16);
            if (kind == 0) { text.Append("\r\n"); continue; }
            int start = text.Length;
            while (text.Length - start < lineLength)
            {
                if (text.Length > start) text.Append(kind == 1 ? "  \t " : " ");
                text.Append(Words[Next(ref state) % (ulong)Words.Length]);
            }
            if (kind == 2) text.Append(" \t"); // trailing whitespace, dropped by nofws
            text.Append("\r\n");
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    // xorshift64*: deterministic on every platform and run, unlike System.Random's seeding.
    internal static ulong Next(ref ulong state)
    {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 0x2545F4914F6CDD1DUL;
    }
}
