using System;
using System.Linq;
using System.Threading.Tasks;
using StackExchange.Redis;
using Strata.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Strata.Tiering.Tests.Chaos;

/// <summary>
/// Redis processes started by the test, broken under load: killed and restarted, frozen with SIGSTOP, and their
/// subscription connections dropped. Callers never see an exception, never read a value older than their last write,
/// and lose nothing written while Redis is away; afterwards every instance's L1 agrees with Redis again.
/// </summary>
public sealed class RedisChaosTests(ITestOutputHelper output)
{
    private static TieredCacheOptions Options(RedisProcess redis, string prefix, bool backplane = true, int circuitBreakMilliseconds = 500) => new()
    {
        Redis = redis.Configuration,
        KeyPrefix = prefix,
        Backplane = backplane,
        OperationTimeout = TimeSpan.FromMilliseconds(500),
        CircuitBreakDuration = TimeSpan.FromMilliseconds(circuitBreakMilliseconds),
    };

    /// <summary>A private redis-server, a cache under test and a peer sharing it (whose L1 stays empty for the load's keys).</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private Rig(RedisProcess redis, string prefix, int circuitBreakMilliseconds)
        {
            Redis = redis;
            Prefix = prefix;
            Cache = NewCache(Options(redis, prefix, circuitBreakMilliseconds: circuitBreakMilliseconds));
            Peer = NewCache(Options(redis, prefix));
        }

        public RedisProcess Redis { get; }

        public int Port => Redis.Ports[0];

        public string Prefix { get; }

        public TieredCache Cache { get; }

        public TieredCache Peer { get; }

        public static Rig Start(int circuitBreakMilliseconds = 500) => new(RedisProcess.StartServer(), "chaos:" + Guid.NewGuid().ToString("N")[..8] + ":", circuitBreakMilliseconds);

