using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strata.Tiering;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Serialization;

namespace Strata.Bench;

/// <summary>
/// One two-tier cache library as the peer comparison drives it: string values, one time to live, get and set. Each
/// peer is built twice over one Redis (a writer and a reader with separate L1s), as two service instances would be.
/// </summary>
internal interface ITieredPeer : IAsyncDisposable
{
    ValueTask SetAsync(string key, string value);

    ValueTask<string?> GetAsync(string key);

    /// <summary>Reads many keys at once: the library's batch read, or its reads all started together; returns the hits.</summary>
    async ValueTask<int> GetManyAsync(IReadOnlyList<string> keys)
    {
        var reads = new Task<string?>[keys.Count];
        for (int i = 0; i < reads.Length; i++)
        {
            reads[i] = GetAsync(keys[i]).AsTask();
        }

        int hits = 0;
        foreach (string? value in await Task.WhenAll(reads))
        {
            hits += value is null ? 0 : 1;
        }

        return hits;
    }
}

/// <summary>Strata's <see cref="TieredCache"/>; with <c>coldReads</c>, an L1 of one entry, so reads cycling over many keys go to Redis.</summary>
internal sealed class StrataPeer(string redis, string prefix, TimeSpan timeToLive, bool coldReads = false) : ITieredPeer
{
    private readonly TieredCache _cache = new(new TieredCacheOptions { Redis = redis, KeyPrefix = prefix, DefaultTimeToLive = timeToLive, LocalMaxEntries = coldReads ? 1 : null });

    public async ValueTask<int> GetManyAsync(IReadOnlyList<string> keys)
    {
        int hits = 0;
        foreach (CacheResult<string> result in await _cache.GetManyAsync<string>(keys))
        {
            hits += result.HasValue ? 1 : 0;
        }

        return hits;
    }

    public ValueTask SetAsync(string key, string value) => _cache.SetAsync(key, value);

    public async ValueTask<string?> GetAsync(string key)
    {
        ValueTask<CacheResult<string>> read = _cache.GetAsync<string>(key);
        CacheResult<string> result = read.IsCompletedSuccessfully ? read.Result : await read;
        return result.HasValue ? result.Value : null;
    }

    public ValueTask DisposeAsync() => _cache.DisposeAsync();
}

/// <summary>FusionCache over Microsoft's <see cref="RedisCache"/>; with <c>coldReads</c>, reads skip its memory tier.</summary>
internal sealed class FusionPeer : ITieredPeer
{
    private readonly FusionCache _cache;
    private readonly RedisCache _redis;
    private readonly FusionCacheEntryOptions? _read;

    public FusionPeer(string redis, string prefix, TimeSpan timeToLive, bool coldReads = false)
    {
        _read = coldReads ? new FusionCacheEntryOptions { Duration = timeToLive, SkipMemoryCacheRead = true } : null;
        _cache = new FusionCache(new FusionCacheOptions { DefaultEntryOptions = new FusionCacheEntryOptions { Duration = timeToLive } });
        _redis = new RedisCache(Options.Create(new RedisCacheOptions { Configuration = redis, InstanceName = prefix }));
        _cache.SetupDistributedCache(_redis, new JsonFusionSerializer());
    }

    public ValueTask SetAsync(string key, string value) => _cache.SetAsync(key, value);

    public async ValueTask<string?> GetAsync(string key)
    {
        ValueTask<MaybeValue<string>> read = _cache.TryGetAsync<string>(key, _read);
        MaybeValue<string> result = read.IsCompletedSuccessfully ? read.Result : await read;
        return result.HasValue ? result.Value : null;
    }

    public ValueTask DisposeAsync()
    {
        _cache.Dispose();
        _redis.Dispose();
        return default;
    }
}

/// <summary>Microsoft's <see cref="HybridCache"/> over its <see cref="RedisCache"/>; with <c>coldReads</c>, reads skip its local tier.</summary>
internal sealed class HybridPeer : ITieredPeer
{
    private readonly HybridCacheEntryOptions _entry;
    private readonly HybridCacheEntryOptions _read;
    private readonly ServiceProvider _services;
    private readonly HybridCache _cache;

    public HybridPeer(string redis, string prefix, TimeSpan timeToLive, bool coldReads = false)
    {
        _entry = new HybridCacheEntryOptions { Expiration = timeToLive, LocalCacheExpiration = timeToLive };
        _read = coldReads ? new HybridCacheEntryOptions { Expiration = timeToLive, LocalCacheExpiration = timeToLive, Flags = HybridCacheEntryFlags.DisableLocalCacheRead } : _entry;
        var services = new ServiceCollection();
        services.AddStackExchangeRedisCache(options =>
        {
            options.Configuration = redis;
            options.InstanceName = prefix;
        });
        services.AddHybridCache(options => options.DefaultEntryOptions = _entry);
        _services = services.BuildServiceProvider();
        _cache = _services.GetRequiredService<HybridCache>();
    }

    public ValueTask SetAsync(string key, string value) => _cache.SetAsync(key, value, _entry);

    // HybridCache has no plain get: a get-or-create. Every key read here exists, so the factory never runs; a Redis
    // hit fills L1 as it does in the other libraries.
    public ValueTask<string?> GetAsync(string key) =>
        _cache.GetOrCreateAsync<string?>(key, static _ => ValueTask.FromResult<string?>(null), _read);

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

/// <summary>
/// FusionCache needs a serializer for its distributed tier, and writes an entry object (value plus metadata) through
/// it. Its System.Text.Json package is not on this machine's package mirror, so this is the same thing: plain
/// <see cref="JsonSerializer"/>.
/// </summary>
internal sealed class JsonFusionSerializer : IFusionCacheSerializer
{
    public byte[] Serialize<T>(T? obj) => JsonSerializer.SerializeToUtf8Bytes(obj);

    public T? Deserialize<T>(byte[] data) => JsonSerializer.Deserialize<T>(data);

    public ValueTask<byte[]> SerializeAsync<T>(T? obj, CancellationToken token = default) => ValueTask.FromResult(Serialize(obj));

    public ValueTask<T?> DeserializeAsync<T>(byte[] data, CancellationToken token = default) => ValueTask.FromResult(Deserialize<T>(data));
}
