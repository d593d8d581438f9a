using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests;

/// <summary>
/// What a <see cref="TieredCache"/> promises against a real Redis, run against a single server and a cluster. Every
/// test uses its own key prefix, so tests never see each other's keys or messages.
/// </summary>
public abstract partial class TieredCacheContractTests : IDisposable
{
    private TestCaches? _caches;
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

        Assert.Equal(CacheResult<string>.Hit("alice"), first);
        Assert.Equal(first, second);
        TieredCacheStatistics stats = b.GetStatistics();
        Assert.Equal(1, stats.RemoteHits);
        Assert.Equal(1, stats.Local.Hits);
        Assert.Equal(TieredCacheState.Connected, b.State);
    }

    [Fact]
    public async Task LocalTimeToLive_DropsTheL1CopyEarly_AndTheNextReadGoesToRedis()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        TieredCache cache = NewCache(o =>
        {
            o.LocalTimeToLive = TimeSpan.FromSeconds(10);
            o.TimeProvider = time;
        });
        await cache.SetAsync("k", "v", TimeSpan.FromHours(1));
        Assert.True(cache.Local.TryGet("k", out _));

        time.Advance(TimeSpan.FromSeconds(11));

        Assert.False(cache.Local.TryGet("k", out _));
        Assert.Equal(CacheResult<string>.Hit("v"), await cache.GetAsync<string>("k"));
        Assert.Equal(1, cache.GetStatistics().RemoteHits);
        Assert.True(cache.Local.TryGet("k", out _)); // refilled, again for at most LocalTimeToLive
        Assert.InRange((await cache.GetTimeToLiveAsync("k"))!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1)); // Redis's
    }

    [Fact]
    public async Task GetAsync_TellsAMissFromAStoredDefault()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("zero", 0);
        await a.SetAsync<string?>("null", null);

        Assert.Equal(CacheResult<int>.Hit(0), await b.GetAsync<int>("zero"));
        Assert.Equal(CacheResult<string?>.Hit(null), await b.GetAsync<string?>("null"));
        Assert.Equal(CacheResult<int>.Miss, await b.GetAsync<int>("absent"));
    }

    [Fact]
    public async Task SetAsync_WithTimeToLive_ExpiresInBothTiers()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("short", "v", TimeSpan.FromSeconds(2));
        TimeSpan? ttl = await b.GetTimeToLiveAsync("short");
        Assert.InRange(ttl!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(2));
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

        Assert.Equal(CacheResult<string>.Hit("secret"), await b.GetAndRemoveAsync<string>("token"));
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
    public async Task ExpireAsync_Shortened_AnotherInstanceFillsL1ForNoLongerThanRedisKeepsIt()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("k", "v", TimeSpan.FromHours(1));
        Assert.True(await a.ExpireAsync("k", TimeSpan.FromSeconds(30)));
        await Eventually.True(() => b.GetStatistics().InvalidationsReceived == 2, "A's two invalidations to reach B"); // else one may drop B's fill

        Assert.True((await b.GetAsync<string>("k")).HasValue); // fills B's L1 from the rewritten envelope
        Assert.InRange(b.Local.GetTimeToLive("k")!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        CacheResult<string>[] many = await NewCache().GetManyAsync<string>(["k"]);
        Assert.True(many[0].HasValue);

        Assert.True(await a.ExpireAsync("k", Timeout.InfiniteTimeSpan));
        TieredCache c = NewCache();
        Assert.True((await c.GetAsync<string>("k")).HasValue);
        Assert.Equal(Timeout.InfiniteTimeSpan, c.Local.GetTimeToLive("k"));
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
        var gate = new Gate();
        b.BeforeLocalFill = _ => gate.Hold();

        // B reads "old" from Redis and is held before putting it into L1.
        Task<CacheResult<string>> read = b.GetAsync<string>("k").AsTask();
        await gate.Reached();
        b.BeforeLocalFill = null;

        // A writes "new"; its invalidation reaches B while B's read is still open.
        long before = b.GetStatistics().InvalidationsReceived;
        await a.SetAsync("k", "new");
        await Eventually.True(() => b.GetStatistics().InvalidationsReceived > before, "the invalidation to reach B");
        gate.Release();

        Assert.Equal("old", (await read).Value); // the read began before the write: it may return the old value...
        Assert.False(b.Local.TryGet("k", out _), "...but must not leave it in L1");
        Assert.Equal("new", (await b.GetAsync<string>("k")).Value);
    }

    [Fact]
    public async Task FillRace_ReadDuringAnOwnRemoval_FetchingTheValueBeforeTheRemovalReachedRedis_DoesNotKeepItInL1()
    {
        TieredCache writer = NewCache(), a = NewCache();
        await writer.SetAsync("k", "old"); // in Redis, not in A's L1
        var gate = new Gate();
        a.BeforeRemoteWrite = gate.Hold;

        // A's removal has bumped the key's version and changed L1, and is held before its DEL.
        Task<bool> removal = a.RemoveAsync("k").AsTask();
        await gate.Reached();
        a.BeforeRemoteWrite = null;

        // A read now notes the versions after that bump and reads Redis before the DEL: nothing moves during its read.
        Assert.Equal("old", (await a.GetAsync<string>("k")).Value); // concurrent with the removal: either answer is right
        gate.Release();
        Assert.True(await removal);

        Assert.False(a.Local.TryGet("k", out _), "the value the removal deleted from Redis stayed in L1");
        Assert.Equal(CacheResult<string>.Miss, await a.GetAsync<string>("k"));
    }

    [Fact]
    public async Task FillRace_ReadDuringAnOwnWrite_FetchingTheOldValueAfterL1LostTheNewOne_DoesNotKeepIt()
    {
        TieredCache a = NewCache();
        await a.SetAsync("k", "old");
        var gate = new Gate();
        a.BeforeRemoteWrite = gate.Hold;

        Task write = a.SetAsync("k", "new").AsTask(); // in L1, held before its SET
        await gate.Reached();
        a.BeforeRemoteWrite = null;
        a.Local.Remove("k"); // as an eviction of a bounded L1 would, before Redis has the new value

        Assert.Equal("old", (await a.GetAsync<string>("k")).Value); // refilled from Redis, which still holds "old"
        gate.Release();
        await write;

        Assert.Equal("new", (await a.GetAsync<string>("k")).Value); // never "old" from L1 while Redis holds "new"
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
    public async Task GetManyAsync_MixesL1HitsRedisHitsAndMisses_InTheOrderGiven()
    {
        TieredCache a = NewCache(), b = NewCache();
        var items = new List<KeyValuePair<string, int>>();
        for (int i = 0; i < 50; i++)
        {
            items.Add(new($"many:{i}", i));
        }

        await a.SetManyAsync(items);
        await Eventually.True(() => b.GetStatistics().InvalidationsReceived == 1, "A's invalidation to reach B"); // else it may drop B's fills
        Assert.Equal(7, (await b.GetAsync<int>("many:7")).Value); // one of them already in B's L1
        string[] keys = [.. items.Select(item => item.Key), "many:absent", "many:7"];

        CacheResult<int>[] results = await b.GetManyAsync<int>(keys);

        Assert.Equal(keys.Length, results.Length);
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(CacheResult<int>.Hit(i), results[i]);
        }

        Assert.False(results[50].HasValue);
        Assert.Equal(CacheResult<int>.Hit(7), results[51]);
        Assert.Equal(50, b.Local.Count); // every value Redis returned is now in L1
    }

    [Fact]
    public async Task SetManyAsync_WithTimeToLive_AppliesItToEveryKey()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetManyAsync<string>([new("x", "1"), new("y", "2")], TimeSpan.FromMinutes(2));

        Assert.InRange((await b.GetTimeToLiveAsync("x"))!.Value, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2));
        Assert.InRange((await b.GetTimeToLiveAsync("y"))!.Value, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task RemoveManyAsync_RemovesFromRedisAndEveryL1()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetManyAsync<int>([new("r:1", 1), new("r:2", 2), new("r:3", 3), new("keep", 4)]);
        Assert.Equal(4, (await b.GetManyAsync<int>(["r:1", "r:2", "r:3", "keep"])).Count(r => r.HasValue));

        Assert.Equal(3, await a.RemoveManyAsync(["r:1", "r:2", "r:3", "r:absent"]));

        await Eventually.True(async () => (await b.GetManyAsync<int>(["r:1", "r:2", "r:3"])).All(r => !r.HasValue), "B to drop the removed keys");
        Assert.Equal(4, (await b.GetAsync<int>("keep")).Value);
    }

    [Fact]
    public async Task RemoveByPatternAsync_RemovesOnlyMatchingKeys_InRedisAndEveryL1()
    {
        TieredCache a = NewCache(), b = NewCache();
        var items = Enumerable.Range(0, 300).Select(i => new KeyValuePair<string, int>($"session:{i}", i))
            .Concat(Enumerable.Range(0, 20).Select(i => new KeyValuePair<string, int>($"user:{i}", i))).ToList();
        await a.SetManyAsync(items);
        Assert.True((await b.GetAsync<int>("session:5")).HasValue);

        Assert.Equal(300, await a.RemoveByPatternAsync("session:*"));

        await Eventually.True(async () => !(await b.GetAsync<int>("session:5")).HasValue, "B to drop the matching keys");
        Assert.Equal(0, (await b.GetManyAsync<int>(items.Take(300).Select(i => i.Key).ToArray())).Count(r => r.HasValue));
        Assert.Equal(20, (await b.GetManyAsync<int>(items.Skip(300).Select(i => i.Key).ToArray())).Count(r => r.HasValue));
    }

    [Fact]
    public async Task RemoveByPatternAsync_MatchesTheUtf8BytesOfKeys_AsRedisDoes_SoNoL1KeepsWhatRedisRemoved()
    {
        // "é" is two UTF-8 bytes: Redis's "??" matches it, and so must every L1, or they keep serving what Redis removed.
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("é", "v1");
        await a.SetAsync("日本", "v2");   // six bytes
        await a.SetAsync("ab", "v3");
        Assert.Equal(3, (await b.GetManyAsync<string>(["é", "日本", "ab"])).Count(r => r.HasValue));

        Assert.Equal(2, await a.RemoveByPatternAsync("??"));   // é and ab
        Assert.Equal(0, await a.RemoveByPatternAsync("?"));

        Assert.False((await a.GetAsync<string>("é")).HasValue);
        await Eventually.True(async () => !(await b.GetAsync<string>("é")).HasValue, "B to drop é");
        Assert.False((await b.GetAsync<string>("ab")).HasValue);
        Assert.Equal("v2", (await b.GetAsync<string>("日本")).Value);
        Assert.Equal(1, await b.RemoveByPatternAsync("??????"));
        await Eventually.True(() => a.Local.Count == 0, "A to drop 日本");
    }

    [Fact]
    public async Task ClearAsync_RemovesThisPrefixOnly()
    {
        // A sibling prefix, which the clear's pattern (this prefix, then anything) does not match. (A prefix nested in
        // this one, "this:other:", is inside this cache's keys, and a clear removes it too.)
        TieredCache mine = NewCache();
        var otherOptions = new TieredCacheOptions { Redis = Redis, KeyPrefix = _prefix[..^1] + "-other:", OperationTimeout = TimeSpan.FromSeconds(5) };
        await using var other = new TieredCache(otherOptions);
        await mine.SetManyAsync<int>([new("a", 1), new("b", 2)]);
        await other.SetAsync("a", 9);

        await mine.ClearAsync();

        Assert.Equal(0, mine.Local.Count);
        Assert.False((await NewCache().GetAsync<int>("a")).HasValue);
        await using var otherReader = new TieredCache(otherOptions); // an empty L1: what Redis still has
        Assert.Equal(9, (await otherReader.GetAsync<int>("a")).Value);
    }

    [Fact]
    public async Task CountersUpdatesAndTimesToLive_WorkOnThisTopology()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("doc", 1, TimeSpan.FromMinutes(10));

        Assert.Equal(2, (await b.UpdateAsync<int>("doc", n => n + 1)).Value);
        Assert.Equal(3L, await a.IncrementAsync("count", 3, TimeSpan.FromMinutes(1)));
        Assert.Equal(4L, await b.IncrementAsync("count"));
        Assert.True(await b.SetTimeToLiveAsync("count", TimeSpan.FromHours(1)));

        await Eventually.True(async () => (await a.GetAsync<int>("doc")).Value == 2, "A to drop its old copy");
        Assert.Equal(4L, (await a.GetAsync<long>("count")).Value);
        Assert.InRange((await a.GetTimeToLiveAsync("count"))!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        Assert.InRange((await a.GetTimeToLiveAsync("doc"))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task IndexesAndTags_WorkOnASingleServer_AndAreRefusedOnACluster_BeforeAnyWrite()
    {
        TieredCache cache = NewCache();
        bool cluster = this is ClusterTieredCacheTests;
        var options = new CacheEntryOptions { Indexes = { ["user"] = "alice" } };

        if (cluster)
        {
            await Assert.ThrowsAsync<NotSupportedException>(() => cache.SetAsync("k", 1, options).AsTask());
            await Assert.ThrowsAsync<NotSupportedException>(() => cache.GetByIndexAsync<int>("user", "alice").AsTask());
            await Assert.ThrowsAsync<NotSupportedException>(() => cache.RemoveByTagAsync("t").AsTask());
            Assert.False(await cache.ExistsAsync("k"));
        }
        else
        {
            await cache.SetAsync("k", 1, options);
            Assert.Equal(1, (await NewCache().GetByIndexAsync<int>("user", "alice"))["k"]);
        }
    }

    public void Dispose()
    {
        _caches?.Dispose();
        GC.SuppressFinalize(this);
    }

    protected TieredCache NewCache(Action<TieredCacheOptions>? configure = null)
    {
        _caches ??= new TestCaches(Redis, _prefix, null);
        return _caches.New(configure);
    }

    /// <summary>Refused by MemoryPack (not packable) and by System.Text.Json (it refers to itself).</summary>
    private sealed class NotSerializable
    {
        public NotSerializable() => Self = this;

        public NotSerializable Self { get; set; }
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