        public async ValueTask DisposeAsync()
        {
            await Cache.DisposeAsync();
            await Peer.DisposeAsync();
            Redis.Dispose();
        }
    }

    private static TieredCache NewCache(TieredCacheOptions options)
    {
        var cache = new TieredCache(options);
        Subscriptions.WaitFor(cache, options);
        return cache;
    }

    /// <summary>Lets the load run for a while: the load is the point, not the wait.</summary>
    private static Task Run(ChaosLoad load, int milliseconds, int minimumOperations)
    {
        long start = load.Operations;
        return Task.WhenAll(Task.Delay(milliseconds), Eventually.True(() => load.Operations - start >= minimumOperations, $"{minimumOperations} operations of load", seconds: 60));
    }

    [Fact]
    public async Task RedisKilledMidLoad_CallersNeverFailAndKeepTheirWrites_ThenItRecoversByItselfWithL1Cleared()
    {
        await using var rig = Rig.Start();
        (RedisProcess redis, int port, TieredCache cache, TieredCache peer) = (rig.Redis, rig.Port, rig.Cache, rig.Peer);
        await cache.SetAsync("sentinel", "before the crash");
        var load = new ChaosLoad(cache, "k");
        load.Start();
        await Run(load, 300, 500);

        redis.Kill(port);
        await Eventually.True(() => cache.State is TieredCacheState.Disconnected or TieredCacheState.Degraded, "the cache to notice Redis is gone");
        load.BeginStrict();
        await Run(load, 1500, 2000);
        load.EndStrict();

        redis.Restart(port);
        await Eventually.True(() => cache.State == TieredCacheState.Connected && cache.PendingRepairs == 0, "reconnection and the repairs", seconds: 60);
        await Eventually.True(async () => !(await cache.GetAsync<string>("sentinel")).HasValue, "L1 cleared on reconnection (the restarted Redis is empty)");
        await Run(load, 500, 500);
        await load.StopAsync();

        await AssertTiersAgree(cache, peer, load);
        Report("kill and restart", load, cache);
        Assert.True(load.StrictWrites > 0 && load.StrictReads > 0, "the load wrote and read while Redis was down");
        Assert.True(cache.GetStatistics().RemoteErrors > 0);
    }

    [Fact]
    public async Task RedisFrozen_CallsStayBoundedAndTheCircuitOpens_ThenClosesAndNothingStaleIsReadAfter()
    {
        await using var rig = Rig.Start();
        (RedisProcess redis, int port, TieredCache cache, TieredCache peer) = (rig.Redis, rig.Port, rig.Cache, rig.Peer);
        var load = new ChaosLoad(cache, "k");
        load.Start();
        await Run(load, 300, 500);

        redis.Pause(port); // connections stay open; every command times out
        try
        {
            // Timeouts open the circuit (Degraded); the client may also give up on the connection (Disconnected).
            await Eventually.True(() => cache.State is TieredCacheState.Degraded or TieredCacheState.Disconnected, "the circuit to open");
            load.BeginStrict();
            await Run(load, 2000, 2000);
            load.EndStrict();
        }
        finally
        {
            redis.Resume(port);
        }

        // Redis kept what it held before the freeze: the writes and removals made meanwhile are repaired.
        await Eventually.True(() => cache.State == TieredCacheState.Connected && cache.PendingRepairs == 0, "the circuit to close and the repairs", seconds: 60);
        await Run(load, 500, 500);
        await load.StopAsync();

        await AssertTiersAgree(cache, peer, load);
        Report("SIGSTOP and SIGCONT", load, cache);
        Assert.True(load.StrictWrites > 0 && load.StrictReads > 0, "the load wrote and read while Redis was frozen");
        Assert.True(cache.GetStatistics().RepairsReplayed > 0, "the writes made during the freeze were repaired");
    }

    [Fact]
    public async Task RemovalMissedByAFrozenRedis_IsRepairedAfterward_AndNoInstanceReadsTheRemovedValueMeanwhile()
    {
        await using var rig = Rig.Start(circuitBreakMilliseconds: 2000); // the writes below must land while it is open
        (RedisProcess redis, int port, TieredCache cache, TieredCache peer) = (rig.Redis, rig.Port, rig.Cache, rig.Peer);
        await cache.SetAsync("gone", "old", new CacheEntryOptions { Indexes = { ["user"] = "alice" } });
        await cache.SetAsync("rewritten", "old");
        var drain = new Gate();
        cache.BeforeRepairs = drain.Hold;

        redis.Pause(port);
        try
        {
            // A frozen server still receives what was sent and runs it once resumed; a call made while the circuit is
            // open is never sent. So: one read times out and opens the circuit, and the two writes are skipped.
            Assert.False((await cache.GetAsync<string>("unknown")).HasValue);
            Assert.NotEqual(TieredCacheState.Connected, cache.State);
            Assert.True(await cache.RemoveAsync("gone")); // L1's answer, as Redis was not asked
            await cache.SetAsync("rewritten", "new");
            Assert.Equal(CacheResult<string>.Miss, await cache.GetAsync<string>("gone"));
            Assert.Equal("new", (await cache.GetAsync<string>("rewritten")).Value);
            Assert.Equal(2, cache.PendingRepairs);
        }
        finally
        {
            redis.Resume(port);
        }

        // Redis still holds "old" for both keys until the repairs run: the drain is held (above), and reads meanwhile.
        await Eventually.True(() => cache.State == TieredCacheState.Connected, "the circuit to close");
        await cache.PingAsync(); // the first success starts the drain
        await drain.Reached();
        Assert.False((await cache.GetAsync<string>("gone")).HasValue, "the removed value came back from Redis");
        Assert.Equal("new", (await cache.GetAsync<string>("rewritten")).Value); // L1 still holds this instance's write
        Assert.Empty(await cache.GetByIndexAsync<string>("user", "alice")); // nor through its index
        Assert.False((await cache.UpdateAsync<string>("gone", v => v + "!")).HasValue); // nor through an update
        Assert.Equal(2, cache.PendingRepairs);
        drain.Release();
        await Eventually.True(() => cache.PendingRepairs == 0, "the repairs");
        Assert.Equal(2, cache.GetStatistics().RepairsReplayed);
        foreach (TieredCache instance in new[] { cache, peer })
        {
            Assert.Equal(CacheResult<string>.Miss, await instance.GetAsync<string>("gone"));
            Assert.Equal(CacheResult<string>.Miss, await instance.GetAsync<string>("rewritten")); // a miss, never "old"
        }
    }

    [Fact]
    public async Task SubscriptionConnectionKilled_L1IsClearedOnReconnect_SoAnInvalidationLostMeanwhileCannotLeaveItStale()
    {
        await using var rig = Rig.Start();
        (RedisProcess redis, TieredCache cache, TieredCache peer) = (rig.Redis, rig.Cache, rig.Peer);
        await using TieredCache silent = NewCache(Options(redis, rig.Prefix, backplane: false)); // writes without telling anyone
        await using ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",allowAdmin=true");
        var load = new ChaosLoad(cache, "k");
        load.Start();

        await silent.SetAsync("shared", "v1");
        Assert.Equal("v1", (await cache.GetAsync<string>("shared")).Value); // now in the cache's L1
        await silent.SetAsync("shared", "v2");
        Assert.Equal("v1", (await cache.GetAsync<string>("shared")).Value); // no invalidation was sent: L1 is stale, as set up

        RedisResult killed = await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        Assert.True((long)killed >= 2, $"the subscriptions of both instances were dropped (killed {killed})");
        await Eventually.True(async () => (await cache.GetAsync<string>("shared")).Value == "v2", "L1 cleared when the subscription came back");
        await Eventually.True(() => cache.IsSubscribed && peer.IsSubscribed, "both subscriptions back");

        await peer.SetAsync("shared", "v3"); // and invalidations flow again
        await Eventually.True(async () => (await cache.GetAsync<string>("shared")).Value == "v3", "the invalidation after reconnection");
        await Run(load, 300, 300);
        await load.StopAsync();

        await AssertTiersAgree(cache, peer, load);
        Report("CLIENT KILL TYPE pubsub", load, cache);
    }

    /// <summary>
    /// After the load: no call failed or read a stale value, and each key reads the same through the loaded instance and
    /// its peer (whose L1 is empty for the load's keys, so it reads Redis): the loaded instance's L1 agrees with Redis.
    /// </summary>
    private static async Task AssertTiersAgree(TieredCache cache, TieredCache peer, ChaosLoad load)
    {
        // Quiescence includes the repairs (a call that timed out after the recovery, on a loaded machine, leaves one) and
        // both connections: the peer's read of a key is a miss, not Redis's answer, while it cannot reach Redis.
        await Eventually.True(() => cache.PendingRepairs == 0, "the repairs");
        await Eventually.True(() => cache.State == TieredCacheState.Connected && peer.State == TieredCacheState.Connected, "both instances connected");
        Assert.True(load.Exceptions == 0, "exceptions reached callers: " + load.Problems);
        Assert.True(load.StaleReads == 0, "stale reads: " + load.Problems);
        Assert.True(load.LostValues == 0, "writes lost while Redis was away: " + load.Problems);
        int withValues = 0;
        foreach (string key in load.Keys)
        {
            CacheResult<string> local = await cache.GetAsync<string>(key);
            CacheResult<string> remote = CacheResult<string>.Miss;
            // Only a read that Redis answered counts (a Redis hit or miss): one that failed (a timeout on a starved
            // machine) or that an open circuit kept from Redis reads as a miss, and is asked again. A stale L1 in the
            // loaded instance does not go away by asking again.
            await Eventually.True(
                async () =>
                {
                    long answered = Answered(peer);
                    remote = await peer.GetAsync<string>(key);
                    return local == remote || Answered(peer) > answered;
                },
                $"a read of '{key}' through the peer that reached Redis");
            Assert.True(local == remote, $"'{key}': the loaded instance reads {local}, Redis holds {remote} (the peer: {peer.State}, {peer.GetStatistics().RemoteErrors} Redis errors)");
            Assert.True(load.IsPossible(key, remote), $"'{key}': Redis holds {remote}, last written '{load.LastWrite(key)}'");
            withValues += remote.HasValue ? 1 : 0;
        }

        Assert.True(withValues > 0, "Redis holds the values written after the recovery");
    }

    private static long Answered(TieredCache cache)
    {
        TieredCacheStatistics stats = cache.GetStatistics();
        return stats.RemoteHits + stats.RemoteMisses;
    }

    private void Report(string fault, ChaosLoad load, TieredCache cache)
    {
        TieredCacheStatistics stats = cache.GetStatistics();
        output.WriteLine($"chaos {fault}: {load.Operations:N0} operations ({load.StrictWrites:N0} writes and {load.StrictReads:N0} checked reads while Redis was away), " +
            $"slowest call {load.MaxLatency.TotalMilliseconds:F0} ms, {stats.RemoteErrors:N0} Redis errors absorbed, {stats.RepairsReplayed:N0} removals repaired, " +
            $"exceptions {load.Exceptions}, stale reads {load.StaleReads}, values lost {load.LostValues}");
    }
}
