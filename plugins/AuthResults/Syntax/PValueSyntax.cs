using System.Text;
using Milters.Abstractions;

namespace Milters.AuthResults.Syntax;

/// <summary>
/// How a value is written so that it parses back to exactly itself (RFC 8601 §2.2). MimeKit's writer is
/// not used here: it quotes every value that contains a tspecial, so identities would come out as
/// <c>smtp.mailfrom="user@example.com"</c> although RFC 8601 §2.2 says an email identity MUST use the
/// <c>[local-part] "@" domain-name</c> form, and it writes the authserv-id bare even when it is not a token.
/// </summary>
internal static class PValueSyntax
{
    /// <summary>quoted-string with DQUOTE and backslash escaped as quoted-pairs (RFC 5322 §3.2.4).</summary>
    public static string QuoteString(string content)
    {
        var sb = new StringBuilder(content.Length + 2).Append('"');
        foreach (var c in content)
        {
            if (c is '"' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    /// <summary>RFC 2045 value (authserv-id, reason): a token when it is one, else a quoted-string.</summary>
    public static string Value(string value) => Grammar.IsToken(value) ? value : QuoteString(value);

    /// <summary>
    /// pvalue: a token as is; an identity <c>[ dot-atom "@" ] domain-name</c> as is (RFC 8601 §2.2: an identity
    /// MUST use that form); anything else (":" of an IPv6 address, "/", spaces, a domain that is no
    /// domain-name …) as one quoted-string. That includes a local-part that itself needs quoting:
    /// <c>"john doe"@example.com</c> is also valid bare, but MimeKit's reader then rejects the whole field,
    /// while <c>"\"john doe\"@example.com"</c> is read by every parser we test against.
    /// </summary>
    public static string PValue(string value)
    {
        if (Grammar.IsToken(value)) return value;
        return IsIdentity(value) ? value : QuoteString(value);
    }

    /// <summary>True when <paramref name="value"/> is <c>[ [ dot-atom-text ] "@" ] domain-name</c> (UTF-8 local-parts per RFC 8616).</summary>
    public static bool IsIdentity(string value)
    {
        var at = value.LastIndexOf('@');
        if (at < 0 || !Grammar.IsDomainName(value.AsSpan(at + 1))) return false;
        return at == 0 || Grammar.IsDotAtomText(value.AsSpan(0, at), utf8: true);
    }

    /// <summary>Human text (reason, comment): sanitized, runs of white space collapsed, trimmed.</summary>
    public static string NormalizeText(string text)
    {
        var s = HeaderText.Sanitize(text);
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            if (c == ' ' && (sb.Length == 0 || sb[^1] == ' ')) continue;
            sb.Append(c);
        }
        if (sb.Length > 0 && sb[^1] == ' ') sb.Length--;
        return sb.ToString();
    }
}
