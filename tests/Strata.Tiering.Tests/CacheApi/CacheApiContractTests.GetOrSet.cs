using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests.CacheApi;

public abstract partial class CacheApiContractTests
{
    [Fact]
    public async Task GetOrSetAsync_Miss_RunsTheFactoryOnce_ThenHits()
    {
        TieredCache cache = NewCache();
        int runs = 0;

        string first = await cache.GetOrSetAsync("k", (key, _, _) => { runs++; return ValueTask.FromResult("v:" + key); });
        string second = await cache.GetOrSetAsync("k", (key, _, _) => { runs++; return ValueTask.FromResult("other"); });

        Assert.Equal("v:k", first);
        Assert.Equal("v:k", second);
        Assert.Equal(1, runs);
        Assert.Equal(1, cache.GetStatistics().FactoryRuns);
        Assert.Equal(CacheResult<string>.Hit("v:k"), await cache.GetAsync<string>("k"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(1000)]
    public async Task GetOrSetAsync_ConcurrentCallers_ShareOneFactoryRun(int callers)
    {
        TieredCache cache = NewCache();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int runs = 0;
        async ValueTask<int> Factory(string key, CacheEntryContext context, CancellationToken token)
        {
            Interlocked.Increment(ref runs);
            await gate.Task;
            return 42;
        }

        var calls = new Task<int>[callers];
        Parallel.For(0, callers, i => calls[i] = cache.GetOrSetAsync<int>("hot", Factory).AsTask());
        gate.SetResult();
        int[] values = await Task.WhenAll(calls);

        Assert.Equal(1, runs);
        Assert.All(values, value => Assert.Equal(42, value));
        Assert.Equal(1, cache.GetStatistics().FactoryRuns);
    }

    public static TheoryData<string> Invalidations => ["remove", "set", "remove by tag", "clear"];

    [Theory]
    [MemberData(nameof(Invalidations))]
    public async Task GetOrSetAsync_InvalidatedWhileTheFactoryRuns_ValueIsReturnedButNotCached(string invalidation)
    {
        TieredCache cache = NewCache();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async ValueTask<string> Slow(string key, CacheEntryContext context, CancellationToken token)
        {
            entered.SetResult();
            await gate.Task; // the database read happened before the write below
            return "read before the write";
        }

        // The key is not yet a member of the tag: only the tag removal itself can tell the run it is stale.
        var tagged = new CacheEntryOptions { Tags = { "user:alice" } };
        Task<string> run = cache.GetOrSetAsync("k", Slow, invalidation == "remove by tag" ? tagged : null).AsTask();
        await entered.Task;
        switch (invalidation)
        {
            case "remove": await cache.RemoveAsync("k"); break;
            case "set": await cache.SetAsync("k", "written"); break;
            case "remove by tag": await cache.RemoveByTagAsync("user:alice"); break;
            case "clear": await cache.ClearAsync(); break;
        }

        gate.SetResult();

        Assert.Equal("read before the write", await run); // its caller still gets what it produced
        string expected = invalidation == "set" ? "written" : "read after the write";
        Assert.Equal(expected, await cache.GetOrSetAsync("k", (_, _, _) => ValueTask.FromResult("read after the write")));
        Assert.Equal(1, cache.GetStatistics().FactoryFillsDropped);
    }

    [Fact]
    public async Task GetOrSetAsync_CallerArrivingAfterAWriteDuringARun_DoesNotJoinIt()
    {
        TieredCache cache = NewCache();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async ValueTask<int> Old(string key, CacheEntryContext context, CancellationToken token)
        {
            entered.SetResult();
            await gate.Task;
            return 1;
        }

        Task<int> early = cache.GetOrSetAsync<int>("k", Old).AsTask();
        await entered.Task;
        await cache.RemoveAsync("k");
        Task<int> late = cache.GetOrSetAsync<int>("k", (_, _, _) => ValueTask.FromResult(2)).AsTask();
        int lateValue = await late; // does not wait for the early run
        gate.SetResult();

        Assert.Equal((1, 2), (await early, lateValue));
        Assert.Equal(2, (await cache.GetAsync<int>("k")).Value); // the late run's value is cached; the early one's is dropped
        Assert.Equal(1, cache.GetStatistics().FactoryFillsDropped);
    }

    [Fact]
    public async Task GetOrSetAsync_CallerCancels_StopsWaitingWithoutCancellingTheSharedRun()
    {
        TieredCache cache = NewCache();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationToken factoryToken = default;
        async ValueTask<string> Factory(string key, CacheEntryContext context, CancellationToken token)
        {
            factoryToken = token;
            await gate.Task;
            return "done";
        }

        using var cancel = new CancellationTokenSource();
        Task<string> quitter = cache.GetOrSetAsync<string>("k", Factory, cancellationToken: cancel.Token).AsTask();
        Task<string> patient = cache.GetOrSetAsync<string>("k", Factory).AsTask();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => quitter);
        Assert.False(patient.IsCompleted);
        gate.SetResult();
        Assert.Equal("done", await patient);
        Assert.False(factoryToken.IsCancellationRequested);
        Assert.Equal(1, cache.GetStatistics().FactoryRuns);
    }

    [Fact]
    public async Task GetOrSetAsync_FactoryThrows_EveryWaiterGetsTheException_AndNothingIsCached()
    {
        TieredCache cache = NewCache();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async ValueTask<string> Failing(string key, CacheEntryContext context, CancellationToken token)
        {
            await gate.Task;
            throw new InvalidOperationException("source down");
        }

        Task<string>[] calls = Enumerable.Range(0, 10).Select(_ => cache.GetOrSetAsync<string>("k", Failing).AsTask()).ToArray();
        gate.SetResult();

        foreach (Task<string> call in calls)
        {
            Assert.Equal("source down", (await Assert.ThrowsAsync<InvalidOperationException>(() => call)).Message);
        }

        Assert.False((await cache.GetAsync<string>("k")).HasValue);
        Assert.Equal("later", await cache.GetOrSetAsync("k", (_, _, _) => ValueTask.FromResult("later")));
        TieredCacheStatistics stats = cache.GetStatistics();
        Assert.Equal(2, stats.FactoryRuns);
        Assert.Equal(1, stats.FactoryErrors);
    }

    [Fact]
    public async Task GetOrSetAsync_FactoryDeclines_ValueIsReturnedButNotCached()
    {
        TieredCache cache = NewCache();
        int runs = 0;
        ValueTask<string[]> Empty(string key, CacheEntryContext context, CancellationToken token)
        {
            runs++;
            string[] found = [];
            if (found.Length == 0)
            {
                context.DoNotCache(); // the services' unless rule: an empty list is not worth caching
            }

            return ValueTask.FromResult(found);
        }

        Assert.Empty(await cache.GetOrSetAsync<string[]>("list", Empty));
        Assert.Empty(await cache.GetOrSetAsync<string[]>("list", Empty));

        Assert.Equal(2, runs);
        Assert.False((await cache.GetAsync<string[]>("list")).HasValue);
    }

    [Fact]
    public async Task GetOrSetAsync_FactorySetsTheTimeToLive_ItIsUsed()
    {
        TieredCache cache = NewCache();
        await cache.GetOrSetAsync("k", (_, context, _) =>
        {
            Assert.Equal(TimeSpan.FromMinutes(5), context.TimeToLive); // the call's, before the factory changes it
            context.TimeToLive = TimeSpan.FromSeconds(30);
            return ValueTask.FromResult("v");
        }, new CacheEntryOptions { TimeToLive = TimeSpan.FromMinutes(5) });

        Assert.InRange((await cache.GetTimeToLiveAsync("k"))!.Value, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30));
        Time.Advance(TimeSpan.FromSeconds(31));
        Assert.False((await cache.GetAsync<string>("k")).HasValue); // past the logical expiry: a miss in L1 and in Redis alike
    }

