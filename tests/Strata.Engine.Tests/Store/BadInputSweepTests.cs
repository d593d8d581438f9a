using System;
using System.Linq;
using System.Threading;
using Strata.Engine;
using Strata.Engine.Tests.Support;
using Xunit;

namespace Strata.Engine.Tests.Store;

/// <summary>
/// Hostile input to every LocalCache method that takes any: each gets a precise exception naming its parameter, or a
/// documented result, and the store passes its integrity check afterwards, with its entries intact.
/// </summary>
public class BadInputSweepTests
{
    [Fact]
    public void TimesToLive_NonPositiveAreRefused_HugeOnesSaturate_AndExpireFollowsRedis()
    {
        using var t = new TestCache(o => o.MaxEntries = 100);
        t.Cache.Set("k", "v");
        foreach (TimeSpan bad in new[] { TimeSpan.Zero, TimeSpan.FromTicks(-1), TimeSpan.MinValue, TimeSpan.FromMilliseconds(-2) })
        {
            Assert.Equal("timeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => t.Cache.Set("k", "x", bad)).ParamName);
            Assert.Equal("timeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => t.Cache.TryAdd("n", "x", bad)).ParamName);
            Assert.Equal("timeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => t.Cache.TryUpdate("k", v => v + "x", bad)).ParamName);
        }

        foreach (TimeSpan huge in new[] { TimeSpan.MaxValue, TimeSpan.MaxValue - TimeSpan.FromTicks(1), TimeSpan.FromDays(3_650_000) })
        {
            t.Cache.Set("huge", "v", huge); // saturates far in the future: never expires in practice
            Assert.True(t.Cache.Expire("k", huge));
        }

        Assert.True(t.Cache.GetTimeToLive("huge") > TimeSpan.FromDays(365 * 1000));
        Assert.True(t.Cache.GetTimeToLive("k") > TimeSpan.FromDays(365 * 1000));
        Assert.True(t.Cache.Expire("k", TimeSpan.FromTicks(-1))); // Redis's rule: a negative time deletes
        Assert.False(t.Cache.ContainsKey("k"));
        Assert.Equal("v", t.Cache.TryGet("huge", out string? value) ? value : null);
        t.Cache.Validate();
    }

    [Fact]
    public void Patterns_HostileOnesAreBoundedWork_WithRedisMeaning()
    {
        using var t = new TestCache();
        string[] keys = ["a", "[", "\\", "*", "?", new string('a', 10_000), "ab\0c"];
        foreach (string key in keys)
        {
            t.Cache.Set(key, key);
        }

        Assert.Equal(keys.Length, t.Cache.Keys(new string('*', 10_000)).Count());
        Assert.Equal([new string('a', 10_000)], t.Cache.Keys(string.Concat(Enumerable.Repeat("a*", 1_001))).ToArray()); // 1,000 groups and a trailing star
        Assert.Empty(t.Cache.Keys(string.Concat(Enumerable.Repeat("a*", 5_000)))); // Redis refuses to recurse past 1,000 stars: no match
        Assert.Empty(t.Cache.Keys(string.Concat(Enumerable.Repeat("*b", 5_000))));
        Assert.Equal(["a"], t.Cache.Keys("[a").ToArray());        // an unterminated set runs to the end, as in Redis
        Assert.Equal(["\\"], t.Cache.Keys("\\\\").ToArray());     // an escaped backslash
        Assert.Equal(["*"], t.Cache.Keys("\\*").ToArray());
        Assert.Equal(["ab\0c"], t.Cache.Keys("ab?c").ToArray());
        Assert.Equal(keys.Length, t.Cache.RemoveByPattern(new string('*', 10_000)));
        Assert.Equal("pattern", Assert.Throws<ArgumentNullException>(() => t.Cache.RemoveByPattern(null!)).ParamName);
        Assert.Equal("cursor", Assert.Throws<ArgumentOutOfRangeException>(() => t.Cache.Scan(-1)).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => t.Cache.Scan(0, null, 0)).ParamName);
        Assert.Equal(0, t.Cache.Scan(long.MaxValue, null, 1).NextCursor == 0 ? 0 : 1); // a forged cursor ends the scan, never throws
        t.Cache.Validate();
    }

    [Fact]
    public void UserCodeThatThrows_PropagatesAndChangesNothing()
    {
        using var t = new TestCache(o =>
        {
            o.MaxWeight = 1_000;
            o.Weigher = (key, value) => value == "negative" ? -1 : value == "throws" ? throw new FormatException("weigher") : value.Length;
        });
        t.Cache.Set("k", "v");

        Assert.Throws<InvalidOperationException>(() => t.Cache.Set("k", "negative"));
        Assert.Equal("weigher", Assert.Throws<FormatException>(() => t.Cache.Set("k", "throws")).Message);
        t.Cache.Set("big", new string('x', 1_001)); // heavier than the whole bound: written and evicted at once, as documented
        Assert.False(t.Cache.ContainsKey("big"));
        Assert.Equal(1, t.Cache.GetStatistics().Evictions);
        Assert.Equal("update", Assert.Throws<FormatException>(() => t.Cache.TryUpdate("k", _ => throw new FormatException("update"))).Message);
        Assert.Equal("factory", Assert.Throws<FormatException>(() => t.Cache.GetOrAdd("n", _ => throw new FormatException("factory"))).Message);

        Assert.True(t.Cache.TryGet("k", out string? value));
        Assert.Equal("v", value);
        Assert.False(t.Cache.ContainsKey("n"));
        Assert.Equal(1, t.Cache.Count);
        t.Cache.Validate();
    }
}
