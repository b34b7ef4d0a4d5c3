namespace Milters.AuthResults.Syntax;

/// <summary>
/// Decides whether an authserv-id names us. RFC 8601 §2.5 compares authserv-ids case-insensitively;
/// beyond that a forger gains nothing from a form a reader would still take for ours, so a trailing
/// root dot ("example.com.") is ignored as well, and a name compares in its A-label form (RFC 8601 §5: an
/// internationalized authserv-id is the same in U-labels and A-labels).
/// </summary>
internal sealed class AuthservIdMatcher
{
    private readonly HashSet<string> ours;

    public AuthservIdMatcher(IEnumerable<string> ourIds)
    {
        ours = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var id in ourIds)
        {
            var n = Normalize(id);
            if (n.Length > 0) ours.Add(n);
        }
    }

    public bool IsOurs(string? authservId) => authservId is not null && ours.Contains(Normalize(authservId));

    private static readonly System.Globalization.IdnMapping Idn = new();

    private static string Normalize(string id)
    {
        var s = id.Trim();
        s = s.Length > 1 && s[^1] == '.' ? s[..^1] : s;
        return ToAscii(s);
    }

    /// <summary>The A-label form of a domain name; anything that is not one is left as it is.</summary>
    public static string ToAscii(string name)
    {
        if (System.Text.Ascii.IsValid(name)) return name;
        try
        {
            return Idn.GetAscii(name.ToLowerInvariant());
        }
        catch (ArgumentException)
        {
            return name;
        }
    }
}
