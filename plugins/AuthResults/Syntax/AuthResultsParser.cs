namespace Milters.AuthResults.Syntax;

/// <summary>
/// A strict parser for the Authentication-Results field (RFC 8601 §2.2 ABNF, with the RFC 8616 UTF-8
/// extensions when <c>utf8</c> is on). Strict on purpose: MimeKit's <c>AuthenticationResults.TryParse</c>
/// also accepts shapes outside the grammar (tspecials such as "/" and ":" in unquoted property values, an
/// Office 365 authserv-id before each result, "ptype"-less properties), and our checks of what we write
/// must tell a conformant header from one that only a forgiving reader understands. Deciding which
/// headers to remove never depends on this parser (see <see cref="AuthservIdReader"/>).
/// </summary>
internal static class AuthResultsParser
{
    public const string FieldName = "Authentication-Results";

    /// <summary>Parses a whole field, "Authentication-Results:" included (the name is case-insensitive).</summary>
    public static bool TryParseField(string field, out AuthResultsHeader? header, out string? error, bool utf8 = true)
    {
        var colon = field.IndexOf(':');
        if (colon < 0 || !field.AsSpan(0, colon).TrimEnd(" \t").Equals(FieldName, StringComparison.OrdinalIgnoreCase))
        {
            header = null;
            error = "not an Authentication-Results field";
            return false;
        }
        return TryParse(field[(colon + 1)..], out header, out error, utf8);
    }

    /// <summary>Parses a field value (everything after the colon).</summary>
    public static bool TryParse(string value, out AuthResultsHeader? header, out string? error, bool utf8 = true)
    {
        var cursor = new HeaderCursor(value, utf8);
        error = Parse(ref cursor, out header);
        if (error is null) return true;
        error = $"{error} at offset {cursor.Position}";
        header = null;
        return false;
    }

    public static AuthResultsHeader Parse(string value, bool utf8 = true) =>
        TryParse(value, out var header, out var error, utf8) ? header! : throw new FormatException(error);

    private static string? Parse(ref HeaderCursor c, out AuthResultsHeader? header)
    {
        header = null;
        if (!c.SkipCfws()) return "malformed comment";

        // authserv-id = value (token / quoted-string)
        string authservId;
        if (c.Peek == '"')
        {
            if (!c.TryReadQuotedString(out authservId)) return "malformed quoted authserv-id";
        }
        else
        {
            authservId = c.ReadWhile(Grammar.IsTokenChar).ToString();
            if (authservId.Length == 0) return "missing authserv-id";
        }

        if (!c.SkipCfws(out var gap)) return "malformed comment";
        int? version = null;
        if (gap && Grammar.IsAsciiDigit(c.Peek))
        {
            // authres-version = 1*DIGIT [CFWS]
            if (!c.TryReadNumber(out var v)) return "bad authres-version";
            version = v;
            if (!c.SkipCfws()) return "malformed comment";
        }

        var results = new List<ResInfo>();
        while (true)
        {
            if (!c.TryConsume(';')) return c.AtEnd ? "missing \";\"" : "unexpected character after authserv-id or result";
            if (!c.SkipCfws()) return "malformed comment";

            if (results.Count == 0 && IsNoResult(ref c))
            {
                header = new AuthResultsHeader(authservId, version, results);
                return null;
            }

            var error = ParseResInfo(ref c, out var resinfo);
            if (error is not null) return error;
            results.Add(resinfo!);

            if (c.AtEnd)
            {
                header = new AuthResultsHeader(authservId, version, results);
                return null;
            }
        }
    }

    /// <summary>no-result: "none" and nothing after it but CFWS (RFC 8601 §2.2). Leaves the cursor alone otherwise.</summary>
    private static bool IsNoResult(ref HeaderCursor c)
    {
        var start = c.Position;
        if (c.TryReadKeyword(out var word) && word.Equals("none", StringComparison.OrdinalIgnoreCase)
            && c.SkipCfws() && c.AtEnd)
            return true;
        c.Position = start;
        return false;
    }

