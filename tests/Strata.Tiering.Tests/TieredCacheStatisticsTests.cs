using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests;

/// <summary>
/// Exact hit and miss counts: every read a caller makes counts once in L1 and, when it reaches Redis, once there; the
/// cache's own look-ups (the second look of a get-or-set miss, existence and time-to-live checks) count nothing. Run
/// L1-only, on a single server and on a cluster.
/// </summary>
public abstract class TieredCacheStatisticsTests : IDisposable
{
    private TestCaches? _caches;
    private readonly string _prefix = "stats:" + Guid.NewGuid().ToString("N")[..12] + ":";

    /// <summary>Gets the Redis configuration; null for an L1-only cache.</summary>
    protected abstract string? Redis { get; }

    private long RedisReads => Redis is null ? 0 : 1;

    [Fact]
    public async Task GetOrSetAsync_Miss_CountsOneL1MissAndOneRedisMiss_AndAHitOneL1Hit()
    {
        TieredCache cache = NewCache();

        Assert.Equal("v", await cache.GetOrSetAsync("k", static (_, _, _) => new ValueTask<string>("v")));
        Expect(cache, localHits: 0, localMisses: 1, remoteHits: 0, remoteMisses: RedisReads);

        Assert.Equal("v", await cache.GetOrSetAsync("k", static (_, _, _) => new ValueTask<string>("other")));
        Expect(cache, localHits: 1, localMisses: 1, remoteHits: 0, remoteMisses: RedisReads);
    }

    [Fact]
    public async Task GetOrSetAsync_WithStateAndWithEarlyRefresh_CountsOneL1LookUpPerCall()
    {
        TieredCache cache = NewCache();
        var options = new CacheEntryOptions { TimeToLive = TimeSpan.FromHours(1), EagerRefreshThreshold = 0.5 };

        await cache.GetOrSetAsync("a", 1, static (_, n, _, _) => new ValueTask<int>(n), options);
        await cache.GetOrSetAsync("a", 2, static (_, n, _, _) => new ValueTask<int>(n), options);
        await cache.GetOrSetAsync("b", 3, static (_, n, _, _) => new ValueTask<int>(n));
        await cache.GetOrSetAsync("b", 4, static (_, n, _, _) => new ValueTask<int>(n));

        Expect(cache, localHits: 2, localMisses: 2, remoteHits: 0, remoteMisses: 2 * RedisReads);
        Assert.Equal(2, cache.GetStatistics().FactoryRuns);
    }

    [Fact]
    public async Task GetManyAsync_CountsEveryKeyOnceInL1_AndTheL1MissesOnceInRedis()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("local", 1);
        if (Redis is not null)
        {
            TieredCache other = NewCache();
            await other.SetAsync("remote", 2);
            await Eventually.True(() => cache.GetStatistics().InvalidationsReceived == 1, "the other instance's invalidation");
        }

        CacheResult<int>[] results = await cache.GetManyAsync<int>(["local", "remote", "missing"]);

