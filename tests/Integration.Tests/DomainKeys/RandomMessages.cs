using System.Text;

namespace Milters.Integration.Tests.DomainKeys;

/// <summary>
/// Seeded random messages with the shapes canonicalization trips over (RFC 4870 §3.4): runs of spaces and
/// tabs, folding with either, trailing whitespace, whitespace-only and empty body lines, trailing blank lines,
/// empty bodies, header values with no leading space, of whitespace alone, empty or starting with a fold,
/// lower-case field names, repeated fields,
/// 8-bit UTF-8 text and long lines. Every line ends in CRLF, as an MTA hands a message over; From stays on one
/// line (Mail::DKIM takes the DomainKeys identity from an unfolded From only).
/// </summary>
internal sealed class RandomMessages(int seed)
{
    private readonly Random random = new(seed);

    private static readonly string[] Words =
        ["hello", "Bob", "signed", "x", "a.b", "(comment)", "=?utf-8?q?gr=C3=BC=C3=9Fe?=", "--", "é", "grüße", "€", "日本", "end.", ".", ":", ";"];

    public string Next()
    {
        var headers = new List<string>();
        for (var i = random.Next(3); i > 0; i--)
            headers.Add($"Received: from host{random.Next(99)}.example.net by mx.example.com;{Whitespace()}Sun, 29 Nov 2026 10:0{i}:00 +0000");
        var fields = new List<string>
        {
            random.Next(4) == 0 ? "From:alice@example.com" : $"From: {Pick("Alice", "\"Alice Example\"", "Al  ice")} <alice@example.com>",
            $"{Pick("To", "to", "TO")}: {Folded("bob@example.org, Carol <carol@example.org>")}",
            $"{Pick("Subject", "subject")}:{Folded(Text(1 + random.Next(12)))}{(random.Next(3) == 0 ? Whitespace() : "")}",
            "Date: Sun, 29 Nov 2026 10:00:00 +0000",
            $"Message-ID: <{random.Next():x}@example.com>",
        };
        for (var i = random.Next(4); i > 0; i--)
            fields.Add($"X-Random-{random.Next(3)}:{RandomValue()}");
        // Now and then a Sender (the DomainKeys identity when present, RFC 4870 §3.2), sometimes for a From of
        // another domain: signed as the Sender's domain, verified against it.
        if (random.Next(6) == 0)
        {
            fields.Add($"Sender: {Pick("carol@example.com", "Carol <carol@example.com>")}");
            if (random.Next(2) == 0) fields[0] = "From: Dave <dave@example.net>";
        }
        Shuffle(fields);
        headers.AddRange(fields);

        var body = new StringBuilder();
        var lines = random.Next(5) == 0 ? 0 : random.Next(1, 30);
        for (var i = 0; i < lines; i++) body.Append(BodyLine()).Append("\r\n");
        for (var i = random.Next(4) == 0 ? random.Next(1, 4) : 0; i > 0; i--)
            body.Append(random.Next(3) == 0 ? Whitespace() : "").Append("\r\n");

        return string.Join("\r\n", headers) + "\r\n\r\n" + body;
    }

    private string RandomValue() => random.Next(8) switch
    {
        0 => "",
        6 => Whitespace(),
        7 => "\r\n" + Pick(" ", "\t") + Text(1 + random.Next(5)),
        1 => " " + Text(40 + random.Next(60)),
        2 => Whitespace() + Folded(Text(3 + random.Next(20))) + Whitespace(),
        _ => " " + Folded(Text(1 + random.Next(10))),
    };

    private string BodyLine() => random.Next(10) switch
    {
        0 => "",
        1 => Whitespace(),
        2 => new string('x', 200 + random.Next(700)),
        3 => "." + Text(2),
        4 => Whitespace() + Text(1 + random.Next(8)) + Whitespace(),
        _ => Text(1 + random.Next(15)) + (random.Next(4) == 0 ? Whitespace() : ""),
    };

    /// <summary>Words joined by runs of spaces and tabs.</summary>
    private string Text(int words)
    {
        var text = new StringBuilder(Words[random.Next(Words.Length)]);
        for (var i = 1; i < words; i++) text.Append(random.Next(3) == 0 ? Whitespace() : " ").Append(Words[random.Next(Words.Length)]);
        return text.ToString();
    }

    /// <summary>Breaks the value into continuation lines at some of its spaces (CRLF then the space or a tab).</summary>
    private string Folded(string value)
    {
        if (random.Next(3) != 0) return " " + value;
        var parts = value.Split(' ');
        var folded = new StringBuilder(" " + parts[0]);
        for (var i = 1; i < parts.Length; i++)
            // Never at an empty part: a continuation line of whitespace alone is obsolete syntax MTAs read differently.
            folded.Append(parts[i].Length > 0 && random.Next(3) == 0 ? "\r\n" + Pick(" ", "\t", "  ", " \t") : " ").Append(parts[i]);
        return folded.ToString();
    }

    private string Whitespace()
    {
        var run = new StringBuilder();
        for (var i = 1 + random.Next(4); i > 0; i--) run.Append(random.Next(2) == 0 ? ' ' : '\t');
        return run.ToString();
    }

    private string Pick(params string[] choices) => choices[random.Next(choices.Length)];

    private void Shuffle(List<string> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
