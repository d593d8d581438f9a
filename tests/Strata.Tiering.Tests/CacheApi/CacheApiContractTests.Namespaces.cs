using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests.CacheApi;

public abstract partial class CacheApiContractTests
{
    [Fact]
    public async Task Namespace_GetOrSetWithState_RunsTheFactoryOnceWithTheStateAndCountsTheHit()
    {
        TieredCache cache = NewCache();
        CacheNamespace users = cache.Namespace("users", TimeSpan.FromMinutes(5));
        int runs = 0;
        Func<string, (int Id, string Name), CacheEntryContext, System.Threading.CancellationToken, ValueTask<string>> factory = (key, state, context, _) =>
        {
            runs++;
            return ValueTask.FromResult($"{key}={state.Id}:{state.Name}:{context.TimeToLive}");
        };

        string first = await users.GetOrSetAsync("42", (42, "alice"), factory);
        string second = await users.GetOrSetAsync("42", (0, "ignored on a hit"), factory);

        Assert.Equal("42=42:alice:00:05:00", first);
        Assert.Equal(first, second);
        Assert.Equal(1, runs);
        Assert.Equal((1L, 1L, 1L), (users.GetStatistics().Hits, users.GetStatistics().Misses, users.GetStatistics().Sets));
        Assert.Equal(first, (await cache.GetAsync<string>("users:42")).Value);
    }

    [Fact]
    public async Task Namespace_Batches_WorkOnItsOwnKeys_AndCountInItsStatistics()
    {
        TieredCache cache = NewCache();
        CacheNamespace users = cache.Namespace("users");
        await cache.SetAsync("1", -1); // the same key outside the namespace

        await users.SetManyAsync([new KeyValuePair<string, int>("1", 10), new KeyValuePair<string, int>("2", 20)]);
        CacheResult<int>[] read = await users.GetManyAsync<int>(["1", "2", "3"]);
        long removed = await users.RemoveManyAsync(["1", "3"]);

        Assert.Equal([CacheResult<int>.Hit(10), CacheResult<int>.Hit(20), CacheResult<int>.Miss], read);
        Assert.Equal(1, removed);
        Assert.False((await users.GetAsync<int>("1")).HasValue);
        Assert.Equal(CacheResult<int>.Hit(-1), await cache.GetAsync<int>("1"));
        Assert.Equal(CacheResult<int>.Hit(20), await cache.GetAsync<int>("users:2"));
        NamespaceStatistics stats = users.GetStatistics();
        Assert.Equal((2L, 2L, 2L), (stats.Hits, stats.Misses, stats.Sets)); // two hits and a miss in the batch, then the miss after the removal
    }

    [Fact]
    public async Task Namespace_GetAndRemoveAndPatterns_StayInsideTheNamespace()
    {
        TieredCache cache = NewCache();
        CacheNamespace users = cache.Namespace("users");
        await users.SetAsync("token", "secret");
        await users.SetAsync("session:1", "a");
        await users.SetAsync("session:2", "b");
        await cache.SetAsync("session:1", "outside");

        Assert.Equal(CacheResult<string>.Hit("secret"), await users.GetAndRemoveAsync<string>("token"));
        Assert.False(await users.ExistsAsync("token"));
        Assert.Equal(2, await users.RemoveByPatternAsync("session:*"));
        Assert.False(await users.ExistsAsync("session:2"));
        Assert.Equal(CacheResult<string>.Hit("outside"), await cache.GetAsync<string>("session:1"));
    }

