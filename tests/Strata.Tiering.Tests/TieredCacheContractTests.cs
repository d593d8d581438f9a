using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;
using Strata.Tiering.Tests.Support;
using Xunit;

namespace Strata.Tiering.Tests;

/// <summary>
/// What a <see cref="TieredCache"/> promises against a real Redis, run against a single server and a cluster. Every
/// test uses its own key prefix, so tests never see each other's keys or messages.
/// </summary>
public abstract class TieredCacheContractTests : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly string _prefix = "test:" + Guid.NewGuid().ToString("N")[..12] + ":";

    protected abstract string Redis { get; }

    [Fact]
    public async Task SetAsync_ThenGetAsyncOnAnotherInstance_ReadsThroughRedisAndFillsL1()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("user:1", "alice");
        // A's invalidation may reach B after B's first read and, as designed, drop what that read put in L1 (an extra
        // miss, never a stale read). Let it arrive first, so the counts below are exact.
        await Eventually.True(() => b.GetStatistics().InvalidationsReceived == 1, "A's invalidation to reach B");

        CacheResult<string> first = await b.GetAsync<string>("user:1");
        CacheResult<string> second = await b.GetAsync<string>("user:1");

        Assert.Equal(new CacheResult<string>(true, "alice"), first);
        Assert.Equal(first, second);
        TieredCacheStatistics stats = b.GetStatistics();
        Assert.Equal(1, stats.RemoteHits);
        Assert.Equal(1, stats.Local.Hits);
        Assert.Equal(TieredCacheState.Connected, b.State);
    }

    [Fact]
    public async Task GetAsync_TellsAMissFromAStoredDefault()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("zero", 0);
        await a.SetAsync<string?>("null", null);

        Assert.Equal(new CacheResult<int>(true, 0), await b.GetAsync<int>("zero"));
        Assert.Equal(new CacheResult<string?>(true, null), await b.GetAsync<string?>("null"));
        Assert.Equal(CacheResult<int>.Miss, await b.GetAsync<int>("absent"));
    }

    [Fact]
    public async Task SetAsync_WithTimeToLive_ExpiresInBothTiers()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("short", "v", TimeSpan.FromMilliseconds(400));
        TimeSpan? ttl = await b.GetTimeToLiveAsync("short");
        Assert.InRange(ttl!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(400));
        Assert.True((await b.GetAsync<string>("short")).HasValue);

        await Eventually.True(async () => !(await a.GetAsync<string>("short")).HasValue && !(await b.GetAsync<string>("short")).HasValue, "the value to expire");
        Assert.Null(await a.GetTimeToLiveAsync("short"));
    }

    [Fact]
    public async Task GetTimeToLiveAsync_FollowsLocalCacheSemantics()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("forever", "v");
        await cache.SetAsync("minute", "v", TimeSpan.FromMinutes(1));

        Assert.Null(await cache.GetTimeToLiveAsync("missing"));
        Assert.Equal(Timeout.InfiniteTimeSpan, await cache.GetTimeToLiveAsync("forever"));
        Assert.InRange((await cache.GetTimeToLiveAsync("minute"))!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task RemoveAsync_RemovesFromBothTiersOfEveryInstance()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("k", "v");
        Assert.True((await b.GetAsync<string>("k")).HasValue); // now in B's L1

        Assert.True(await a.RemoveAsync("k"));
        Assert.False(await a.RemoveAsync("k"));

        await Eventually.True(async () => !(await b.GetAsync<string>("k")).HasValue, "B to drop its copy");
        Assert.False(await b.ExistsAsync("k"));
    }

    [Fact]
    public async Task ExistsAsync_SeesValuesWrittenByAnyInstance()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("k", 1);

        Assert.True(await a.ExistsAsync("k"));
        Assert.True(await b.ExistsAsync("k"));
        Assert.False(await b.ExistsAsync("other"));
    }

    [Fact]
    public async Task GetAndRemoveAsync_ReturnsTheValueOnce()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("token", "secret");
        Assert.True((await b.GetAsync<string>("token")).HasValue);

        Assert.Equal(new CacheResult<string>(true, "secret"), await b.GetAndRemoveAsync<string>("token"));
        Assert.Equal(CacheResult<string>.Miss, await a.GetAndRemoveAsync<string>("token"));
        await Eventually.True(async () => !(await a.GetAsync<string>("token")).HasValue, "A to drop its copy");
    }

    [Fact]
    public async Task ExpireAsync_SetsDeletesAndPersistsLikeRedis()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("k", "v");
        Assert.True((await b.GetAsync<string>("k")).HasValue);

        Assert.True(await a.ExpireAsync("k", TimeSpan.FromMinutes(5)));
        Assert.InRange((await b.GetTimeToLiveAsync("k"))!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));

        Assert.True(await a.ExpireAsync("k", Timeout.InfiniteTimeSpan));
        Assert.Equal(Timeout.InfiniteTimeSpan, await b.GetTimeToLiveAsync("k"));

        Assert.True(await a.ExpireAsync("k", TimeSpan.Zero));
        Assert.False(await a.ExpireAsync("k", TimeSpan.FromMinutes(1)));
        await Eventually.True(async () => !(await b.GetAsync<string>("k")).HasValue, "B to drop the deleted key");
    }

    [Fact]
    public async Task Backplane_AfterSetOnA_BReturnsTheNewValue()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("k", "v1");
        Assert.Equal("v1", (await b.GetAsync<string>("k")).Value); // B holds v1 in L1

        await a.SetAsync("k", "v2");

        await Eventually.True(async () => (await b.GetAsync<string>("k")).Value == "v2", "B to see v2");
        Assert.True(b.GetStatistics().InvalidationsReceived >= 1);
        Assert.Equal(0, a.GetStatistics().InvalidationsReceived); // an instance ignores its own messages
    }

    [Fact]
    public async Task FillRace_InvalidationDuringAnOpenRead_DoesNotLeaveTheOldValueInL1()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("k", "old");
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        b.BeforeLocalFill = async _ =>
        {
            reached.TrySetResult();
            await release.Task;
        };

        // B reads "old" from Redis and is held before putting it into L1.
        Task<CacheResult<string>> read = b.GetAsync<string>("k").AsTask();
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(20));
        b.BeforeLocalFill = null;

        // A writes "new"; its invalidation reaches B while B's read is still open.
        long before = b.GetStatistics().InvalidationsReceived;
        await a.SetAsync("k", "new");
        await Eventually.True(() => b.GetStatistics().InvalidationsReceived > before, "the invalidation to reach B");
        release.SetResult();

        Assert.Equal("old", (await read).Value); // the read began before the write: it may return the old value...
        Assert.False(b.Local.TryGet("k", out _), "...but must not leave it in L1");
        Assert.Equal("new", (await b.GetAsync<string>("k")).Value);
    }

    [Fact]
    public async Task GetAsync_UndecodableOrOtherTypeInRedis_IsACountedMiss()
    {
        TieredCache cache = NewCache();
        using ConnectionMultiplexer raw = await ConnectionMultiplexer.ConnectAsync(Redis);
        await raw.GetDatabase().StringSetAsync(_prefix + "json", "{\"legacy\":true}");
        await cache.SetAsync("text", "hello");
        TieredCache other = NewCache();

        Assert.Equal(CacheResult<string>.Miss, await cache.GetAsync<string>("json"));
        Assert.Equal(CacheResult<int>.Miss, await other.GetAsync<int>("text"));
        Assert.Equal(2, cache.GetStatistics().DecodeErrors + other.GetStatistics().DecodeErrors);
    }

    [Fact]
    public async Task SetAsync_ValueTheSerializerRefuses_ThrowsAndChangesNothing()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("k", "before");

        await Assert.ThrowsAnyAsync<Exception>(async () => await cache.SetAsync("k", new NotSerializable()));

        Assert.Equal("before", (await cache.GetAsync<string>("k")).Value);
        Assert.Equal("before", (await NewCache().GetAsync<string>("k")).Value);
    }

    [Fact]
    public async Task GetAsync_L1Hit_AllocatesNothing()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("k", "v");
        await cache.SetAsync("n", 42);
        for (int i = 0; i < 10; i++)
        {
            _ = cache.GetAsync<string>("k");
            _ = cache.GetAsync<int>("n");
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            ValueTask<CacheResult<string>> text = cache.GetAsync<string>("k");
            ValueTask<CacheResult<int>> number = cache.GetAsync<int>("n");
            Assert.True(text.IsCompletedSuccessfully && number.IsCompletedSuccessfully);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    public void Dispose()
    {
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    protected TieredCache NewCache(Action<TieredCacheOptions>? configure = null)
    {
        // A generous timeout: test classes run in parallel on a small machine, and a slow first connect must not be
        // mistaken for an outage (which would open the circuit and send writes to L1 only).
        var options = new TieredCacheOptions { Redis = Redis, KeyPrefix = _prefix, OperationTimeout = TimeSpan.FromSeconds(5) };
        configure?.Invoke(options);
        var cache = new TieredCache(options);
        _owned.Add(cache);
        return cache;
    }

    private sealed class NotSerializable
    {
        public Action? Callback { get; set; }
    }
}

public sealed class SingleServerTieredCacheTests(SingleRedis redis) : TieredCacheContractTests, IClassFixture<SingleRedis>
{
    protected override string Redis => redis.Configuration;
}

public sealed class ClusterTieredCacheTests(ClusterRedis redis) : TieredCacheContractTests, IClassFixture<ClusterRedis>
{
    protected override string Redis => redis.Configuration;
}
