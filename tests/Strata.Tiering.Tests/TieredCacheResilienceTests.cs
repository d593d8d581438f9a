using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Strata.Testing;
using Strata.Tiering.Tests.Support;
using Xunit;

namespace Strata.Tiering.Tests;

/// <summary>What happens when Redis is absent, unreachable, or goes away and comes back.</summary>
public class TieredCacheResilienceTests
{
    private const string Unreachable = "127.0.0.1:1"; // nothing listens on port 1: connections are refused at once

    /// <summary>A cache whose Redis refuses every connection, with a short timeout and no backplane.</summary>
    private static TieredCache UnreachableCache(Action<TieredCacheOptions> configure)
    {
        var options = new TieredCacheOptions { Redis = Unreachable, Backplane = false, OperationTimeout = TimeSpan.FromMilliseconds(200) };
        configure(options);
        return new TieredCache(options);
    }

    [Fact]
    public async Task NoRedisConfigured_IsALocalOnlyCacheWithTheSameSemantics()
    {
        await using var cache = new TieredCache(new TieredCacheOptions());

        await cache.SetAsync("k", "v", TimeSpan.FromMinutes(1));

        Assert.Equal(TieredCacheState.LocalOnly, cache.State);
        Assert.Equal(CacheResult<string>.Hit("v"), await cache.GetAsync<string>("k"));
        Assert.True(await cache.ExistsAsync("k"));
        Assert.InRange((await cache.GetTimeToLiveAsync("k"))!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1));
        Assert.Equal(CacheResult<string>.Hit("v"), await cache.GetAndRemoveAsync<string>("k"));
        Assert.False(await cache.RemoveAsync("k"));
        Assert.Null(await cache.PingAsync());
        Assert.Equal(0, cache.GetStatistics().RemoteErrors);
    }

    [Fact]
    public async Task NoRedisConfigured_ExpireAsyncExtendsAndShortensTheTimeToLive()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cache = new TieredCache(new TieredCacheOptions { TimeProvider = time });
        await cache.SetAsync("extended", "v", TimeSpan.FromSeconds(2));
        await cache.SetAsync("shortened", "v", TimeSpan.FromMinutes(10));
        await cache.SetAsync("persisted", "v", TimeSpan.FromSeconds(2));

        Assert.True(await cache.ExpireAsync("extended", TimeSpan.FromSeconds(30)));
        Assert.True(await cache.ExpireAsync("shortened", TimeSpan.FromSeconds(1)));
        Assert.True(await cache.ExpireAsync("persisted", Timeout.InfiniteTimeSpan));
        Assert.False(await cache.ExpireAsync("missing", TimeSpan.FromSeconds(1)));
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(CacheResult<string>.Hit("v"), await cache.GetAsync<string>("extended"));
        Assert.InRange((await cache.GetTimeToLiveAsync("extended"))!.Value, TimeSpan.FromSeconds(24), TimeSpan.FromSeconds(25));
        Assert.Equal(CacheResult<string>.Miss, await cache.GetAsync<string>("shortened"));
        Assert.Equal(Timeout.InfiniteTimeSpan, await cache.GetTimeToLiveAsync("persisted"));
    }

    [Fact]
    public async Task UnreachableRedis_ReadsAndWritesNeverThrow_AndWritesLandInL1()
    {
        await using var cache = new TieredCache(new TieredCacheOptions
        {
            Redis = Unreachable,
            OperationTimeout = TimeSpan.FromMilliseconds(200),
            CircuitBreakDuration = TimeSpan.Zero, // try Redis on every call: each must still fail quietly
        });

        await cache.SetAsync("k", "v");
        Assert.Equal(CacheResult<string>.Hit("v"), await cache.GetAsync<string>("k"));
        Assert.Equal(CacheResult<string>.Miss, await cache.GetAsync<string>("missing"));
        Assert.False(await cache.ExistsAsync("missing"));
        Assert.Null(await cache.GetTimeToLiveAsync("missing"));
        Assert.Null(await cache.PingAsync());
        Assert.True(await cache.RemoveAsync("k"));
        Assert.Equal(CacheResult<string>.Miss, await cache.GetAndRemoveAsync<string>("k"));

        Assert.True(cache.GetStatistics().RemoteErrors >= 5);
        // The connect, made in the background, may still be trying (Connecting) until its attempt gives up.
        await Eventually.True(() => cache.State == TieredCacheState.Disconnected, "the background connect to give up", seconds: 30);
    }

    [Fact]
    public async Task UnreachableRedis_CacheApi_AnswersFromL1_AndCountersSayTheyCouldNotCount()
    {
        await using TieredCache cache = UnreachableCache(o => o.CircuitBreakDuration = TimeSpan.Zero); // try Redis on every call
        var options = new CacheEntryOptions { Indexes = { ["user"] = "alice" }, Tags = { "org:7" } };

        await cache.SetAsync("a", 1, options);
        await cache.SetAsync("b", 2, options);
        Assert.Equal(11, (await cache.UpdateAsync<int>("a", n => n + 10)).Value);

        Assert.Equal(11, (await cache.GetByIndexAsync<int>("user", "alice"))["a"]);
        Assert.Equal(2, (await cache.GetKeysByIndexAsync("user", "alice")).Count);
        Assert.Null(await cache.IncrementAsync("count"));
        Assert.Equal(2, await cache.RemoveByTagAsync("org:7"));
        Assert.Empty(await cache.GetKeysByIndexAsync("user", "alice"));
        Assert.False((await cache.GetAsync<int>("a")).HasValue);
        Assert.True(cache.GetStatistics().RemoteErrors >= 6);
    }

    [Fact]
    public async Task CircuitBreaker_AfterAFailure_SkipsRedisUntilTheWindowEnds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using TieredCache cache = UnreachableCache(o => { o.CircuitBreakDuration = TimeSpan.FromSeconds(10); o.TimeProvider = time; });

        await cache.GetAsync<string>("a");
        long afterFirst = cache.GetStatistics().RemoteErrors;
        for (int i = 0; i < 20; i++)
        {
            await cache.GetAsync<string>("a");
            await cache.SetAsync("b", i);
        }

        Assert.Equal(1, afterFirst);
        Assert.Equal(afterFirst, cache.GetStatistics().RemoteErrors); // skipped, not tried and failed
        Assert.Equal(19, (await cache.GetAsync<int>("b")).Value);      // the writes still landed in L1

        time.Advance(TimeSpan.FromSeconds(11));
        await cache.GetAsync<string>("a");
        Assert.Equal(afterFirst + 1, cache.GetStatistics().RemoteErrors); // the window ended: Redis is tried again
    }

    [Fact]
    public async Task Outage_IsLoggedOncePerStateChange_NotOncePerCall()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var logger = new CapturingLogger();
        await using TieredCache cache = UnreachableCache(o => { o.CircuitBreakDuration = TimeSpan.FromSeconds(10); o.TimeProvider = time; o.Logger = logger; });

        for (int i = 0; i < 50; i++)
        {
            await cache.GetAsync<string>("k");
            await cache.SetAsync("k", "v");
        }

        time.Advance(TimeSpan.FromSeconds(11)); // the window ends and Redis is tried again: still down, no new state
        await cache.GetAsync<string>("other");

        // One warning for the loss, from a failed call (event 1) or the lost connection (event 3), whichever came first.
        Assert.Single(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Contains(logger.Entries, e => e.EventId is 1 or 3);
        Assert.True(cache.GetStatistics().RemoteErrors >= 2);
    }

    [Fact]
    public async Task DebugLogs_FollowTheLoggersLevel_ReadOncePerSecond()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var logger = new CapturingLogger { MinimumLevel = Microsoft.Extensions.Logging.LogLevel.Information };
        await using var cache = new TieredCache(new TieredCacheOptions { TimeProvider = time, Logger = logger });
        await cache.SetAsync("k", 1);
        await cache.GetAsync<int>("k");
        Assert.Empty(logger.Entries);

        logger.MinimumLevel = Microsoft.Extensions.Logging.LogLevel.Debug; // changed at run time
        time.Advance(TimeSpan.FromSeconds(1));
        await cache.GetAsync<int>("k");

        Assert.Contains(logger.Entries, e => e.EventId == 10 && e.Message.Contains("'k' (l1)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SetAsync_RefusedValueWhileTheCircuitIsOpen_StillThrowsAndChangesNothing()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using TieredCache cache = UnreachableCache(o => { o.CircuitBreakDuration = TimeSpan.FromMinutes(1); o.TimeProvider = time; });
        await cache.SetAsync("k", "before"); // fails against Redis: the circuit opens
        Assert.NotEqual(TieredCacheState.Connected, cache.State);

        await Assert.ThrowsAnyAsync<Exception>(async () => await cache.SetAsync("k", new Action(() => { })));
        await Assert.ThrowsAnyAsync<Exception>(async () => await cache.SetManyAsync<object>([new("k", new Action(() => { }))]));

        Assert.Equal("before", (await cache.GetAsync<string>("k")).Value);
    }

    [Fact]
    public async Task FailSafe_WhileRedisIsUnavailable_ServesTheStaleValueAndCountsIt()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using TieredCache cache = UnreachableCache(o => { o.FailSafeMaxDuration = TimeSpan.FromMinutes(1); o.TimeProvider = time; });
        await cache.SetAsync("k", "v", TimeSpan.FromSeconds(1));

        time.Advance(TimeSpan.FromSeconds(5)); // past the time to live, within the fail-safe window

        Assert.Equal(CacheResult<string>.Hit("v"), await cache.GetAsync<string>("k"));
        Assert.Equal(1, cache.GetStatistics().FailSafeHits);
        Assert.Null(await cache.GetTimeToLiveAsync("k")); // stale is not fresh: no time left

        time.Advance(TimeSpan.FromMinutes(2)); // past the window too
        Assert.Equal(CacheResult<string>.Miss, await cache.GetAsync<string>("k"));
    }

    [Fact]
    public async Task WithoutFailSafe_AnExpiredValueIsAMissEvenWhenRedisIsDown()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using TieredCache cache = UnreachableCache(o => o.TimeProvider = time);
        await cache.SetAsync("k", "v", TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(CacheResult<string>.Miss, await cache.GetAsync<string>("k"));
        Assert.Equal(0, cache.GetStatistics().FailSafeHits);
    }

    [Fact]
    public async Task SubscriptionThatFailedAtStart_IsInPlaceOnceRedisAnswers_AndInvalidationsArrive()
    {
        using RedisProcess redis = RedisProcess.StartServer();
        int port = redis.Ports[0];
        redis.Kill(port);
        await using var late = new TieredCache(new TieredCacheOptions { Redis = redis.Configuration, OperationTimeout = TimeSpan.FromMilliseconds(500), CircuitBreakDuration = TimeSpan.Zero });
        Assert.False(late.IsSubscribed); // nothing to subscribe to

        redis.Restart(port);
        await Eventually.True(() => late.IsSubscribed, "the subscription once Redis answers", seconds: 60);
        // The subscription and the command connection come back on their own: a read before the latter is a miss.
        await Eventually.True(() => late.State == TieredCacheState.Connected, "the command connection once Redis answers", seconds: 60);
        await using var writer = new TieredCache(new TieredCacheOptions { Redis = redis.Configuration });
        await writer.SetAsync("k", "v1");
        Assert.Equal("v1", (await late.GetAsync<string>("k")).Value); // now in late's L1

        await writer.SetAsync("k", "v2");

        await Eventually.True(async () => (await late.GetAsync<string>("k")).Value == "v2", "the invalidation to reach the late subscriber");
    }

    [Fact]
    public async Task SubscriptionThatTimesOut_LeavesTheCircuitClosed_SoWritesReachRedis_AndIsRetried()
    {
        // A busy machine: the subscription's first attempt times out while commands go through. It used to open the
        // circuit, so the cache's first writes skipped Redis (the Extensions metrics test failed on it in CI).
        using RedisProcess redis = RedisProcess.StartServer();
        using ConnectionMultiplexer connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        int failures = 1;
        IConnectionMultiplexer slowSubscriptions = Forwarder<IConnectionMultiplexer>.Create(connection, (method, _, forward) =>
            method.Name != nameof(IConnectionMultiplexer.GetSubscriber) ? forward()
            : Forwarder<ISubscriber>.Create((ISubscriber)forward()!, (subscriberMethod, _, subscriberForward) =>
                subscriberMethod.Name == nameof(ISubscriber.Subscribe) && Interlocked.Decrement(ref failures) >= 0
                    ? throw new TimeoutException("The test's subscription timed out.")
                    : subscriberForward()));
        await using var cache = new TieredCache(new TieredCacheOptions(), slowSubscriptions);
        await using var peer = new TieredCache(new TieredCacheOptions { Redis = redis.Configuration });

        Assert.Equal(1, cache.GetStatistics().RemoteErrors); // counted all the same
        Assert.Equal(TieredCacheState.Connected, cache.State);
        await cache.SetAsync("k", "v1");
        Assert.Equal(0, cache.PendingRepairs); // not skipped: Redis has it
        Assert.Equal(CacheResult<string>.Hit("v1"), await peer.GetAsync<string>("k"));

        await Eventually.True(() => cache.IsSubscribed, "the subscription's retry");
        await peer.SetAsync("k", "v2");
        await Eventually.True(async () => (await cache.GetAsync<string>("k")).Value == "v2", "the peer's invalidation");
        Assert.Equal(1, cache.GetStatistics().RemoteErrors);
    }

    [Fact]
    public async Task RedisRestarted_TheCacheReconnectsByItselfAndClearsL1()
    {
        using RedisProcess redis = RedisProcess.StartServer();
        int port = redis.Ports[0];
        await using var cache = new TieredCache(new TieredCacheOptions { Redis = redis.Configuration, OperationTimeout = TimeSpan.FromSeconds(2) });
        await cache.SetAsync("k", "v");
        Assert.Equal(1, cache.Local.Count);

        redis.Kill(port);
        await Eventually.True(() => cache.State == TieredCacheState.Disconnected, "the cache to notice Redis is gone");
        Assert.Equal(CacheResult<string>.Hit("v"), await cache.GetAsync<string>("k")); // served from L1 meanwhile

        redis.Restart(port);
        await Eventually.True(() => cache.State == TieredCacheState.Connected && cache.Local.Count == 0, "reconnection and an empty L1", seconds: 60);
        Assert.Equal(CacheResult<string>.Miss, await cache.GetAsync<string>("k")); // the restarted server is empty
        await cache.SetAsync("k", "again");
        await using var other = new TieredCache(new TieredCacheOptions { Redis = redis.Configuration });
        Assert.Equal("again", (await other.GetAsync<string>("k")).Value);
    }

    [Fact]
    public async Task GetAsync_L1Hit_CompletesSynchronouslyAndAllocatesNothing()
    {
        // The L1 hit path is the same with or without Redis; without it, no connection event can clear L1 mid-test.
        await using var cache = new TieredCache(new TieredCacheOptions());
        await cache.SetAsync("k", "v");
        await cache.SetAsync("n", 42, TimeSpan.FromMinutes(5));
        Allocations.AssertSynchronousAndFree(
            () => cache.GetAsync<string>("k").IsCompletedSuccessfully & cache.GetAsync<int>("n").IsCompletedSuccessfully, calls: 1000);
    }

    [Fact]
    public async Task Cancellation_StopsWaitingButTheL1WriteHasHappened()
    {
        await using var cache = new TieredCache(new TieredCacheOptions());
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cache.SetAsync("k", "v", cancellationToken: cancelled.Token));
        Assert.False(await cache.ExistsAsync("k")); // cancelled before it began: nothing written
    }
}
