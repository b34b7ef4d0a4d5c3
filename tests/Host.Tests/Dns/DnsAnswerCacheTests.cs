using DnsClient;
using Milters.Host.Dns;

namespace Milters.Host.Tests.Dns;

/// <summary>
/// The resolver's answer cache holds what fits its budget: an independent review filled DnsClient's unbounded cache
/// to 2 GB with one large record per new sender domain.
/// </summary>
public sealed class DnsAnswerCacheTests
{
    [Fact]
    public void Entries_beyond_the_budget_are_not_kept()
    {
        var cache = new DnsAnswerCache(budgetBytes: 10_000);
        for (var i = 0; i < 100; i++)
            cache.Set(QueryType.TXT, $"d{i}.example.", $"record {i}", TimeSpan.FromHours(1), size: 1_000);
        Assert.InRange(cache.Count, 1, 10);
        // Which entries survive depends on when MemoryCache's background compaction runs (it drops the least
        // recently used), so the test asks only that some are kept and each answers under its own name.
        var kept = Enumerable.Range(0, 100)
            .Where(i => cache.TryGet<string>(QueryType.TXT, $"D{i}.Example.", out var value) && value == $"record {i}")
            .Count();
        Assert.InRange(kept, 1, 10);
    }

    [Fact]
    public void A_zero_ttl_is_not_cached_and_names_are_case_insensitive()
    {
        var cache = new DnsAnswerCache(budgetBytes: 10_000);
        cache.Set(QueryType.A, "now.example.", "gone", TimeSpan.Zero, size: 10);
        Assert.False(cache.TryGet<string>(QueryType.A, "now.example.", out _));
        cache.Set(QueryType.A, "Kept.Example.", "kept", TimeSpan.FromSeconds(30), size: 10);
        Assert.True(cache.TryGet<string>(QueryType.A, "kept.example.", out var kept));
        Assert.Equal("kept", kept);
        Assert.False(cache.TryGet<string>(QueryType.TXT, "kept.example.", out _));
    }
}