    /// <summary>methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ], then the CFWS before ";" or the end.</summary>
    private static string? ParseResInfo(ref HeaderCursor c, out ResInfo? resinfo)
    {
        resinfo = null;

        // methodspec = [CFWS] method [CFWS] "=" [CFWS] result ; method = Keyword [ [CFWS] "/" [CFWS] method-version ]
        if (!c.TryReadKeyword(out var method)) return "bad method";
        if (!c.SkipCfws()) return "malformed comment";
        int? methodVersion = null;
        if (c.TryConsume('/'))
        {
            if (!c.SkipCfws()) return "malformed comment";
            if (!c.TryReadNumber(out var mv)) return "bad method-version";
            methodVersion = mv;
            if (!c.SkipCfws()) return "malformed comment";
        }
        if (!c.TryConsume('=')) return "missing \"=\" after method";
        if (!c.SkipCfws()) return "malformed comment";
        if (!c.TryReadKeyword(out var result)) return "bad result";
        if (!c.SkipCfws(out var gap)) return "malformed comment";

        // reasonspec = "reason" [CFWS] "=" [CFWS] value
        string? reason = null;
        if (gap && IsReasonSpec(ref c))
        {
            if (!c.SkipCfws()) return "malformed comment";
            if (c.Peek == '"')
            {
                if (!c.TryReadQuotedString(out reason)) return "malformed quoted reason";
            }
            else
            {
                reason = c.ReadWhile(Grammar.IsTokenChar).ToString();
                if (reason.Length == 0) return "missing reason value";
            }
            if (!c.SkipCfws(out gap)) return "malformed comment";
        }

        var properties = new List<PropSpec>();
        while (!c.AtEnd && c.Peek != ';')
        {
            if (!gap && properties.Count == 0) return "missing white space before propspec";
            var error = ParsePropSpec(ref c, out var prop);
            if (error is not null) return error;
            properties.Add(prop!);
        }

        resinfo = new ResInfo(method, methodVersion, result, reason, properties);
        return null;
    }

    /// <summary>At "reason" followed by "=": consumes both. A ptype called "reason" (followed by ".") is left alone.</summary>
    private static bool IsReasonSpec(ref HeaderCursor c)
    {
        var start = c.Position;
        if (c.TryReadKeyword(out var word) && word.Equals("reason", StringComparison.OrdinalIgnoreCase)
            && c.SkipCfws() && c.TryConsume('='))
            return true;
        c.Position = start;
        return false;
    }

    /// <summary>propspec = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue, and the CFWS after it.</summary>
    private static string? ParsePropSpec(ref HeaderCursor c, out PropSpec? prop)
    {
        prop = null;
        if (!c.TryReadKeyword(out var ptype)) return "bad ptype";
        if (!c.SkipCfws()) return "malformed comment";
        if (!c.TryConsume('.')) return "missing \".\" after ptype";
        if (!c.SkipCfws()) return "malformed comment";
        if (!c.TryReadKeyword(out var property)) return "bad property";
        if (!c.SkipCfws()) return "malformed comment";
        if (!c.TryConsume('=')) return "missing \"=\" after property";
        if (!c.SkipCfws()) return "malformed comment";

        var error = ParsePValue(ref c, out var value);
        if (error is not null) return error;
        if (!c.SkipCfws()) return "malformed comment";
        prop = new PropSpec(ptype, property, value!);
        return null;
    }

    /// <summary>
    /// pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS] (RFC 8601 §2.2). An identity
    /// keeps its written form ("user@example.com", "\"a b\"@example.com"); a quoted-string alone gives its content.
    /// </summary>
    private static string? ParsePValue(ref HeaderCursor c, out string? value)
    {
        value = null;
        var start = c.Position;

        if (c.Peek == '"')
        {
            if (!c.TryReadQuotedString(out var quoted)) return "malformed quoted value";
            if (!c.TryConsume('@'))
            {
                value = quoted;
                return EndOfValue(ref c);
            }
            // quoted-string local-part "@" domain-name
            if (!TryReadDomainName(ref c, out var domain)) return "bad domain-name after quoted local-part";
            value = PValueSyntax.QuoteString(quoted) + "@" + domain;
            return EndOfValue(ref c);
        }

        if (c.TryConsume('@'))
        {
            if (!TryReadDomainName(ref c, out var domain)) return "bad domain-name after \"@\"";
            value = "@" + domain;
            return EndOfValue(ref c);
        }

        // dot-atom local-part "@" domain-name, else a token
        var utf8 = c.Utf8;
        var local = c.ReadWhile(ch => ch == '.' || Grammar.IsAtext(ch, utf8));
        if (c.Peek == '@' && Grammar.IsDotAtomText(local, utf8))
        {
            var localText = local.ToString();
            c.TryConsume('@');
            if (TryReadDomainName(ref c, out var domain))
            {
                value = localText + "@" + domain;
                return EndOfValue(ref c);
            }
        }

        c.Position = start;
        var token = c.ReadWhile(Grammar.IsTokenChar);
        if (token.IsEmpty) return "bad property value";
        value = token.ToString();
        return EndOfValue(ref c);
    }

    /// <summary>A value ends at CFWS, ";", the end, or (after a quoted-string) the next propspec.</summary>
    private static string? EndOfValue(ref HeaderCursor c)
    {
        var next = c.Peek;
        if (c.AtEnd || next is ';' or '(' or ' ' or '\t' or '\r' or '\n' || char.IsAsciiLetterOrDigit(next) || next == '-')
            return null;
        return "unexpected character in property value";
    }

    private static bool TryReadDomainName(ref HeaderCursor c, out string domain)
    {
        var start = c.Position;
        var run = c.ReadWhile(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '.');
        if (Grammar.IsDomainName(run))
        {
            domain = run.ToString();
            return true;
        }
        c.Position = start;
        domain = "";
        return false;
    }
}
