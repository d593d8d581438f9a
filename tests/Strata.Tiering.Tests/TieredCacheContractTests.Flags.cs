using System;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests;

/// <summary>Calls that leave a tier out (<see cref="CacheEntryFlags"/>, <see cref="CacheEntryOptions.MaximumRemoteBytes"/>).</summary>
public abstract partial class TieredCacheContractTests
{
    private static readonly CacheEntryOptions LocalOnlyWrite = new() { Flags = CacheEntryFlags.DisableRemoteWrite };
    private static readonly CacheEntryOptions RemoteOnlyWrite = new() { Flags = CacheEntryFlags.DisableLocalWrite };

    [Fact]
    public async Task DisableRemoteWrite_KeepsTheValueInL1_RemovesRedissValue_AndTheOtherInstancesCopies()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("k", "shared");
        // Let a's invalidation reach b first: arriving after b's read, it would drop what the read put in L1.
        await Eventually.True(() => b.GetStatistics().InvalidationsReceived == 1, "a's invalidation to reach b");
        Assert.Equal(CacheResult<string>.Hit("shared"), await b.GetAsync<string>("k"));
        Assert.True(b.Local.TryGet("k", out _));

        await a.SetAsync("k", "mine", LocalOnlyWrite);

        Assert.Equal(CacheResult<string>.Hit("mine"), await a.GetAsync<string>("k"));
        Assert.False(await RawExistsAsync("k"));
        await Eventually.True(() => !b.Local.TryGet("k", out _), "b to drop its copy");
        Assert.Equal(CacheResult<string>.Miss, await b.GetAsync<string>("k"));
    }

    [Fact]
    public async Task DisableLocalWrite_WritesRedisOnly_AndRemovesTheL1Copy()
    {
        TieredCache a = NewCache();
        await a.SetAsync("k", "old");

        await a.SetAsync("k", "new", RemoteOnlyWrite);

        Assert.False(a.Local.TryGet("k", out _));
        Assert.True(await RawExistsAsync("k"));
        Assert.Equal(CacheResult<string>.Hit("new"), await a.GetAsync<string>("k"));
        Assert.Equal(1, a.GetStatistics().RemoteHits);
    }

    [Fact]
    public async Task DisableLocalRead_ReadsRedis_PastAnL1Copy()
    {
        TieredCache a = NewCache();
        await a.SetAsync("k", "v");
        int runs = 0;

        Assert.Equal(CacheResult<string>.Hit("v"), await a.GetAsync<string>("k", CacheEntryFlags.DisableLocalRead));
        Assert.Equal("v", await a.GetOrSetAsync("k", (_, _, _) => { runs++; return ValueTask.FromResult("made"); }, new CacheEntryOptions { Flags = CacheEntryFlags.DisableLocalRead }));

        Assert.Equal(0, runs);
        Assert.Equal(2, a.GetStatistics().RemoteHits);
    }

    [Fact]
    public async Task DisableRemoteRead_AnL1MissIsAMiss_AndGetOrSetRunsTheFactory()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("k", "in redis");
        var noRemoteRead = new CacheEntryOptions { Flags = CacheEntryFlags.DisableRemoteRead };

        Assert.Equal(CacheResult<string>.Miss, await b.GetAsync<string>("k", CacheEntryFlags.DisableRemoteRead));
        Assert.Equal("made", await b.GetOrSetAsync("k", (_, _, _) => ValueTask.FromResult("made"), noRemoteRead));

        Assert.Equal(0, b.GetStatistics().RemoteHits);
        Assert.Equal(1, b.GetStatistics().FactoryRuns);
    }

    [Fact]
    public async Task DisableLocalWrite_OnARead_DoesNotCopyTheValueIntoL1()
    {
        TieredCache a = NewCache(), b = NewCache();
        await a.SetAsync("k", "v");

        Assert.Equal(CacheResult<string>.Hit("v"), await b.GetAsync<string>("k", CacheEntryFlags.DisableLocalWrite));
        Assert.Equal("v", await b.GetOrSetAsync("k", (_, _, _) => ValueTask.FromResult("made"), RemoteOnlyWrite));

        Assert.False(b.Local.TryGet("k", out _));
        Assert.Equal(2, b.GetStatistics().RemoteHits);
    }

    [Fact]
    public async Task GetOrSet_DisableRemoteWrite_CachesTheFactorysValueInL1Only()
    {
        TieredCache a = NewCache(), b = NewCache();

        Assert.Equal("local", await a.GetOrSetAsync("k", (_, _, _) => ValueTask.FromResult("local"), LocalOnlyWrite));

        Assert.True(a.Local.TryGet("k", out _));
        Assert.False(await RawExistsAsync("k"));
        Assert.Equal(CacheResult<string>.Miss, await b.GetAsync<string>("k"));
    }

    [Fact]
    public async Task MaximumRemoteBytes_KeepsALargerValueInL1Only_AndCountsIt()
    {
        TieredCache a = NewCache(), b = NewCache();
        var limited = new CacheEntryOptions { MaximumRemoteBytes = 100 };
        await a.SetAsync("k", "small", limited);
        Assert.True(await RawExistsAsync("k"));

        await a.SetAsync("k", new string('x', 1000), limited);

        Assert.Equal(1000, (await a.GetAsync<string>("k")).Value!.Length);
        Assert.False(await RawExistsAsync("k"));
        Assert.Equal(CacheResult<string>.Miss, await b.GetAsync<string>("k"));
        Assert.Equal(1, a.GetStatistics().RemoteWritesTooLarge);
    }

    [Fact]
    public async Task CallsThatLeaveOutOtherTiers_DoNotShareAFactoryRun()
    {
        TieredCache cache = NewCache();
        var gate = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        int runs = 0;
        async ValueTask<string> Factory(string key, CacheEntryContext context, CancellationToken token)
        {
            Interlocked.Increment(ref runs);
            return await gate.Task;
        }

        Task<string> plain = cache.GetOrSetAsync("k", Factory).AsTask();
        Task<string> samePlain = cache.GetOrSetAsync("k", Factory).AsTask();
        Task<string> localOnly = cache.GetOrSetAsync("k", Factory, LocalOnlyWrite).AsTask();
        await Eventually.True(() => Volatile.Read(ref runs) == 2, "both runs to start");
        gate.SetResult("v");

        Assert.Equal(["v", "v", "v"], await Task.WhenAll(plain, samePlain, localOnly));
        Assert.Equal(2, runs);
    }

    [Fact]
    public void BadFlagsAndLimits_AreRefused()
    {
        Assert.Equal("Flags", Assert.Throws<ArgumentOutOfRangeException>(() => new CacheEntryOptions { Flags = (CacheEntryFlags)64 }).ParamName);
        Assert.Equal("MaximumRemoteBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new CacheEntryOptions { MaximumRemoteBytes = 0 }).ParamName);
        TieredCache cache = NewCache();
        Assert.Equal("flags", Assert.Throws<ArgumentOutOfRangeException>(() => cache.GetAsync<string>("k", (CacheEntryFlags)32)).ParamName);
    }

    private async Task<bool> RawExistsAsync(string key)
    {
        await using ConnectionMultiplexer raw = await ConnectionMultiplexer.ConnectAsync(Redis);
        return await raw.GetDatabase().KeyExistsAsync(_prefix + key);
    }
}
