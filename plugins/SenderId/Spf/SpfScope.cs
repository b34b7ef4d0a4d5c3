namespace Milters.SenderId.Spf;

/// <summary>Which identity is checked and so which records apply.</summary>
public enum SpfScope
{
    /// <summary>Plain SPF (RFC 7208): MAIL FROM or HELO identity, "v=spf1" records only.</summary>
    Spf,
    /// <summary>Sender ID "mfrom" scope (RFC 4406 §4.4): spf2.0 records naming mfrom, else v=spf1.</summary>
    Mfrom,
    /// <summary>Sender ID "pra" scope (RFC 4406 §4.4, RFC 4407): spf2.0 records naming pra, else v=spf1 (if allowed).</summary>
    Pra,
}

public static class SpfScopes
{
    /// <summary>The scope-id of RFC 4406 §3.1 ("mfrom", "pra"); plain SPF checks the MAIL FROM identity.</summary>
    public static string ScopeId(this SpfScope scope) => scope == SpfScope.Pra ? "pra" : "mfrom";
}
