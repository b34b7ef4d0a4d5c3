namespace Milters.AuthResults.Syntax;

/// <summary>
/// Character classes and small productions that RFC 8601 §2.2 borrows from other RFCs. With
/// <c>utf8</c> set, the RFC 6532 / RFC 8616 extensions apply: non-ASCII characters are allowed wherever
/// those RFCs add UTF8-non-ascii (qtext, ctext, atext), and nowhere else (not in token, Keyword or
/// domain-name).
/// </summary>
internal static class Grammar
{
    /// <summary>tspecials, RFC 2045 §5.1.</summary>
    private const string TSpecials = "()<>@,;:\\\"/[]?=";

    /// <summary>atext specials besides ALPHA and DIGIT, RFC 5322 §3.2.3.</summary>
    private const string AtextSpecials = "!#$%&'*+-/=?^_`{|}~";

    public static bool IsWsp(char c) => c is ' ' or '\t';

    public static bool IsAsciiDigit(char c) => c is >= '0' and <= '9';

    public static bool IsAsciiLetterOrDigit(char c) => char.IsAsciiLetterOrDigit(c);

    /// <summary>A CTL of RFC 5234 (or DEL), or a C1 control: never allowed unescaped in a header.</summary>
    public static bool IsControl(char c) => c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0);

    /// <summary>RFC 6532 UTF8-non-ascii, as seen in a decoded string (C1 controls excluded).</summary>
    public static bool IsUtf8NonAscii(char c) => c >= 0xA0;

    /// <summary>token character, RFC 2045 §5.1: US-ASCII except SPACE, CTLs and tspecials.</summary>
    public static bool IsTokenChar(char c) => c > 0x20 && c < 0x7F && TSpecials.IndexOf(c) < 0;

    /// <summary>atext, RFC 5322 §3.2.3 (+ UTF8-non-ascii, RFC 6532 §3.2).</summary>
    public static bool IsAtext(char c, bool utf8) =>
        char.IsAsciiLetterOrDigit(c) || AtextSpecials.IndexOf(c) >= 0 || (utf8 && IsUtf8NonAscii(c));

    /// <summary>qtext, RFC 5322 §3.2.4 (+ UTF8-non-ascii).</summary>
    public static bool IsQtext(char c, bool utf8) =>
        c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126) || (utf8 && IsUtf8NonAscii(c));

    /// <summary>ctext, RFC 5322 §3.2.2 (+ UTF8-non-ascii).</summary>
    public static bool IsCtext(char c, bool utf8) =>
        (c >= 33 && c <= 39) || (c >= 42 && c <= 91) || (c >= 93 && c <= 126) || (utf8 && IsUtf8NonAscii(c));

    /// <summary>VCHAR / WSP: what may follow a backslash in quoted-pair (RFC 5322 §3.2.1).</summary>
    public static bool IsQuotedPairChar(char c, bool utf8) =>
        (c >= 0x21 && c <= 0x7E) || IsWsp(c) || (utf8 && IsUtf8NonAscii(c));

    /// <summary>token, RFC 2045 §5.1.</summary>
    public static bool IsToken(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (var c in s) if (!IsTokenChar(c)) return false;
        return true;
    }

    /// <summary>Keyword = Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig (RFC 5321 §4.1.2).</summary>
    public static bool IsKeyword(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || s[^1] == '-') return false;
        foreach (var c in s) if (!(char.IsAsciiLetterOrDigit(c) || c == '-')) return false;
        return true;
    }

    /// <summary>Length of the longest Keyword-shaped run (ALPHA / DIGIT / "-") at the start of <paramref name="s"/>.</summary>
    public static int LdhRun(ReadOnlySpan<char> s)
    {
        var n = 0;
        while (n < s.Length && (char.IsAsciiLetterOrDigit(s[n]) || s[n] == '-')) n++;
        return n;
    }

    /// <summary>sub-domain = Let-dig [Ldh-str] (RFC 5321 §4.1.2).</summary>
    public static bool IsSubDomain(ReadOnlySpan<char> s) =>
        !s.IsEmpty && char.IsAsciiLetterOrDigit(s[0]) && IsKeyword(s);

    /// <summary>domain-name = sub-domain 1*("." sub-domain) (RFC 6376 §3.5): at least two labels.</summary>
    public static bool IsDomainName(ReadOnlySpan<char> s)
    {
        var labels = 0;
        foreach (var range in s.Split('.'))
        {
            if (!IsSubDomain(s[range])) return false;
            labels++;
        }
        return labels >= 2;
    }

    /// <summary>dot-atom-text = 1*atext *("." 1*atext) (RFC 5322 §3.2.3).</summary>
    public static bool IsDotAtomText(ReadOnlySpan<char> s, bool utf8)
    {
        if (s.IsEmpty) return false;
        foreach (var range in s.Split('.'))
        {
            var part = s[range];
            if (part.IsEmpty) return false;
            foreach (var c in part) if (!IsAtext(c, utf8)) return false;
        }
        return true;
    }
}