    [Fact]
    public async Task Namespace_UpdateAsync_WithATimeToLive_RestartsIt_WhateverTheNamespaceRule()
    {
        TieredCache cache = NewCache();
        CacheNamespace keeping = cache.Namespace("keeping", TimeSpan.FromMinutes(1));
        await keeping.SetAsync("k", "a");

        Assert.Equal("ab", (await keeping.UpdateAsync<string>("k", s => s + "b", TimeSpan.FromHours(2))).Value);

        Assert.InRange((await keeping.GetTimeToLiveAsync("k"))!.Value, TimeSpan.FromMinutes(119), TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task Namespace_InvalidateAsync_RemovesKeysAndTaggedValues_OnEveryInstance()
    {
        TieredCache cache = NewCache();
        TieredCache peer = SecondInstance(cache);
        CacheNamespace mine = cache.Namespace("s"), theirs = peer.Namespace("s");
        await mine.SetAsync("session", "v");
        await mine.SetAsync("list:alice", "[1]", new CacheEntryOptions { Tags = { "u:alice" } });
        await mine.SetAsync("list:agent", "[1]", new CacheEntryOptions { Tags = { "a:code" } });
        await mine.SetAsync("list:bob", "[2]", new CacheEntryOptions { Tags = { "u:bob" } });
        foreach (string key in new[] { "session", "list:alice", "list:agent", "list:bob" })
        {
            Assert.True((await theirs.GetAsync<string>(key)).HasValue); // the peer's L1 holds each
        }

        long removed = await mine.InvalidateAsync(["session", "missing"], ["u:alice", "a:code"]);

        Assert.Equal(3, removed);
        foreach (CacheNamespace ns in new[] { mine, theirs })
        {
            await Eventually.True(async () => !(await ns.GetAsync<string>("list:alice")).HasValue, "the invalidation to reach every instance");
            Assert.False((await ns.GetAsync<string>("session")).HasValue);
            Assert.False((await ns.GetAsync<string>("list:agent")).HasValue);
            Assert.Equal(CacheResult<string>.Hit("[2]"), await ns.GetAsync<string>("list:bob"));
        }
    }

    [Fact]
    public async Task Namespace_KeysAreApart_AndLiveUnderTheNamespacePrefix()
    {
        TieredCache cache = NewCache();
        CacheNamespace users = cache.Namespace("users"), orders = cache.Namespace("orders");

        await users.SetAsync("1", "alice");

        Assert.Equal(CacheResult<string>.Hit("alice"), await users.GetAsync<string>("1"));
        Assert.False((await orders.GetAsync<string>("1")).HasValue);
        Assert.Equal("alice", (await cache.GetAsync<string>("users:1")).Value); // the documented layout
        Assert.Same(users, cache.Namespace("users"));
    }

    [Fact]
    public async Task Namespace_ClearAsync_RemovesOnlyItsOwnKeysFromBothTiers()
    {
        TieredCache cache = NewCache();
        CacheNamespace users = cache.Namespace("users"), other = cache.Namespace("users2");
        await users.SetAsync("a", 1);
        await users.SetAsync("b", 2);
        await other.SetAsync("a", 3);
        await cache.SetAsync("users", 4); // the bare name is not in the namespace

        long removed = await users.ClearAsync();

        Assert.Equal(2, removed);
        Assert.False(await users.ExistsAsync("a"));
        Assert.False(await users.ExistsAsync("b"));
        Assert.Equal(3, (await other.GetAsync<int>("a")).Value);
        Assert.Equal(4, (await cache.GetAsync<int>("users")).Value);
        if (Redis is not null)
        {
            TieredCache fresh = NewCache(); // an empty L1: what it reads comes from Redis
            Assert.False((await fresh.Namespace("users").GetAsync<int>("a")).HasValue);
            Assert.Equal(3, (await fresh.Namespace("users2").GetAsync<int>("a")).Value);
        }
    }

    [Fact]
    public async Task Namespace_DefaultTimeToLive_AppliesToWritesWithoutOne()
    {
        TieredCache cache = NewCache(o => o.DefaultTimeToLive = TimeSpan.FromHours(1));
        CacheNamespace confirmations = cache.Namespace("confirmation", TimeSpan.FromSeconds(300));

        await confirmations.SetAsync("action", "pending");
        await confirmations.GetOrSetAsync("made", (_, _, _) => ValueTask.FromResult("x"));
        await confirmations.SetAsync("custom", "v", TimeSpan.FromSeconds(30));

        Assert.InRange((await confirmations.GetTimeToLiveAsync("action"))!.Value, TimeSpan.FromSeconds(290), TimeSpan.FromSeconds(300));
        Assert.InRange((await confirmations.GetTimeToLiveAsync("made"))!.Value, TimeSpan.FromSeconds(290), TimeSpan.FromSeconds(300));
        Assert.InRange((await confirmations.GetTimeToLiveAsync("custom"))!.Value, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30));
        Assert.True(await confirmations.ExpireAsync("action", TimeSpan.FromSeconds(10)));
        Assert.InRange((await confirmations.GetTimeToLiveAsync("action"))!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        Assert.True(await confirmations.RemoveAsync("action"));
        Assert.False(await confirmations.ExistsAsync("action"));
    }

    [Fact]
    public async Task Namespace_Statistics_CountItsOwnReadsAndWrites()
    {
        TieredCache cache = NewCache();
        CacheNamespace users = cache.Namespace("users"), orders = cache.Namespace("orders");
        await users.SetAsync("a", 1);
        await users.GetAsync<int>("a");                                             // hit
        await users.GetAsync<int>("missing");                                       // miss
        await users.GetOrSetAsync("made", (_, _, _) => ValueTask.FromResult(2));   // miss: the factory ran; a set
        await users.GetOrSetAsync("made", (_, _, _) => ValueTask.FromResult(3));   // hit
        await orders.GetAsync<int>("a");                                            // another namespace's miss

        NamespaceStatistics stats = users.GetStatistics();
        Assert.Equal(2, stats.Hits);
        Assert.Equal(2, stats.Misses);
        Assert.Equal(2, stats.Sets);
        Assert.Equal(0.5, stats.HitRatio);
        Assert.Equal(new NamespaceStatistics { Misses = 1 }, orders.GetStatistics());
    }

    [Fact]
    public void Namespace_BadArguments_ThrowWithTheirNames()
    {
        TieredCache cache = NewCache();
        CacheNamespace users = cache.Namespace("users", TimeSpan.FromMinutes(5));
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => cache.Namespace(null!)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => cache.Namespace("")).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => cache.Namespace("a:b")).ParamName);
        Assert.Equal("defaultTimeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => cache.Namespace("x", TimeSpan.Zero)).ParamName);
        Assert.Equal("defaultTimeToLive", Assert.Throws<ArgumentException>(() => cache.Namespace("users", TimeSpan.FromMinutes(1))).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentNullException>(() => users.SetAsync<int>(null!, 1)).ParamName);
        Assert.Equal("timeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => users.SetAsync("k", 1, TimeSpan.Zero)).ParamName);
    }
}
