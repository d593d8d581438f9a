using System;
using System.Linq;
using System.Threading.Tasks;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests.CacheApi;

public abstract partial class CacheApiContractTests
{
    [Fact]
    public async Task Update_ConcurrentOnTwoInstances_LosesNoUpdate()
    {
        TieredCache a = NewCache(), b = SecondInstance(a);
        await a.SetAsync("n", 0);

        async Task Increments(TieredCache cache)
        {
            await Task.Yield();
            for (int i = 0; i < 500; i++)
            {
                Assert.True((await cache.UpdateAsync<int>("n", n => n + 1)).HasValue);
            }
        }

        await Task.WhenAll(Task.Run(() => Increments(a)), Task.Run(() => Increments(b)));

        Assert.Equal(1000, (await a.GetAsync<int>("n")).Value);
        await Eventually.True(async () => (await b.GetAsync<int>("n")).Value == 1000, "B to see the last update");
        if (Redis is not null)
        {
            Assert.Equal(1000, (await NewCache().GetAsync<int>("n")).Value);
        }
    }

    [Fact]
    public async Task Update_MissingOrOfAnotherType_IsAMissAndWritesNothing()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("s", "text");
        int calls = 0;

        Assert.False((await cache.UpdateAsync<int>("missing", n => ++calls)).HasValue);
        Assert.False((await cache.UpdateAsync<int>("s", n => ++calls)).HasValue);

