using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Strata.Engine;
using Strata.Engine.Tests.Support;
using Xunit;

namespace Strata.Engine.Tests.Store;

public class ScanTests
{
    [Fact]
    public void Scan_FullCycle_ReturnsEveryKeyAndEndsAtZero()
    {
        using var t = new TestCache();
        var expected = Enumerable.Range(0, 5000).Select(i => "key:" + i).ToHashSet();
        foreach (string key in expected)
        {
            t.Cache.Set(key, "v");
        }

        var seen = new HashSet<string>();
        long cursor = 0;
        int calls = 0;
        do
        {
            ScanResult page = t.Cache.Scan(cursor, count: 100);
            Assert.True(page.Keys.Count <= 100 * 2 + 50, "a page does about COUNT keys of work");
            seen.UnionWith(page.Keys);
            cursor = page.NextCursor;
            calls++;
        }
        while (cursor != 0);

        Assert.Equal(expected, seen);
        Assert.InRange(calls, 20, 5000);
    }

    [Fact]
    public void Scan_WithPattern_ReturnsOnlyMatches()
    {
        using var t = new TestCache();
        for (int i = 0; i < 300; i++)
        {
            t.Cache.Set($"user:{i}:profile", "v");
            t.Cache.Set($"order:{i}", "v");
        }

        var users = t.Cache.Keys("user:*:profile").ToHashSet();
        var tens = t.Cache.Keys("order:1?").ToHashSet();

        Assert.Equal(300, users.Count);
        Assert.Equal(Enumerable.Range(10, 10).Select(i => "order:" + i).ToHashSet(), tens);
    }

    [Fact]
    public void Scan_SkipsExpiredEntries()
    {
        using var t = new TestCache();
        t.Cache.Set("live", "v");
        t.Cache.Set("dead", "v", TimeSpan.FromMilliseconds(10));
        t.Time.Advance(TimeSpan.FromMilliseconds(20)); // before the sweep: the entry is still stored

        Assert.Equal(2, t.Cache.Count);
        Assert.Equal(["live"], t.Cache.Keys());
    }

    [Fact]
    public void Scan_EmptyKey_MatchesStarLikeRedisKeysStar()
    {
        using var t = new TestCache();
        t.Cache.Set("", "v");
        Assert.Equal([""], t.Cache.Keys("*"));
        Assert.Empty(t.Cache.Keys("**"));
    }

    [Fact]
    public void Scan_TableGrowsBetweenPages_StillReturnsEveryOriginalKey()
    {
        using var t = new TestCache(o => o.ConcurrencyLevel = 2);
        var original = Enumerable.Range(0, 200).Select(i => "orig:" + i).ToList();
        original.ForEach(k => t.Cache.Set(k, "v"));

        var seen = new HashSet<string>();
        long cursor = 0;
        int batch = 0;
        do
        {
            ScanResult page = t.Cache.Scan(cursor, count: 7);
            seen.UnionWith(page.Keys);
            cursor = page.NextCursor;
            // Grow the table between pages for the first twenty: about five doublings while the scan is under way.
            // (Like Redis, a scan ends only over a bounded key set; growing it forever would outrun any cursor.)
            for (int i = 0; batch < 20 && i < 300; i++)
            {
                t.Cache.Set($"grow:{batch}:{i}", "v");
            }

            batch++;
        }
        while (cursor != 0);

        Assert.All(original, k => Assert.Contains(k, seen));
    }

    [Fact]
    public async Task Scan_UnderConcurrentWritersAndGrowth_ReturnsEveryStableKey()
    {
        using var cache = new LocalCache<int>(new LocalCacheOptions<int> { ConcurrencyLevel = 4 });
        var stable = Enumerable.Range(0, 3000).Select(i => "stable:" + i).ToList();
        stable.ForEach(k => cache.Set(k, 1));
        using var stop = new CancellationTokenSource();

        Task[] writers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            var random = new Random(w);
            for (int i = 0; !stop.IsCancellationRequested && i < 400_000; i++)
            {
                string key = $"churn:{w}:{random.Next(100_000)}";
                if (random.Next(3) == 0)
                {
                    cache.Remove(key);
                }
                else
                {
                    cache.Set(key, i);
                }
            }
        })).ToArray();

        for (int round = 0; round < 5; round++)
        {
            var seen = new HashSet<string>(cache.Keys("stable:*"));
            Assert.All(stable, k => Assert.Contains(k, seen));
        }

        await stop.CancelAsync();
        await Task.WhenAll(writers);
        cache.Validate();
    }

    [Theory]
    [InlineData(-1, 10, "cursor")]
    [InlineData(0, 0, "count")]
    [InlineData(0, -5, "count")]
    public void Scan_BadArguments_ThrowWithParameterName(long cursor, int count, string parameter)
    {
        using var t = new TestCache();
        Assert.Equal(parameter, Assert.Throws<ArgumentOutOfRangeException>(() => t.Cache.Scan(cursor, null, count)).ParamName);
    }

    [Fact]
    public void RemoveByPattern_RemovesOnlyMatchingKeysAndCountsThem()
    {
        using var t = new TestCache();
        for (int i = 0; i < 1000; i++)
        {
            t.Cache.Set($"session:{i}", "v");
            t.Cache.Set($"user:{i}", "v");
        }

        Assert.Equal(1000, t.Cache.RemoveByPattern("session:*"));
        Assert.Equal(0, t.Cache.RemoveByPattern("session:*"));
        Assert.Equal(1000, t.Cache.Count);
        Assert.All(t.Cache.Keys(), k => Assert.StartsWith("user:", k, StringComparison.Ordinal));
        Assert.Equal(1000, t.Removals.Count(r => r.Reason == RemovalReason.Removed));
        t.Cache.Validate();
    }
}
