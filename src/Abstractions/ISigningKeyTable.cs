using System.Security.Cryptography;

namespace Milters.Abstractions;

/// <summary>
/// One signing key: the signing domain (d=), the selector (s=) and the private key, loaded by the host.
/// The <see cref="RSA"/> instance is shared across connections; .NET's OpenSSL-backed RSA is safe for
/// concurrent SignData calls.
/// </summary>
public sealed record SigningKey(string Domain, string Selector, string KeyFile, RSA PrivateKey)
{
    public int KeySizeBits => PrivateKey.KeySize;

    public override string ToString() => $"{Selector}._domainkey.{Domain} ({KeyFile}, {KeySizeBits} bits)";
}

/// <summary>
/// The host's central key table (domain, selector, key file, which senders use it), shared by every
/// signing plugin (DomainKeys now, DKIM later) and re-read on SIGHUP.
/// </summary>
public interface ISigningKeyTable
{
    /// <summary>
    /// Every entry whose sender pattern matches <paramref name="signingAddress"/> (local@domain), in table order
    /// (only the first of them when the administrator set Keys:MultipleSignatures to false).
    /// Patterns as in OpenDKIM's SigningTable: "*@example.com", "user@example.com", "example.com"
    /// (the domain and, when subdomain signing is on, its subdomains), "*".
    /// </summary>
    IReadOnlyList<SigningKey> FindKeys(string signingAddress);

    /// <summary>All loaded keys, in table order.</summary>
    IReadOnlyList<SigningKey> AllKeys { get; }
}