    [Fact]
    public async Task GetOrSetAsync_PastTheRefreshThreshold_ReturnsTheCurrentValueAndRefreshesOnceInTheBackground()
    {
        TieredCache cache = NewCache();
        var options = new CacheEntryOptions { TimeToLive = TimeSpan.FromSeconds(10), EagerRefreshThreshold = 0.5 };
        var refreshGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int version = 0;
        async ValueTask<int> Factory(string key, CacheEntryContext context, CancellationToken token)
        {
            int mine = Interlocked.Increment(ref version);
            if (mine > 1)
            {
                await refreshGate.Task;
            }

            return mine;
        }

        Assert.Equal(1, await cache.GetOrSetAsync<int>("hot", Factory, options));
        Time.Advance(TimeSpan.FromSeconds(6)); // past half of the time to live

        // Every read while the refresh runs is an immediate hit on the current value, and starts no other refresh.
        for (int i = 0; i < 20; i++)
        {
            ValueTask<int> read = cache.GetOrSetAsync<int>("hot", Factory, options);
            Assert.True(read.IsCompletedSuccessfully);
            Assert.Equal(1, await read);
        }

        Assert.Equal(1, cache.GetStatistics().EagerRefreshes);
        refreshGate.SetResult();
        await Eventually.True(async () => (await cache.GetAsync<int>("hot")).Value == 2, "the refreshed value to replace the old one");
        Time.Advance(TimeSpan.FromSeconds(5)); // past the first value's expiry: the refreshed one is still fresh
        Assert.Equal(2, await cache.GetOrSetAsync<int>("hot", Factory, options));
        Assert.Equal(2, cache.GetStatistics().FactoryRuns);
    }