        Assert.Equal(0, calls);
        Assert.False(await cache.ExistsAsync("missing"));
        Assert.Equal("text", (await cache.GetAsync<string>("s")).Value);
    }

    [Fact]
    public async Task Update_ThatThrows_LeavesTheValueAlone()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("k", 1);

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.UpdateAsync<int>("k", _ => throw new InvalidOperationException("no")).AsTask());

        Assert.Equal(1, (await cache.GetAsync<int>("k")).Value);
    }

    [Fact]
    public async Task Update_KeepsTheTimeToLive_OrRestartsItWhenAsked()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("kept", 1, TimeSpan.FromMinutes(10));
        await cache.SetAsync("restarted", 1, TimeSpan.FromMinutes(10));

        Assert.Equal(2, (await cache.UpdateAsync<int>("kept", n => n + 1)).Value);
        Assert.Equal(2, (await cache.UpdateAsync<int>("restarted", n => n + 1, TimeSpan.FromHours(1))).Value);

        Assert.InRange((await cache.GetTimeToLiveAsync("kept"))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.InRange((await cache.GetTimeToLiveAsync("restarted"))!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        if (Redis is not null)
        {
            TieredCache other = NewCache();
            Assert.Equal(2, (await other.GetAsync<int>("restarted")).Value);
            Assert.InRange((await other.GetTimeToLiveAsync("kept"))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        }
    }

    [Fact]
    public async Task Update_InANamespace_KeepsOrRestartsTheTimeToLiveAsTheNamespaceSays()
    {
        TieredCache cache = NewCache();
        CacheNamespace keeping = cache.Namespace("keep", TimeSpan.FromHours(1));
        CacheNamespace restarting = cache.Namespace("restart", TimeSpan.FromHours(1), restartTimeToLiveOnUpdate: true);
        await keeping.SetAsync("k", "a", TimeSpan.FromMinutes(10));
        await restarting.SetAsync("k", "a", TimeSpan.FromMinutes(10));

        Assert.Equal("ab", (await keeping.UpdateAsync<string>("k", s => s + "b")).Value);
        Assert.Equal("ab", (await restarting.UpdateAsync<string>("k", s => s + "b")).Value);

        Assert.InRange((await keeping.GetTimeToLiveAsync("k"))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.InRange((await restarting.GetTimeToLiveAsync("k"))!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        Assert.True(restarting.RestartTimeToLiveOnUpdate);
        Assert.Throws<ArgumentException>(() => cache.Namespace("restart", TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task Update_OnAnotherInstance_ReachesThisInstancesL1()
    {
        TieredCache a = NewCache(), b = SecondInstance(a);
        await a.SetAsync("k", 1);
        Assert.Equal(1, (await b.GetAsync<int>("k")).Value); // B holds a copy

        await a.UpdateAsync<int>("k", n => n + 10);

        await Eventually.True(async () => (await b.GetAsync<int>("k")).Value == 11, "B to drop its old copy");
    }

    [Fact]
    public async Task Counter_StartsAtDelta_WithItsTimeToLive_WhichLaterIncrementsLeaveAlone()
    {
        TieredCache cache = NewCache();

        Assert.Equal(5, await cache.IncrementAsync("hits", 5, TimeSpan.FromMinutes(1)));
        Assert.True(await cache.SetTimeToLiveAsync("hits", TimeSpan.FromHours(1)));
        Assert.Equal(3, await cache.IncrementAsync("hits", -2, TimeSpan.FromMinutes(1)));
        Assert.Equal(4, await cache.IncrementAsync("hits"));

        Assert.InRange((await cache.GetTimeToLiveAsync("hits"))!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        Assert.Equal(4L, (await cache.GetAsync<long>("hits")).Value);
        Assert.True(await cache.ExistsAsync("hits"));
        Assert.Equal(1, await cache.IncrementAsync("fresh", 1, TimeSpan.FromMinutes(1)));
        Assert.InRange((await cache.GetTimeToLiveAsync("fresh"))!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1));
        Assert.True(await cache.RemoveAsync("hits"));
        Assert.Equal(1, await cache.IncrementAsync("hits"));
    }

    [Fact]
    public async Task Counter_IsExactAcrossInstances_AndNoL1ServesAStaleCount()
    {
        TieredCache a = NewCache(), b = SecondInstance(a);
        Assert.Equal(1L, await a.IncrementAsync("rate:alice", 1, TimeSpan.FromMinutes(1)));
        Assert.Equal(1L, (await b.GetAsync<long>("rate:alice")).Value);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => (i % 2 == 0 ? a : b).IncrementAsync("rate:alice", 1, TimeSpan.FromMinutes(1)).AsTask()));

        Assert.Equal(201L, (await a.GetAsync<long>("rate:alice")).Value);
        Assert.Equal(201L, (await b.GetAsync<long>("rate:alice")).Value); // read right after, without waiting for anything
        Assert.Equal(202L, await b.IncrementAsync("rate:alice"));
    }

    [Fact]
    public async Task Counter_AndValue_AreNotInterchangeable()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("value", 5L);
        await cache.IncrementAsync("counter");

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.IncrementAsync("value").AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.UpdateAsync<long>("counter", n => n + 1).AsTask());

        Assert.Equal(5L, (await cache.GetAsync<long>("value")).Value);
        Assert.Equal(1L, (await cache.GetAsync<long>("counter")).Value);
    }

    [Fact]
    public async Task Counter_Overflow_ThrowsAndKeepsTheCount()
    {
        TieredCache cache = NewCache();
        await cache.IncrementAsync("big", long.MaxValue - 1);

        await Assert.ThrowsAsync<OverflowException>(() => cache.IncrementAsync("big", 2).AsTask());

        Assert.Equal(long.MaxValue, await cache.IncrementAsync("big", 1));
    }

    [Fact]
    public async Task Counter_InANamespace_UsesItsDefaultTimeToLive()
    {
        TieredCache cache = NewCache();
        CacheNamespace limits = cache.Namespace("rate_limit", TimeSpan.FromSeconds(3600));

        Assert.Equal(1, await limits.IncrementAsync("api:alice"));

        Assert.InRange((await limits.GetTimeToLiveAsync("api:alice"))!.Value, TimeSpan.FromSeconds(3590), TimeSpan.FromSeconds(3600));
        Assert.True(await limits.SetTimeToLiveAsync("api:alice", TimeSpan.FromSeconds(60)));
        Assert.InRange((await limits.GetTimeToLiveAsync("api:alice"))!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(60));
        Assert.Equal(1L, (await cache.GetAsync<long>("rate_limit:api:alice")).Value);
    }

    [Fact]
    public async Task SetTimeToLive_OnValues_ChangesItEverywhere_AndMissingKeysReportFalse()
    {
        TieredCache cache = NewCache(o => o.FailSafeMaxDuration = TimeSpan.FromMinutes(5));
        await cache.SetAsync("v", "x", TimeSpan.FromMinutes(1));

        Assert.True(await cache.SetTimeToLiveAsync("v", TimeSpan.FromMinutes(30)));
        Assert.False(await cache.SetTimeToLiveAsync("missing", TimeSpan.FromMinutes(30)));

        Assert.InRange((await cache.GetTimeToLiveAsync("v"))!.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));
        Assert.Null(await cache.GetTimeToLiveAsync("missing"));
        Assert.Equal("x", (await cache.GetAsync<string>("v")).Value);
        if (Redis is not null)
        {
            Assert.InRange((await NewCache(o => o.FailSafeMaxDuration = TimeSpan.FromMinutes(5)).GetTimeToLiveAsync("v"))!.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));
        }
    }
}