        Assert.Equal(CacheResult<int>.Hit(1), results[0]);
        Assert.Equal(Redis is null ? CacheResult<int>.Miss : CacheResult<int>.Hit(2), results[1]);
        Assert.Equal(CacheResult<int>.Miss, results[2]);
        Expect(cache, localHits: 1, localMisses: 2, remoteHits: RedisReads, remoteMisses: RedisReads);
    }

    [Fact]
    public async Task NamespaceReads_CountOnceInTheNamespace_AndOnceInEachTierOfTheCache()
    {
        TieredCache cache = NewCache();
        CacheNamespace users = cache.Namespace("users");
        await users.SetAsync("1", "alice");

        Assert.Equal(CacheResult<string>.Hit("alice"), await users.GetAsync<string>("1"));
        Assert.Equal(CacheResult<string>.Miss, await users.GetAsync<string>("2"));
        Assert.Equal("bob", await users.GetOrSetAsync("3", static (_, _, _) => new ValueTask<string>("bob")));
        Assert.Equal("bob", await users.GetOrSetAsync("3", static (_, _, _) => new ValueTask<string>("carol")));

        NamespaceStatistics own = users.GetStatistics();
        Assert.Equal(2, own.Hits);
        Assert.Equal(2, own.Misses);
        Assert.Equal(2, own.Sets); // the write and the factory's value
        Expect(cache, localHits: 2, localMisses: 2, remoteHits: 0, remoteMisses: 2 * RedisReads);
    }

    [Fact]
    public async Task BookkeepingLookUps_ExistsTimeToLiveAndUpdate_CountNoRead()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("k", "v", TimeSpan.FromMinutes(5));

        Assert.True(await cache.ExistsAsync("k"));
        Assert.NotNull(await cache.GetTimeToLiveAsync("k"));
        Assert.True((await cache.UpdateAsync<string>("k", s => s + "!")).HasValue);
        Assert.True(await cache.ExpireAsync("k", TimeSpan.FromMinutes(10)));

        Expect(cache, localHits: 0, localMisses: 0, remoteHits: 0, remoteMisses: 0);
    }

    [Fact]
    public async Task ValueOfAnotherType_InL1_IsAnL1MissAndADecodeError()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("k", "text");

        Assert.Equal(CacheResult<int>.Miss, await cache.GetAsync<int>("k"));

        Expect(cache, localHits: 0, localMisses: 1, remoteHits: 0, remoteMisses: 0);
        Assert.Equal(1, cache.GetStatistics().DecodeErrors);
    }

    public void Dispose()
    {
        _caches?.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected static void Expect(TieredCache cache, long localHits, long localMisses, long remoteHits, long remoteMisses)
    {
        TieredCacheStatistics stats = cache.GetStatistics();
        Assert.Equal((localHits, localMisses, remoteHits, remoteMisses), (stats.Local.Hits, stats.Local.Misses, stats.RemoteHits, stats.RemoteMisses));
    }

    private protected TieredCache NewCache(Action<TieredCacheOptions>? configure = null)
    {
        _caches ??= new TestCaches(Redis, _prefix, null);
        return _caches.New(configure);
    }
}

/// <summary>L1 only: a stale entry is what fail-safe answers with.</summary>
public sealed class LocalOnlyStatisticsTests : TieredCacheStatisticsTests
{
    protected override string? Redis => null;

    [Fact]
    public async Task StaleL1Entry_IsAMissForAGet_AndServesOnlyAFailingFactory()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        TieredCache cache = NewCache(o =>
        {
            o.TimeProvider = time;
            o.FailSafeMaxDuration = TimeSpan.FromHours(1);
        });
        await cache.SetAsync("k", "v", TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(2));

        // No Redis, so no outage: the value has expired for a plain read.
        Assert.Equal(CacheResult<string>.Miss, await cache.GetAsync<string>("k"));
        Expect(cache, localHits: 0, localMisses: 1, remoteHits: 0, remoteMisses: 0);
        Assert.Equal(0, cache.GetStatistics().FailSafeHits);

        Assert.Equal("v", await cache.GetOrSetAsync<string>("k", (_, _, _) => throw new InvalidOperationException("source down")));
        Assert.Equal(1, cache.GetStatistics().FactoryFailSafeHits);
    }
}

/// <summary>With Redis: a stale L1 entry does not answer while Redis does.</summary>
public abstract class RemoteStatisticsTests : TieredCacheStatisticsTests
{
    [Fact]
    public async Task StaleL1Entry_ReadWhileRedisAnswers_IsAnL1MissNotAHit()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        TieredCache cache = NewCache(o =>
        {
            o.TimeProvider = time;
            o.FailSafeMaxDuration = TimeSpan.FromHours(1);
        });
        await cache.SetAsync("k", "v", TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(2)); // L1 keeps it for fail-safe reads; Redis answers, with a value past its time

        Assert.Equal(CacheResult<string>.Miss, await cache.GetAsync<string>("k"));

        Expect(cache, localHits: 0, localMisses: 1, remoteHits: 0, remoteMisses: 1);
        Assert.Equal(0, cache.GetStatistics().FailSafeHits);
    }
}

public sealed class SingleServerStatisticsTests(SingleRedis redis) : RemoteStatisticsTests, IClassFixture<SingleRedis>
{
    protected override string? Redis => redis.Configuration;
}

public sealed class ClusterStatisticsTests(ClusterRedis redis) : RemoteStatisticsTests, IClassFixture<ClusterRedis>
{
    protected override string? Redis => redis.Configuration;
}
