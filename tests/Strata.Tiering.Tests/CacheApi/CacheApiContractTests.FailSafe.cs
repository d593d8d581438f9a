using System;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;
using Xunit;

namespace Strata.Tiering.Tests.CacheApi;

/// <summary>
/// A value past its time to live that is kept only for fail-safe reads is expired for every other operation, as Redis
/// answers for an expired key: EXPIRE 0, GETDEL nil, DEL 0, INCRBY starts at the delta, EXISTS 0, PTTL -2.
/// </summary>
public abstract partial class CacheApiContractTests
{
    private static readonly Action<TieredCacheOptions> OneMinuteFailSafe = o => o.FailSafeMaxDuration = TimeSpan.FromMinutes(1);

    /// <summary>Sets <paramref name="keys"/> with a 100 ms time to live, then moves the clock 300 ms on.</summary>
    private async Task<TieredCache> StaleValues(params string[] keys)
    {
        TieredCache cache = NewCache(OneMinuteFailSafe);
        foreach (string key in keys)
        {
            await cache.SetAsync(key, "old", TimeSpan.FromMilliseconds(100));
        }

        Time.Advance(TimeSpan.FromMilliseconds(300));
        if (Redis is not null)
        {
            // Redis keeps each for its fail-safe window (its own clock: about a minute), so what follows is Redis's answer
            // about a stale envelope, not about a missing key.
            await using ConnectionMultiplexer raw = await ConnectionMultiplexer.ConnectAsync(Redis);
            foreach (string key in keys)
            {
                Assert.True(await raw.GetDatabase().KeyExistsAsync(Prefix + key));
            }
        }

        foreach (string key in keys)
        {
            Assert.False((await cache.GetAsync<string>(key)).HasValue);
        }

        return cache;
    }

    [Fact]
    public async Task FailSafeValue_PastItsTimeToLive_IsNotBroughtBack_ByAnyExpiry()
    {
        TieredCache cache = await StaleValues("e", "t", "p");

        Assert.False(await cache.ExpireAsync("e", TimeSpan.FromSeconds(60)));
        Assert.False(await cache.SetTimeToLiveAsync("t", TimeSpan.FromSeconds(60)));
        Assert.False(await cache.ExpireAsync("p", Timeout.InfiniteTimeSpan));

        foreach (TieredCache reader in new[] { cache, SecondInstance(cache, OneMinuteFailSafe) })
        {
            foreach (string key in new[] { "e", "t", "p" })
            {
                Assert.False((await reader.GetAsync<string>(key)).HasValue);
                Assert.False(await reader.ExistsAsync(key));
                Assert.Null(await reader.GetTimeToLiveAsync(key));
            }
        }
    }

    [Fact]
    public async Task FailSafeValue_PastItsTimeToLive_IsNotReturnedByGetAndRemove_NorCountedByRemove()
    {
        TieredCache cache = await StaleValues("g", "r");

        Assert.False((await cache.GetAndRemoveAsync<string>("g")).HasValue);
        Assert.False(await cache.RemoveAsync("r"));
        Assert.False((await cache.UpdateAsync<string>("g", s => s + "!")).HasValue);

        // Both are gone now, even for a fail-safe read: a failing factory has nothing stale to fall back on.
        foreach (string key in new[] { "g", "r" })
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() =>
                cache.GetOrSetAsync<string>(key, (_, _, _) => throw new InvalidOperationException("source down")).AsTask());
        }
    }

    [Fact]
    public async Task FailSafeValue_PastItsTimeToLive_IsReplacedByANewCounter_AsIncrByStartsOne()
    {
        TieredCache cache = await StaleValues("c", "u");

        Assert.Equal(1, await cache.IncrementAsync("c"));
        Assert.Equal(3, await cache.IncrementAsync("c", 2));
        Assert.Equal(3L, (await cache.GetAsync<long>("c")).Value);
        Assert.Equal(3L, (await SecondInstance(cache, OneMinuteFailSafe).GetAsync<long>("c")).Value);
        Assert.Equal(Timeout.InfiniteTimeSpan, await cache.GetTimeToLiveAsync("c")); // the new counter's: none given

        Assert.Equal(5, await cache.IncrementAsync("u", 5, TimeSpan.FromMinutes(10)));
        Assert.InRange((await cache.GetTimeToLiveAsync("u"))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task FailSafeValue_IsStillServed_WhenTheFactoryFails()
    {
        TieredCache cache = await StaleValues("f");

        Assert.Equal("old", await cache.GetOrSetAsync<string>("f", (_, _, _) => throw new InvalidOperationException("source down")));
        Assert.Equal(1, cache.GetStatistics().FactoryFailSafeHits);
    }

    [Fact]
    public async Task Update_OfAnyType_OnACounter_Throws_AndKeepsTheCount()
    {
        TieredCache cache = NewCache();
        await cache.IncrementAsync("n", 7);

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.UpdateAsync<string>("n", s => s + "!").AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.UpdateAsync<int>("n", n => n + 1).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.UpdateAsync<long>("n", n => n + 1, TimeSpan.FromMinutes(1)).AsTask());

        Assert.Equal(7L, (await cache.GetAsync<long>("n")).Value);
        Assert.Equal(8, await cache.IncrementAsync("n"));
    }
}
