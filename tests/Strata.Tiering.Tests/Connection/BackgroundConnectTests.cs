using System;
using System.Threading.Tasks;
using StackExchange.Redis;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests.Connection;

/// <summary>
/// A cache with a Redis setting connects in the background: creating it never waits for Redis, it reports
/// <see cref="TieredCacheState.Connecting"/> meanwhile, and a call issued before the connection exists waits for it
/// (within the operation timeout) instead of skipping Redis.
/// </summary>
public sealed class BackgroundConnectTests(SingleRedis redis) : IClassFixture<SingleRedis>
{
    [Fact]
    public async Task SilentRedis_TheCacheIsMadeAtOnce_ReportsConnecting_AndServesFromL1()
    {
        using var silent = new SilentServer(); // the connect waits for its 5 s timeout: the constructor must not
        var cache = new TieredCache(new TieredCacheOptions { Redis = silent.Configuration, OperationTimeout = TimeSpan.FromMilliseconds(200) });
        try
        {
            Assert.Equal(TieredCacheState.Connecting, cache.State);

            await cache.SetAsync("k", "v", TimeSpan.FromMinutes(1)); // waits for the connection, gives up, lands in L1
            Assert.Equal(CacheResult<string>.Hit("v"), await cache.GetAsync<string>("k"));
            Assert.False((await cache.GetAsync<string>("absent")).HasValue);
            Assert.Equal(1, cache.GetStatistics().RemoteErrors); // the write's wait; the circuit then kept the read away
        }
        finally
        {
            cache.Dispose(); // while the connect is pending: the connection it makes later is disposed, not used
        }

        Assert.Throws<ObjectDisposedException>(() => cache.Namespace("n"));
    }

    [Fact]
    public async Task RealRedis_AWriteIssuedBeforeTheConnectionExists_WaitsForIt_AndReachesRedis()
    {
        string prefix = $"bg-{Guid.NewGuid():N}:";
        await using var cache = new TieredCache(new TieredCacheOptions { Redis = redis.Configuration, KeyPrefix = prefix, OperationTimeout = TimeSpan.FromSeconds(5) });

        await cache.SetAsync("k", "v", TimeSpan.FromMinutes(1)); // issued at once, before the background connect is done

        await using ConnectionMultiplexer raw = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        Assert.True(await raw.GetDatabase().KeyExistsAsync(prefix + "k"));
        Assert.Equal(TieredCacheState.Connected, cache.State);
        Assert.Equal(0, cache.GetStatistics().RemoteErrors);
        Assert.True(cache.IsSubscribed); // the subscription is made before waiting calls go on
    }

    [Fact]
    public async Task ManyCallsWhileConnecting_AllWait_AndNoneIsLost()
    {
        string prefix = $"bg-{Guid.NewGuid():N}:";
        await using var cache = new TieredCache(new TieredCacheOptions { Redis = redis.Configuration, KeyPrefix = prefix, OperationTimeout = TimeSpan.FromSeconds(5) });

        var writes = new Task[50];
        for (int i = 0; i < writes.Length; i++)
        {
            writes[i] = cache.SetAsync($"k{i}", i, TimeSpan.FromMinutes(1)).AsTask();
        }

        await Task.WhenAll(writes);

        await using ConnectionMultiplexer raw = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        RedisKey[] keys = new RedisKey[writes.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = prefix + "k" + i;
        }

        Assert.Equal(writes.Length, await raw.GetDatabase().KeyExistsAsync(keys));
        Assert.Equal(0, cache.GetStatistics().RemoteErrors);
    }
}
