using System.Collections.Concurrent;

namespace Milters.DomainKeys.Keys;

/// <summary>
/// Parsed key records by their TXT text, so a message whose key answer came from the DNS cache does not
/// decode base64 and import the RSA key again (~10 KB and tens of µs a message). Keyed by the text itself,
/// so a changed record is simply a new entry; bounded, and emptied whole when full (a rebuild costs one
/// import per key). Shared by all connections: a cached <see cref="KeyRecord"/> is immutable, and its RSA
/// key is only used for VerifyHash, which on .NET's OpenSSL RSA builds a fresh EVP_PKEY_CTX per call over
/// the shared, reference-counted EVP_PKEY — safe concurrently. Entries are never disposed (another thread
/// may be verifying with one when the cache is emptied); their keys are released by the GC.
/// </summary>
internal sealed class KeyRecordCache
{
    public const int DefaultCapacity = 1024;

    private readonly ConcurrentDictionary<string, KeyRecord> records = new(StringComparer.Ordinal);
    private readonly int capacity;

    public KeyRecordCache(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        this.capacity = capacity;
    }

    public int Count => records.Count;

    /// <summary>As <see cref="KeyRecord.TryParse"/>; a record that parses is kept for the next message. The
    /// caller must not dispose the record's key.</summary>
    public bool TryGet(string text, out KeyRecord? record, out string? error)
    {
        error = null;
        if (records.TryGetValue(text, out record)) return true;
        if (!KeyRecord.TryParse(text, out record, out error)) return false;
        if (records.Count >= capacity) records.Clear();
        // Another thread may have parsed the same text meanwhile: use the one that is cached.
        record = records.GetOrAdd(text, record!);
        return true;
    }
}
