using System;
using System.Collections.Concurrent;
using BitFaster.Caching.Lfu;
using BitFaster.Caching.Lru;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Strata.Bench;
using Strata.Engine;
using Strata.Tiering;
using ZiggyCreatures.Caching.Fusion;

namespace Strata.Benchmarks.Local;

/// <summary>
/// One instance of every in-process cache under test, each bounded to the same capacity where it can be (the
/// <c>ConcurrentDictionary</c> baseline, FusionCache and HybridCache have no entry bound), all filled with the same keys.
/// </summary>
internal sealed class Peers : IDisposable
{
    private readonly MemoryCache _memory;
    private readonly FusionCache _fusion;
    private readonly TieredCache _tiered;

    public Peers(int capacity)
    {
        Dictionary = new ConcurrentDictionaryAdapter(new ConcurrentDictionary<string, string>(StringComparer.Ordinal));
        Strata = new LocalCacheAdapter(new LocalCache<string>(new LocalCacheOptions<string> { MaxEntries = capacity }));
        Lru = new ConcurrentLruAdapter(new ConcurrentLru<string, string>(capacity));
        FastLru = new FastConcurrentLruAdapter(new FastConcurrentLru<string, string>(capacity));
        Lfu = new ConcurrentLfuAdapter(new ConcurrentLfu<string, string>(capacity));
        _memory = new MemoryCache(new MemoryCacheOptions { SizeLimit = capacity });
        Memory = new MemoryCacheAdapter(_memory);
        _fusion = new FusionCache(new FusionCacheOptions());
        Fusion = new FusionCacheAdapter(_fusion);
        Hybrid = new HybridCacheAdapter(HybridCacheAdapter.Create());
        _tiered = new TieredCache(new TieredCacheOptions { LocalMaxEntries = capacity });
        Tiered = new TieredCacheAdapter(_tiered);
    }

    public ConcurrentDictionaryAdapter Dictionary { get; }

    public LocalCacheAdapter Strata { get; }

    public ConcurrentLruAdapter Lru { get; }

    public FastConcurrentLruAdapter FastLru { get; }

    public ConcurrentLfuAdapter Lfu { get; }

    public MemoryCacheAdapter Memory { get; }

    public FusionCacheAdapter Fusion { get; }

    public HybridCacheAdapter Hybrid { get; }

    public TieredCacheAdapter Tiered { get; }

    /// <summary>Keys <c>k0</c> .. <c>k{count-1}</c>, built once so that the measured loops allocate no key.</summary>
    public static string[] Keys(int count, string prefix = "k")
    {
        var keys = new string[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return keys;
    }

    /// <summary>Writes every key into every cache.</summary>
    public void Fill(string[] keys)
    {
        foreach (string key in keys)
        {
            Dictionary.Set(key, key);
            Strata.Set(key, key);
            Lru.Set(key, key);
            FastLru.Set(key, key);
            Lfu.Set(key, key);
            Memory.Set(key, key);
            Fusion.Set(key, key);
            Hybrid.Set(key, key);
            Tiered.Set(key, key);
        }
    }

    public void Dispose()
    {
        _memory.Dispose();
        _fusion.Dispose();
        _tiered.Dispose();
    }
}
