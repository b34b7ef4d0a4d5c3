using System.Security.Cryptography;
using Milters.Abstractions;

namespace Milters.Fuzz;

/// <summary>One signing key for example.com (selector "sel"), made at start: the session target signs and verifies with it.</summary>
public sealed class SessionKeys : ISigningKeyTable
{
    private static readonly RSA Key = RSA.Create(1024);

    public static string PublicKeyBase64 => Convert.ToBase64String(Key.ExportSubjectPublicKeyInfo());

    private readonly SigningKey[] keys = [new SigningKey("example.com", "sel", "(in memory)", Key)];

    public IReadOnlyList<SigningKey> AllKeys => keys;

    public IReadOnlyList<SigningKey> FindKeys(string signingAddress) =>
        signingAddress.EndsWith("@example.com", StringComparison.OrdinalIgnoreCase) ? keys : [];
}
