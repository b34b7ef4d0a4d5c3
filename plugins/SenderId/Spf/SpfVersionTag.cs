namespace Milters.SenderId.Spf;

/// <summary>
/// The version section that starts a record: "v=spf1" (RFC 7208 §4.5) or "spf2.N/scope,scope"
/// (RFC 4406 §3.1). A record is only considered when its version section is well formed and is followed
/// by a space or the end of the record.
/// </summary>
public sealed record SpfVersionTag(bool IsSpf1, IReadOnlyList<string> Scopes, int Length)
{
    public const string Spf1 = "v=spf1";

    /// <summary>True for a "v=spf1" record, or an "spf2" record naming <paramref name="scope"/> (complete token match, RFC 4406 §4.4 step 3).</summary>
    public bool Covers(string scope) => IsSpf1 || Scopes.Any(s => s.Equals(scope, StringComparison.OrdinalIgnoreCase));

    public static bool TryRead(string record, out SpfVersionTag tag)
    {
        tag = null!;
        var end = record.IndexOf(' ');
        var version = end < 0 ? record : record[..end];
        if (version.Equals(Spf1, StringComparison.OrdinalIgnoreCase))
        {
            tag = new SpfVersionTag(true, Array.Empty<string>(), version.Length);
            return true;
        }
        // version = "spf2." ver-minor scope; scope = "/" scope-id *( "," scope-id ) (RFC 4406 §3.1)
        if (!version.StartsWith("spf2.", StringComparison.OrdinalIgnoreCase)) return false;
        var slash = version.IndexOf('/');
        if (slash < 0) return false;
        var minor = version.AsSpan(5, slash - 5);
        if (minor.Length == 0) return false;
        foreach (var c in minor) if (!char.IsAsciiDigit(c)) return false;
        var scopes = version[(slash + 1)..].Split(',');
        foreach (var s in scopes)
        {
            // scope-id = "mfrom" / "pra" / name; name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
            if (s.Length == 0 || !char.IsAsciiLetter(s[0])) return false;
            foreach (var c in s) if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) return false;
        }
        tag = new SpfVersionTag(false, scopes, version.Length);
        return true;
    }
}
