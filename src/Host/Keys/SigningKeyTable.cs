using Microsoft.Extensions.Logging;
using Milters.Abstractions;

namespace Milters.Host.Keys;

/// <summary>The loaded key table: every key read at start-up (or reload), looked up by sender address.</summary>
public sealed class SigningKeyTable : ISigningKeyTable
{
    private readonly (SigningKey Key, IReadOnlyList<SenderPattern> Senders)[] entries;

    /// <summary>False: only the first matching entry signs (Keys:MultipleSignatures).</summary>
    private readonly bool multipleSignatures;

    private SigningKeyTable((SigningKey Key, IReadOnlyList<SenderPattern> Senders)[] entries, bool multipleSignatures = true)
    {
        this.entries = entries;
        this.multipleSignatures = multipleSignatures;
        AllKeys = entries.Select(e => e.Key).ToArray();
    }

    public static SigningKeyTable Empty { get; } = new([]);

    public IReadOnlyList<SigningKey> AllKeys { get; }

    /// <summary>Reads every key file; the first failure is a start-up (or reload) error naming the file.</summary>
    public static SigningKeyTable Load(KeyTableOptions options, ILogger logger)
    {
        var loaded = new List<(SigningKey, IReadOnlyList<SenderPattern>)>();
        var rsaByFile = new Dictionary<string, System.Security.Cryptography.RSA>(StringComparer.Ordinal);
        foreach (var entry in options.Entries)
        {
            if (!rsaByFile.TryGetValue(entry.KeyFile, out var rsa))
            {
                rsa = KeyFileLoader.Load(entry.KeyFile, options.Strict, logger);
                rsaByFile[entry.KeyFile] = rsa;
            }
            loaded.Add((new SigningKey(entry.Domain, entry.Selector, entry.KeyFile, rsa), entry.Senders));
        }
        return new SigningKeyTable(loaded.ToArray(), options.MultipleSignatures);
    }

    public IReadOnlyList<SigningKey> FindKeys(string signingAddress)
    {
        List<SigningKey>? found = null;
        foreach (var (key, senders) in entries)
        {
            // With one signature only, an entry whose key cannot sign for this sender (its domain is not the sender's
            // or a parent: "bad identity" everywhere) is passed over, or a catch-all before it would leave mail unsigned.
            if (!multipleSignatures && !CanSignFor(key.Domain, signingAddress)) continue;
            foreach (var pattern in senders)
            {
                if (!pattern.Matches(signingAddress)) continue;
                (found ??= new List<SigningKey>()).Add(key);
                break;
            }
            if (found is not null && !multipleSignatures) break;
        }
        return found is null ? Array.Empty<SigningKey>() : found;
    }

    /// <summary>RFC 4870 §3.5 step 4: d= is the sending domain or a parent of it (compared as written, ignoring case).</summary>
    private static bool CanSignFor(string keyDomain, string signingAddress)
    {
        var at = signingAddress.LastIndexOf('@');
        var domain = (at >= 0 ? signingAddress[(at + 1)..] : signingAddress).TrimEnd('.');
        if (!System.Text.Ascii.IsValid(domain))
        {
            try { domain = new System.Globalization.IdnMapping().GetAscii(domain); }
            catch (ArgumentException) { return false; }
        }
        return domain.Equals(keyDomain, StringComparison.OrdinalIgnoreCase) || SenderPattern.IsSubdomainOf(domain, keyDomain);
    }
}