    [Fact]
    public async Task GetOrSetAsync_FactoryFailsWithAStaleValueInTheWindow_ServesTheStaleValue()
    {
        TieredCache cache = NewCache(o => o.FailSafeMaxDuration = TimeSpan.FromMinutes(1));
        var options = new CacheEntryOptions { TimeToLive = TimeSpan.FromSeconds(10) };
        Assert.Equal("v1", await cache.GetOrSetAsync("k", (_, _, _) => ValueTask.FromResult("v1"), options));
        Time.Advance(TimeSpan.FromSeconds(15)); // stale, within the fail-safe window

        string served = await cache.GetOrSetAsync<string>("k", (_, _, _) => throw new InvalidOperationException("source down"), options);

        Assert.Equal("v1", served);
        Assert.Equal(1, cache.GetStatistics().FactoryFailSafeHits);
        var strict = new CacheEntryOptions { TimeToLive = TimeSpan.FromSeconds(10), ServeStaleOnFactoryError = false };
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await cache.GetOrSetAsync<string>("k", (_, _, _) => throw new InvalidOperationException("source down"), strict));
    }

    [Fact]
    public async Task GetOrSetAsync_Hit_AllocatesNothing()
    {
        TieredCache cache = NewCache();
        Func<string, CacheEntryContext, CancellationToken, ValueTask<string>> factory = (_, _, _) => ValueTask.FromResult("v");
        var options = new CacheEntryOptions { TimeToLive = TimeSpan.FromMinutes(1), EagerRefreshThreshold = 0.9 };
        await cache.GetOrSetAsync("k", factory, options);

        Allocations.AssertSynchronousAndFree(() => cache.GetOrSetAsync("k", factory, options).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task GetOrSetAsync_WithState_PassesItToTheFactory_AndAHitAllocatesNothing()
    {
        TieredCache cache = NewCache();
        Func<string, int, CacheEntryContext, CancellationToken, ValueTask<string>> factory = static (_, state, _, _) => ValueTask.FromResult($"user {state}");
        int id = 42;
        Assert.Equal("user 42", await cache.GetOrSetAsync("k", id, factory));

        Allocations.AssertSynchronousAndFree(() => cache.GetOrSetAsync("k", id, factory).IsCompletedSuccessfully);
    }

    [Fact]
    public void GetOrSetAsync_BadArguments_ThrowWithTheirNames()
    {
        TieredCache cache = NewCache();
        Assert.Equal("key", Assert.Throws<ArgumentNullException>(() => cache.GetOrSetAsync<int>(null!, (_, _, _) => default)).ParamName);
        Assert.Equal("factory", Assert.Throws<ArgumentNullException>(() => cache.GetOrSetAsync<int>("k", null!)).ParamName);
        Assert.Equal("TimeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => new CacheEntryOptions { TimeToLive = TimeSpan.Zero }).ParamName);
        Assert.Equal("EagerRefreshThreshold", Assert.Throws<ArgumentOutOfRangeException>(() => new CacheEntryOptions { EagerRefreshThreshold = 1.0 }).ParamName);
    }
}
