using System;
using System.Linq;
using Strata.Engine;
using Strata.Engine.Tests.Support;
using Xunit;

namespace Strata.Engine.Tests.Eviction;

public class EvictionTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(100, 1)]
    [InlineData(100, 8)]
    [InlineData(1000, 64)]
    public void Insert_PastMaxEntries_EvictsDownToTheBound(int maxEntries, int stripes)
    {
        using var t = new TestCache(o => { o.MaxEntries = maxEntries; o.ConcurrencyLevel = stripes; });
        for (int i = 0; i < maxEntries * 10; i++)
        {
            t.Cache.Set("k" + i, "v");
            Assert.True(t.Cache.Count <= maxEntries);
        }

        Assert.Equal(maxEntries, t.Cache.Count);
        Assert.Equal(maxEntries * 9, t.Cache.GetStatistics().Evictions);
        Assert.Equal(maxEntries * 9, t.Removals.Count(r => r.Reason == RemovalReason.Evicted));
        Assert.True(t.Cache.ContainsKey("k" + (maxEntries * 10 - 1)), "the entry just written is never its own victim");
        t.Cache.Validate();
    }

    [Fact]
    public void Sieve_EntriesReadSinceInsert_SurviveAScanOfNewKeys()
    {
        using var t = new TestCache(o => { o.MaxEntries = 100; o.ConcurrencyLevel = 1; });
        for (int i = 0; i < 100; i++)
        {
            t.Cache.Set("hot" + i, "v");
        }

        for (int i = 0; i < 50; i++)
        {
            Assert.True(t.Cache.TryGet("hot" + i, out _));
        }

        for (int i = 0; i < 50; i++)
        {
            t.Cache.Set("scan" + i, "v");
        }

        // The 50 read entries were visited: the hand passes over them and takes the 50 that were never read.
        Assert.All(Enumerable.Range(0, 50), i => Assert.True(t.Cache.ContainsKey("hot" + i)));
        Assert.All(Enumerable.Range(50, 50), i => Assert.False(t.Cache.ContainsKey("hot" + i)));
        t.Cache.Validate();
    }

    [Fact]
    public void TryPeek_DoesNotProtectAnEntryFromEviction_AsARead_Does()
    {
        using var t = new TestCache(o => { o.MaxEntries = 2; o.ConcurrencyLevel = 1; });
        t.Cache.Set("read", "v");
        t.Cache.Set("peeked", "v");
        Assert.True(t.Cache.TryPeek("peeked", out _));
        Assert.True(t.Cache.TryGet("read", out _));

        t.Cache.Set("new", "v");

        // The hand starts at the oldest entry: it spares the read one (visited) and takes the peeked one. Had the peek
        // marked its entry, both would be spared once and the hand would come back round to the read one.
        Assert.False(t.Cache.ContainsKey("peeked"));
        Assert.True(t.Cache.ContainsKey("read"));
        t.Cache.Validate();
    }

    [Fact]
    public void MaxWeight_EvictsUntilTheTotalWeightFits()
    {
        using var t = new TestCache(o => { o.MaxWeight = 100; o.Weigher = (_, v) => v.Length; });
        for (int i = 0; i < 50; i++)
        {
            t.Cache.Set("k" + i, new string('x', 1 + (i % 10)));
            Assert.True(t.Cache.GetStatistics().Weight <= 100);
        }

        CacheStatistics stats = t.Cache.GetStatistics();
        Assert.InRange(stats.Weight, 91, 100); // within one entry's weight of the bound
        Assert.True(stats.Evictions > 0);
        t.Cache.Validate();
    }

    [Fact]
    public void Set_HeavierThanTheWholeBound_IsEvictedAtOnceWithoutFlushingTheCache()
    {
        using var t = new TestCache(o => { o.MaxWeight = 10; o.Weigher = (_, v) => v.Length; });
        t.Cache.Set("small", "abc");
        t.Cache.Set("big", "old");

        t.Cache.Set("big", new string('x', 11));

        Assert.True(t.Cache.ContainsKey("small"));
        Assert.False(t.Cache.ContainsKey("big"));
        Assert.Contains(("big", "old", RemovalReason.Replaced), t.Removals);
        Assert.Contains(("big", new string('x', 11), RemovalReason.Evicted), t.Removals);
        t.Cache.Validate();
    }

    [Fact]
    public void Weigher_ReturningNegative_IsReported()
    {
        using var t = new TestCache(o => { o.MaxWeight = 10; o.Weigher = (_, _) => -1; });
        var ex = Assert.Throws<InvalidOperationException>(() => t.Cache.Set("k", "v"));
        Assert.Contains("negative", ex.Message, StringComparison.Ordinal);
        Assert.False(t.Cache.ContainsKey("k"));
        t.Cache.Validate();
    }
}
