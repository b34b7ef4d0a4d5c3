using System.Text;

namespace Milters.AuthResults.Syntax;

/// <summary>
/// A position in a header field value with the RFC 5322 §3.2 lexical pieces every structured field
/// shares: folding white space, comments, quoted strings. Line breaks may be CRLF or a bare LF (some
/// MTAs hand folded lines over with LF); either must be followed by WSP to be folding.
/// </summary>
internal ref struct HeaderCursor
{
    private readonly ReadOnlySpan<char> text;
    private readonly bool utf8;

    public HeaderCursor(ReadOnlySpan<char> text, bool utf8)
    {
        this.text = text;
        this.utf8 = utf8;
        Position = 0;
    }

    public int Position { get; set; }

    /// <summary>Whether the RFC 6532 / RFC 8616 UTF-8 extensions apply.</summary>
    public readonly bool Utf8 => utf8;

    public ReadOnlySpan<char> Rest => text[Position..];

    /// <summary>No more content: only a final line break (the field's own CRLF) may remain.</summary>
    public readonly bool AtEnd
    {
        get
        {
            var rest = text[Position..];
            return rest.IsEmpty || rest is "\r\n" or "\n";
        }
    }

    public readonly char Peek => Position < text.Length ? text[Position] : '\0';

    public bool TryConsume(char c)
    {
        if (Position < text.Length && text[Position] == c)
        {
            Position++;
            return true;
        }
        return false;
    }

    /// <summary>Length of a line break (CRLF or LF) that is followed by WSP at <paramref name="at"/>, else 0.</summary>
    private readonly int FoldAt(int at)
    {
        var n = 0;
        if (at < text.Length && text[at] == '\r' && at + 1 < text.Length && text[at + 1] == '\n') n = 2;
        else if (at < text.Length && text[at] == '\n') n = 1;
        if (n == 0) return 0;
        return at + n < text.Length && Grammar.IsWsp(text[at + n]) ? n : 0;
    }

    /// <summary>FWS (RFC 5322 §3.2.2, including obs-FWS): returns whether any was consumed.</summary>
    public bool SkipFws()
    {
        var start = Position;
        while (Position < text.Length)
        {
            if (Grammar.IsWsp(text[Position])) { Position++; continue; }
            var fold = FoldAt(Position);
            if (fold == 0) break;
            Position += fold;
        }
        return Position > start;
    }

    /// <summary>
    /// CFWS (RFC 5322 §3.2.2). <paramref name="any"/> tells whether something was consumed; the result is
    /// false when a comment is malformed (unterminated, or a character ctext does not allow).
    /// </summary>
    public bool SkipCfws(out bool any)
    {
        var start = Position;
        while (true)
        {
            SkipFws();
            if (Peek != '(') break;
            if (!SkipComment()) { any = Position > start; return false; }
        }
        any = Position > start;
        return true;
    }

    /// <summary>CFWS that must be well formed; false on a malformed comment.</summary>
    public bool SkipCfws() => SkipCfws(out _);

    /// <summary>comment = "(" *([FWS] ccontent) [FWS] ")" with nesting and quoted-pair (RFC 5322 §3.2.2).</summary>
    private bool SkipComment()
    {
        var depth = 0;
        while (Position < text.Length)
        {
            var c = text[Position];
            if (c == '(') { depth++; Position++; }
            else if (c == ')')
            {
                depth--;
                Position++;
                if (depth == 0) return true;
            }
            else if (c == '\\')
            {
                if (Position + 1 >= text.Length || !Grammar.IsQuotedPairChar(text[Position + 1], utf8)) return false;
                Position += 2;
            }
            else if (Grammar.IsCtext(c, utf8) || Grammar.IsWsp(c)) Position++;
            else
            {
                var fold = FoldAt(Position);
                if (fold == 0) return false;
                Position += fold;
            }
        }
        return false;
    }

    /// <summary>
    /// quoted-string without its surrounding CFWS (RFC 5322 §3.2.4): the content with quoted-pairs resolved
    /// and folding removed (the WSP after a line break stays, as unfolding prescribes).
    /// </summary>
    public bool TryReadQuotedString(out string content)
    {
        content = "";
        if (Peek != '"') return false;
        var start = Position;
        Position++;
        var sb = new StringBuilder();
        while (Position < text.Length)
        {
            var c = text[Position];
            if (c == '"')
            {
                Position++;
                content = sb.ToString();
                return true;
            }
            if (c == '\\')
            {
                if (Position + 1 >= text.Length || !Grammar.IsQuotedPairChar(text[Position + 1], utf8)) break;
                sb.Append(text[Position + 1]);
                Position += 2;
            }
            else if (Grammar.IsQtext(c, utf8) || Grammar.IsWsp(c))
            {
                sb.Append(c);
                Position++;
            }
            else
            {
                var fold = FoldAt(Position);
                if (fold == 0) break;
                Position += fold;
            }
        }
        Position = start;
        return false;
    }

    /// <summary>The longest run of characters matching <paramref name="accept"/> from here (possibly empty).</summary>
    public ReadOnlySpan<char> ReadWhile(Func<char, bool> accept)
    {
        var start = Position;
        while (Position < text.Length && accept(text[Position])) Position++;
        return text[start..Position];
    }

    /// <summary>1*DIGIT as a number; false (nothing consumed) when there is no digit or it overflows.</summary>
    public bool TryReadNumber(out int number)
    {
        var start = Position;
        var digits = ReadWhile(Grammar.IsAsciiDigit);
        if (!digits.IsEmpty && int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number))
            return true;
        Position = start;
        number = 0;
        return false;
    }

    /// <summary>A Keyword (RFC 5321 §4.1.2); false (nothing consumed) if the Ldh run here is not one.</summary>
    public bool TryReadKeyword(out string keyword)
    {
        var run = text[Position..][..Grammar.LdhRun(text[Position..])];
        if (!Grammar.IsKeyword(run))
        {
            keyword = "";
            return false;
        }
        Position += run.Length;
        keyword = run.ToString();
        return true;
    }
}
