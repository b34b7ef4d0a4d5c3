using System.Text;

namespace Milters.AuthResults.Syntax;

/// <summary>
/// Finds the authserv-id of an existing Authentication-Results field without requiring the rest to be
/// valid. RFC 8601 §5 removal must not depend on the forger writing a conformant header: a receiver's
/// lenient parser (MimeKit, Mail::AuthenticationResults) would still trust "example.com; dkim=pass foo"
/// or "example.com 1 (x); spf=pass smtp.mailfrom=a/b". So this reads only the leading part: comments
/// (nested, with quoted-pairs), folding, then a quoted-string (escapes resolved; an unterminated one runs
/// to the end) or the run of characters up to white space, "(", ";" or a line break.
/// </summary>
internal static class AuthservIdReader
{
    /// <summary>The authserv-id as written (quotes removed), or null when there is none to read.</summary>
    public static string? Read(string value) => Read(value, out _);

    /// <summary>
    /// The authserv-id, and the authres-version after it when there is one (digits, then only CFWS before the
    /// ";" or the end): RFC 8601 §5 wants a field of a version we do not know removed whatever its id.
    /// </summary>
    public static string? Read(string value, out string? version)
    {
        version = null;
        var i = 0;
        if (!SkipWhiteSpaceAndComments(value, ref i) || i >= value.Length) return null;

        string? id;
        if (value[i] == '"')
        {
            var sb = new StringBuilder();
            for (i++; i < value.Length && value[i] != '"'; i++)
            {
                if (value[i] == '\\' && i + 1 < value.Length) i++;
                if (value[i] is not ('\r' or '\n')) sb.Append(value[i]);
            }
            i++;
            id = sb.Length > 0 ? sb.ToString() : null;
        }
        else
        {
            var start = i;
            while (i < value.Length && !char.IsWhiteSpace(value[i]) && value[i] is not ('(' or ';' or '"')) i++;
            id = i > start ? value[start..i] : null;
        }

        if (id is not null && SkipWhiteSpaceAndComments(value, ref i))
        {
            var digits = i;
            while (i < value.Length && char.IsAsciiDigit(value[i])) i++;
            var end = i;
            if (end > digits && SkipWhiteSpaceAndComments(value, ref i) && (i >= value.Length || value[i] == ';'))
                version = value[digits..end];
        }
        return id;
    }

    /// <summary>False when a comment never ends (then nothing after it can be told apart from the comment).</summary>
    private static bool SkipWhiteSpaceAndComments(string s, ref int i)
    {
        while (i < s.Length)
        {
            if (char.IsWhiteSpace(s[i])) { i++; continue; }
            if (s[i] != '(') return true;
            var depth = 0;
            for (; i < s.Length; i++)
            {
                if (s[i] == '\\') { i++; continue; }
                if (s[i] == '(') depth++;
                else if (s[i] == ')' && --depth == 0) break;
            }
            if (i >= s.Length) return false;
            i++;
        }
        return true;
    }
}
