using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;
using Microsoft.Extensions.Time.Testing;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests.CacheApi;

/// <summary>
/// The cache API the services expect (get-or-set, namespaces, indexes, updates, counters), with the same observable
/// results on an L1-only <see cref="TieredCache"/> and on a tiered one over a real Redis. Each test uses its own key
/// prefix; the fake clock drives L1's time (and the envelopes' logical expiry), Redis keeps its own.
/// </summary>
public abstract partial class CacheApiContractTests : IDisposable
{
    private TestCaches? _caches;
    /// <summary>Gets this test's key prefix.</summary>
    protected string Prefix { get; } = "api:" + Guid.NewGuid().ToString("N")[..12] + ":";

    /// <summary>Gets the Redis configuration, or null for the L1-only configuration.</summary>
    protected abstract string? Redis { get; }

    protected FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public void Dispose()
    {
        _caches?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Another instance sharing the Redis tier; without Redis, the same cache (there is no other to share with).</summary>
    protected TieredCache SecondInstance(TieredCache cache, Action<TieredCacheOptions>? configure = null) => Redis is null ? cache : NewCache(configure);

    protected TieredCache NewCache(Action<TieredCacheOptions>? configure = null)
    {
        _caches ??= new TestCaches(Redis, Prefix, Time);
        return _caches.New(configure);
    }
}

public sealed class LocalOnlyCacheApiTests : CacheApiContractTests
{
    protected override string? Redis => null;

    [Fact]
    public async Task IndexListing_FollowsEvictionExpiryAndOverwrites_SoItNeverGrowsPastL1()
    {
        TieredCache cache = NewCache(o => o.LocalMaxEntries = 20);
        for (int i = 0; i < 500; i++)
        {
            var options = new CacheEntryOptions { TimeToLive = TimeSpan.FromMinutes(1 + (i % 3)), Indexes = { ["user"] = "u" + (i % 7) }, Tags = { "t" } };
            await cache.SetAsync("k" + (i % 60), i, options);
        }

        Assert.InRange(cache.LocalGroupListings, 1, 2 * cache.Local.Count); // two groups per live entry, no more
        Assert.Equal(cache.Local.Count, (await cache.GetKeysByIndexAsync("user", "u0")).Count
            + (await Task.WhenAll(Enumerable.Range(1, 6).Select(u => cache.GetKeysByIndexAsync("user", "u" + u).AsTask()))).Sum(keys => keys.Count));

        Time.Advance(TimeSpan.FromMinutes(5)); // everything expires; the timer wheel drops it without a read

        Assert.Equal(0, cache.Local.Count);
        Assert.Equal(0, cache.LocalGroupListings);
    }
}

public sealed class TieredCacheApiTests(SingleRedis redis) : CacheApiContractTests, IClassFixture<SingleRedis>
{
    protected override string? Redis => redis.Configuration;

    [Fact]
    public async Task IndexLayout_IsDesignMds_AndEverySetLivesAsLongAsItsMember()
    {
        TieredCache cache = NewCache();
        CacheNamespace actions = cache.Namespace("actions");
        await using ConnectionMultiplexer raw = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        IDatabase db = raw.GetDatabase();
        string index = Prefix + "actions:__idx:user:alice", tag = Prefix + "actions:__tag:org:7", record = Prefix + "actions:__grp:1";

        await actions.SetAsync("1", "v", new CacheEntryOptions { TimeToLive = TimeSpan.FromMinutes(1), Indexes = { ["user"] = "alice" }, Tags = { "org:7" } });

        Assert.Equal(["actions:1"], (await db.SetMembersAsync(index)).Select(m => (string)m!));
        Assert.Equal(["actions:1"], (await db.SetMembersAsync(tag)).Select(m => (string)m!));
        Assert.Equal([index, tag], (await db.SetMembersAsync(record)).Select(m => (string)m!).Order());
        foreach (string key in new[] { index, tag, record })
        {
            Assert.InRange((await db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1));
        }

        Assert.True(await actions.SetTimeToLiveAsync("1", TimeSpan.FromHours(1)));
        foreach (string key in new[] { index, tag, record })
        {
            Assert.InRange((await db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        }

        Assert.True(await actions.ExpireAsync("1", Timeout.InfiniteTimeSpan));
        Assert.Null(await db.KeyTimeToLiveAsync(index)); // persisted with its member
        Assert.Equal("v", (await actions.GetByIndexAsync<string>("user", "alice"))["1"]);
    }
}
