using System.Net;
using System.Text;

namespace Milters.SenderId.Spf;

/// <summary>
/// The arguments of check_host() (RFC 7208 §4.1, RFC 4406 §4.1): the client IP, the identity whose
/// domain is checked (local@domain; a bare domain for a HELO check), the HELO name and the scope.
/// </summary>
public sealed record SpfRequest(IPAddress Ip, string Identity, string Helo, SpfScope Scope = SpfScope.Spf)
{
    /// <summary>
    /// The MAIL FROM check; for the null sender the HELO name stands in, as postmaster@helo (RFC 7208 §2.4).
    /// </summary>
    public static SpfRequest ForMailFrom(IPAddress ip, string mailFrom, string helo, SpfScope scope = SpfScope.Spf) =>
        string.IsNullOrEmpty(mailFrom) ? ForHelo(ip, helo, scope) : new(ip, mailFrom, helo, scope);

    /// <summary>The HELO identity (RFC 7208 §2.3), or the HELO name standing in for the null reverse-path.</summary>
    public static SpfRequest ForHelo(IPAddress ip, string helo, SpfScope scope = SpfScope.Spf) =>
        new(ip, helo, helo, scope) { IsHeloIdentity = true };

    /// <summary>
    /// The sender as local@domain: an identity without "@" is a domain (postmaster, RFC 7208 §4.3); an empty
    /// local-part becomes postmaster; an internationalized domain is in A-labels (RFC 7208 §4.3), so the
    /// lookups and the %{d}/%{o} macros use the name DNS knows.
    /// </summary>
    public string Sender
    {
        get
        {
            var at = Identity.LastIndexOf('@');
            if (at > 0 && Ascii.IsValid(Identity.AsSpan(at + 1))) return Identity;
            return (at <= 0 ? "postmaster" : Identity[..at]) + "@" + DomainSpec.ToALabels(Identity[(at + 1)..]);
        }
    }

    /// <summary>The domain check_host() starts with.</summary>
    public string Domain => Sender[(Sender.LastIndexOf('@') + 1)..];

    /// <summary>
    /// %{r}, the name of the host performing the check (RFC 7208 §7.3); null for the evaluator's configured name.
    /// </summary>
    public string? Receiver { get; init; }

    /// <summary>
    /// True when the identity is the HELO name (smtp.helo in RFC 8601 terms, identity=helo in Received-SPF);
    /// a MAIL FROM without "@" is still the mailfrom identity, checked as postmaster@that name.
    /// </summary>
    public bool IsHeloIdentity { get; init; }

    /// <summary>
    /// What RFC 8601 §2.7.2 wants reported for this identity: the domain alone, unless the policy used the
    /// local-part (a %{l} or %{s} macro), since SPF does not authenticate it otherwise.
    /// </summary>
    public string ReportedIdentity(bool localPartUsed)
    {
        if (localPartUsed || IsHeloIdentity) return Identity;
        var at = Identity.LastIndexOf('@');
        return at < 0 ? Identity : Identity[(at + 1)..];
    }
}
