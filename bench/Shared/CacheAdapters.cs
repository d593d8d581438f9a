using System;
using System.Collections.Concurrent;
using System.Threading.Tasks;
using BitFaster.Caching.Lfu;
using BitFaster.Caching.Lru;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Strata.Engine;
using ZiggyCreatures.Caching.Fusion;

namespace Strata.Bench;

/// <summary>
/// The one operation set every in-process cache under test performs. Implemented by structs and used as a generic
/// constraint, so the JIT specialises each measured loop for each cache and no interface call sits between the loop
/// and the cache.
/// </summary>
internal interface ICacheUnderTest
{
    string Name { get; }

    bool TryGet(string key, out string? value);

    void Set(string key, string value);

    /// <summary>The library's own get-or-add: returns the cached value, or caches and returns <paramref name="value"/>.</summary>
    string GetOrSet(string key, string value);
}

internal readonly struct LocalCacheAdapter(LocalCache<string> cache) : ICacheUnderTest
{
    public string Name => "Strata LocalCache";

    public bool TryGet(string key, out string? value) => cache.TryGet(key, out value);

    public void Set(string key, string value) => cache.Set(key, value);

    public string GetOrSet(string key, string value) => cache.GetOrAdd(key, static (_, v) => v, value);
}

internal readonly struct ConcurrentDictionaryAdapter(ConcurrentDictionary<string, string> map) : ICacheUnderTest
{
    public string Name => "ConcurrentDictionary";

    public bool TryGet(string key, out string? value) => map.TryGetValue(key, out value);

    public void Set(string key, string value) => map[key] = value;

    public string GetOrSet(string key, string value) => map.GetOrAdd(key, value);
}

internal readonly struct MemoryCacheAdapter(MemoryCache cache) : ICacheUnderTest
{
    public string Name => "MemoryCache";

    public bool TryGet(string key, out string? value)
    {
        bool hit = cache.TryGetValue(key, out object? boxed);
        value = (string?)boxed;
        return hit;
    }

    public void Set(string key, string value)
    {
        using ICacheEntry entry = cache.CreateEntry(key);
        entry.Value = value;
        entry.Size = 1; // counted against SizeLimit when the cache has one
    }

    public string GetOrSet(string key, string value) => TryGet(key, out string? found) ? found! : cache.Set(key, value);
}

internal readonly struct ConcurrentLruAdapter(ConcurrentLru<string, string> cache) : ICacheUnderTest
{
    public string Name => "BitFaster ConcurrentLru";

    public bool TryGet(string key, out string? value) => cache.TryGet(key, out value);

    public void Set(string key, string value) => cache.AddOrUpdate(key, value);

    public string GetOrSet(string key, string value) => cache.GetOrAdd(key, static (_, v) => v, value);
}

internal readonly struct FastConcurrentLruAdapter(FastConcurrentLru<string, string> cache) : ICacheUnderTest
{
    public string Name => "BitFaster FastConcurrentLru";

    public bool TryGet(string key, out string? value) => cache.TryGet(key, out value);

    public void Set(string key, string value) => cache.AddOrUpdate(key, value);

    public string GetOrSet(string key, string value) => cache.GetOrAdd(key, static (_, v) => v, value);
}

internal readonly struct ConcurrentLfuAdapter(ConcurrentLfu<string, string> cache) : ICacheUnderTest
{
    public string Name => "BitFaster ConcurrentLfu";

    public bool TryGet(string key, out string? value) => cache.TryGet(key, out value);

    public void Set(string key, string value) => cache.AddOrUpdate(key, value);

    public string GetOrSet(string key, string value) => cache.GetOrAdd(key, static (_, v) => v, value);
}

/// <summary>FusionCache with its memory tier only (no distributed cache, no backplane).</summary>
internal readonly struct FusionCacheAdapter(FusionCache cache) : ICacheUnderTest
{
    public string Name => "FusionCache (memory)";

    public bool TryGet(string key, out string? value)
    {
        MaybeValue<string> found = cache.TryGet<string>(key);
        value = found.HasValue ? found.Value : null;
        return found.HasValue;
    }

    public void Set(string key, string value) => cache.Set(key, value);

    public string GetOrSet(string key, string value) => cache.GetOrSet(key, value);
}

/// <summary>
/// Microsoft's default <see cref="HybridCache"/> with its memory tier only. It has no plain get: a read is a
/// get-or-create whose factory reports the miss and whose result is not written (a hit completes synchronously).
/// </summary>
internal readonly struct HybridCacheAdapter(HybridCache cache) : ICacheUnderTest
{
    private static readonly HybridCacheEntryOptions s_readOnly = new() { Flags = HybridCacheEntryFlags.DisableLocalCacheWrite | HybridCacheEntryFlags.DisableDistributedCache };
    private static readonly Func<CancellationTokenHolder, System.Threading.CancellationToken, ValueTask<string?>> s_miss = static (_, _) => ValueTask.FromResult<string?>(null);

    public string Name => "HybridCache (memory)";

    public bool TryGet(string key, out string? value)
    {
        value = cache.GetOrCreateAsync(key, default(CancellationTokenHolder), s_miss, s_readOnly).GetAwaiter().GetResult();
        return value is not null;
    }

    public void Set(string key, string value) => cache.SetAsync(key, value).GetAwaiter().GetResult();

    public string GetOrSet(string key, string value) =>
        cache.GetOrCreateAsync(key, value, static (v, _) => ValueTask.FromResult(v)).GetAwaiter().GetResult();

    /// <summary>Builds the default HybridCache over a MemoryCache of its own.</summary>
    public static HybridCache Create()
    {
        var services = new ServiceCollection();
        services.AddHybridCache();
        return services.BuildServiceProvider().GetRequiredService<HybridCache>();
    }

    /// <summary>An empty state, so the miss factory is a static lambda.</summary>
    internal readonly struct CancellationTokenHolder;
}

/// <summary>
/// Strata's <see cref="Strata.Tiering.TieredCache"/> without Redis: the async facade a service calls, over the same L1.
/// Its calls complete synchronously on L1; an incomplete one would be a bug, so it is waited for rather than hidden.
/// </summary>
internal readonly struct TieredCacheAdapter(Strata.Tiering.TieredCache cache) : ICacheUnderTest
{
    private static readonly Func<string, string, Strata.Tiering.CacheEntryContext, System.Threading.CancellationToken, ValueTask<string>> s_produce =
        static (_, value, _, _) => ValueTask.FromResult(value);

    public string Name => "Strata TieredCache (L1 only)";

    public bool TryGet(string key, out string? value)
    {
        Strata.Tiering.CacheResult<string> result = cache.GetAsync<string>(key).GetAwaiter().GetResult();
        value = result.Value;
        return result.HasValue;
    }

    public void Set(string key, string value) => cache.SetAsync(key, value).GetAwaiter().GetResult();

    public string GetOrSet(string key, string value) => cache.GetOrSetAsync(key, value, s_produce).GetAwaiter().GetResult();
}
