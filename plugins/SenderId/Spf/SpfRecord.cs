using System.Net;

namespace Milters.SenderId.Spf;

/// <summary>Mechanisms of RFC 7208 §5.</summary>
public enum SpfMechanismKind
{
    All,
    Include,
    A,
    Mx,
    Ptr,
    Ip4,
    Ip6,
    Exists,
}

/// <summary>
/// One directive: qualifier + mechanism. <see cref="Domain"/> is the domain-spec (null = the current
/// domain, for a, mx, ptr); <see cref="Network"/> is the ip4/ip6 network; <see cref="Ip4Cidr"/> and
/// <see cref="Ip6Cidr"/> are the (dual) CIDR lengths, defaulting to 32 and 128.
/// </summary>
public sealed record SpfDirective(
    SpfQualifier Qualifier,
    SpfMechanismKind Kind,
    MacroString? Domain = null,
    IPAddress? Network = null,
    int Ip4Cidr = 32,
    int Ip6Cidr = 128)
{
    /// <summary>Terms that count toward the limit of 10 DNS-querying terms (RFC 7208 §4.6.4).</summary>
    public bool QueriesDns => Kind is SpfMechanismKind.Include or SpfMechanismKind.A or SpfMechanismKind.Mx
        or SpfMechanismKind.Ptr or SpfMechanismKind.Exists;
}

/// <summary>An unknown modifier (name=macro-string), kept for completeness; RFC 7208 §6 says to ignore it.</summary>
public sealed record SpfModifier(string Name, MacroString Value);

/// <summary>
/// A parsed SPF record (v=spf1, RFC 7208 §4.6) or Sender ID record (spf2.0/scopes, RFC 4406 §3):
/// directives in order plus the global modifiers redirect= and exp= (RFC 7208 §6).
/// </summary>
public sealed record SpfRecord(
    string Text,
    IReadOnlyList<SpfDirective> Directives,
    MacroString? Redirect,
    MacroString? Explanation,
    IReadOnlyList<SpfModifier> OtherModifiers)
{
    /// <summary>RFC 7208 §6.1: redirect is used only when no mechanism matched; "all" always matches, so it wins.</summary>
    public bool HasAll => Directives.Any(d => d.Kind == SpfMechanismKind.All);
}
