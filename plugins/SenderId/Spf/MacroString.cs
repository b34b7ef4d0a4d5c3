namespace Milters.SenderId.Spf;

/// <summary>One piece of a macro-string: literal text or a macro-expand (RFC 7208 §7.1).</summary>
public abstract record MacroPart;

public sealed record MacroLiteral(string Text) : MacroPart;

/// <summary>
/// <c>%{ letter [digits] [r] [delimiters] }</c>. <see cref="Letter"/> is lower case; <see cref="UrlEscape"/>
/// is set when the letter was upper case (RFC 7208 §7.3). <see cref="Digits"/> 0 means "all parts".
/// </summary>
public sealed record MacroExpand(char Letter, bool UrlEscape, int Digits, bool Reverse, string Delimiters) : MacroPart;

/// <summary>A parsed macro-string (RFC 7208 §7.1 ABNF), ready for <see cref="MacroExpander"/>.</summary>
public sealed class MacroString
{
    private const string MacroLetters = "slodiphcrtv";
    private const string ExpOnlyLetters = "crt"; // RFC 7208 §7.2: allowed only in "exp" text
    private const string DelimiterChars = ".-+,/_=";

    private MacroString(string text, IReadOnlyList<MacroPart> parts)
    {
        Text = text;
        Parts = parts;
    }

    public string Text { get; }

    public IReadOnlyList<MacroPart> Parts { get; }

    /// <summary>True when the string ends with a macro-expand (which may stand for the whole domain-end).</summary>
    public bool EndsWithMacro => Parts.Count > 0 && Parts[^1] is MacroExpand;

    /// <summary>True when the string uses the sender's local-part (%{l}, or %{s}, which holds it).</summary>
    public bool UsesLocalPart => Parts.Any(p => p is MacroExpand { Letter: 'l' or 's' });

    public override string ToString() => Text;

    /// <summary>
    /// Parses a macro-string. <paramref name="explainString"/> allows spaces and the exp-only letters
    /// c, r, t (explain-string, RFC 7208 §6.2 / §7.2). Throws a permerror on bad syntax.
    /// </summary>
    public static MacroString Parse(string text, bool explainString = false)
    {
        var parts = new List<MacroPart>();
        var literal = new System.Text.StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '%')
            {
                var visible = c is >= '!' and <= '~';
                if (!visible && !(explainString && c == ' '))
                    throw SpfException.Perm($"invalid character in macro-string \"{text}\"");
                literal.Append(c);
                continue;
            }
            if (i + 1 >= text.Length) throw SpfException.Perm($"\"%\" at the end of \"{text}\"");
            var next = text[++i];
            switch (next)
            {
                case '%': literal.Append('%'); continue;
                case '_': literal.Append(' '); continue;
                case '-': literal.Append("%20"); continue;
                case '{': break;
                default: throw SpfException.Perm($"invalid macro \"%{next}\" in \"{text}\"");
            }
            var close = text.IndexOf('}', i + 1);
            if (close < 0) throw SpfException.Perm($"unterminated macro in \"{text}\"");
            var body = text.AsSpan(i + 1, close - i - 1);
            i = close;
            if (literal.Length > 0) { parts.Add(new MacroLiteral(literal.ToString())); literal.Clear(); }
            parts.Add(ParseExpand(body, text, explainString));
        }
        if (literal.Length > 0) parts.Add(new MacroLiteral(literal.ToString()));
        return new MacroString(text, parts);
    }

    private static MacroExpand ParseExpand(ReadOnlySpan<char> body, string text, bool explainString)
    {
        if (body.Length == 0) throw SpfException.Perm($"empty macro in \"{text}\"");
        var letter = char.ToLowerInvariant(body[0]);
        if (!MacroLetters.Contains(letter)) throw SpfException.Perm($"unknown macro letter '{body[0]}' in \"{text}\"");
        if (!explainString && ExpOnlyLetters.Contains(letter))
            throw SpfException.Perm($"macro letter '{body[0]}' is allowed only in exp text");
        var escape = char.IsUpper(body[0]);
        var pos = 1;
        var digits = 0;
        var hasDigits = false;
        while (pos < body.Length && char.IsAsciiDigit(body[pos]))
        {
            hasDigits = true;
            digits = Math.Min(digits * 10 + (body[pos] - '0'), 1000);
            pos++;
        }
        // RFC 7208 §7.3: "If a DIGIT is specified, the value MUST be nonzero."
        if (hasDigits && digits == 0) throw SpfException.Perm($"zero digit transformer in \"{text}\"");
        var reverse = false;
        if (pos < body.Length && (body[pos] == 'r' || body[pos] == 'R')) { reverse = true; pos++; }
        var delimiters = body[pos..];
        foreach (var d in delimiters)
        {
            if (!DelimiterChars.Contains(d)) throw SpfException.Perm($"invalid delimiter '{d}' in \"{text}\"");
        }
        return new MacroExpand(letter, escape, digits, reverse, delimiters.Length == 0 ? "." : delimiters.ToString());
    }
}
