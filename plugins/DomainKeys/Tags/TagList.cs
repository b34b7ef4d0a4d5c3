namespace Milters.DomainKeys.Tags;

/// <summary>
/// A DomainKeys tag=value list (RFC 4870 §3.2.3 for key records, §3.3 for DomainKey-Signature):
/// tags separated by ";", folding white space allowed around names, "=" and values; an empty element
/// (e.g. after a trailing ";") is allowed. Values are returned trimmed; inner white space is kept (callers
/// that need it gone, like b= and p=, strip it).
/// </summary>
internal sealed class TagList
{
    private readonly List<KeyValuePair<string, string>> tags;

    private TagList(List<KeyValuePair<string, string>> tags) => this.tags = tags;

    public IReadOnlyList<KeyValuePair<string, string>> Tags => tags;

    /// <summary>The value of a tag (names are case-sensitive, as in RFC 4870), or null when absent.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var t in tags)
                if (t.Key == name) return t.Value;
            return null;
        }
    }

    public bool Contains(string name) => this[name] is not null;

    /// <summary>
    /// Parses <paramref name="text"/>. Fails on an element without "=". Of a tag given
    /// twice the last counts: RFC 4870 does not say, and Mail::DKIM, the DomainKeys reference, reads it so (a
    /// damaged signature whose a= became a second s= then verifies or fails on its merits on both sides).
    /// </summary>
    public static bool TryParse(string text, out TagList list, out string? error)
    {
        // Walked as spans: only names and values become strings (a signature is parsed for every message).
        var result = new List<KeyValuePair<string, string>>(8);
        list = new TagList(result);
        var rest = text.AsSpan();
        while (true)
        {
            var semicolon = rest.IndexOf(';');
            var spec = (semicolon < 0 ? rest : rest[..semicolon]).Trim(FoldingWhiteSpace);
            if (spec.Length > 0)
            {
                var eq = spec.IndexOf('=');
                if (eq < 0)
                {
                    error = $"tag without '=': \"{Shorten(spec.ToString())}\"";
                    return false;
                }
                // A name outside RFC 4870's grammar (tag-name = ALPHA *ALNUMPUNC: "x-y", "1a") is one no verifier
                // knows, so it is ignored like any unrecognized tag, as Mail::DKIM, the DomainKeys reference, does:
                // refusing the whole signature or key record for it made mail fail here that passes elsewhere.
                var nameSpan = spec[..eq].Trim(FoldingWhiteSpace);
                var name = nameSpan.Length == 1 && nameSpan[0] < 128 ? SingleLetterNames[nameSpan[0]] : nameSpan.ToString();
                for (var i = result.Count - 1; i >= 0; i--)
                    if (result[i].Key == name) result.RemoveAt(i);
                result.Add(new(name, spec[(eq + 1)..].Trim(FoldingWhiteSpace).ToString()));
            }
            if (semicolon < 0) break;
            rest = rest[(semicolon + 1)..];
        }
        error = null;
        return true;
    }

    /// <summary>Removes folding white space (SP, HTAB, CR, LF) anywhere: for base64 values (b=, p=).</summary>
    public static string RemoveWhiteSpace(string value)
    {
        if (value.AsSpan().IndexOfAny(" \t\r\n") < 0) return value;
        return string.Create(value.Length - Count(value), value, static (dest, src) =>
        {
            var i = 0;
            foreach (var c in src)
                if (!IsWhiteSpace(c)) dest[i++] = c;
        });
    }

    private static int Count(string value)
    {
        var n = 0;
        foreach (var c in value)
            if (IsWhiteSpace(c)) n++;
        return n;
    }

    private static bool IsWhiteSpace(char c) => c is ' ' or '\t' or '\r' or '\n';

    private const string FoldingWhiteSpace = " \t\r\n";

    // Every DomainKeys tag name is one letter: the same string each time rather than a new one per tag.
    private static readonly string[] SingleLetterNames = Enumerable.Range(0, 128).Select(c => ((char)c).ToString()).ToArray();

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
