using DnsClient;
using Microsoft.Extensions.Caching.Memory;

namespace Milters.Host.Dns;

/// <summary>
/// Positive answers kept for their TTL (at most a day) within a memory budget. DnsClient's own cache has no bound:
/// every new sender domain with a large record and a long TTL stayed for good (an independent review grew the
/// process to 2 GB in 25 seconds that way). Microsoft.Extensions.Caching.Memory sizes entries and drops the least
/// recently used when the budget is full.
/// </summary>
internal sealed class DnsAnswerCache
{
    /// <summary>A TTL beyond this is cut: a record that never expires must not pin memory for the life of the process.</summary>
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromDays(1);

    private readonly MemoryCache cache;

    public DnsAnswerCache(long budgetBytes) =>
        cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = budgetBytes, CompactionPercentage = 0.25 });

    public bool TryGet<T>(QueryType type, string name, out T? value) where T : class
    {
        value = cache.Get(new Key(type, name)) as T;
        return value is not null;
    }

    /// <param name="size">An estimate in bytes of what the entry holds.</param>
    public void Set(QueryType type, string name, object value, TimeSpan ttl, long size)
    {
        if (ttl <= TimeSpan.Zero) return;
        using var entry = cache.CreateEntry(new Key(type, name));
        entry.Value = value;
        entry.Size = Math.Max(1, size);
        entry.AbsoluteExpirationRelativeToNow = ttl < MaximumLifetime ? ttl : MaximumLifetime;
    }

    /// <summary>Entries held now (for tests and the summary line).</summary>
    public int Count => cache.Count;

    /// <summary>DNS names compare without regard to ASCII case (RFC 4343), and without a lower-cased copy per lookup.</summary>
    private readonly struct Key(QueryType type, string name) : IEquatable<Key>
    {
        private readonly QueryType type = type;
        private readonly string name = name;

        public bool Equals(Key other) => type == other.type && string.Equals(name, other.name, StringComparison.OrdinalIgnoreCase);

        public override bool Equals(object? obj) => obj is Key other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(type, StringComparer.OrdinalIgnoreCase.GetHashCode(name));
    }
}
