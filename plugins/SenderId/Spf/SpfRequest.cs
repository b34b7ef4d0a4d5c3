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
        new(ip, string.IsNullOrEmpty(mailFrom) ? helo : mailFrom, helo, scope);

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

    /// <summary>True when the HELO name stands in for a null reverse-path (smtp.helo in RFC 8601 terms).</summary>
    public bool IsHeloIdentity => !Identity.Contains('@');
}
