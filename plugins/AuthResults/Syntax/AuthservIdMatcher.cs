namespace Milters.AuthResults.Syntax;

/// <summary>
/// Decides whether an authserv-id names us. RFC 8601 §2.5 compares authserv-ids case-insensitively;
/// beyond that a forger gains nothing from a form a reader would still take for ours, so a trailing
/// root dot ("example.com.") is ignored as well.
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

    private static string Normalize(string id)
    {
        var s = id.Trim();
        return s.Length > 1 && s[^1] == '.' ? s[..^1] : s;
    }
}
