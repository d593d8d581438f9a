using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;

namespace Strata.Throughput;

/// <summary>
/// The one operation set every cache under test performs. Implemented by structs and used as a generic constraint, so
/// the JIT specialises each measured loop for each cache and no interface call sits between the loop and the cache.
/// </summary>
internal interface ICacheUnderTest
{
    string Name { get; }

    bool TryGet(string key, out string? value);

    void Set(string key, string value);
}

internal readonly struct LocalCacheAdapter(LocalCache<string> cache) : ICacheUnderTest
{
    public string Name => "Strata LocalCache";

    public bool TryGet(string key, out string? value) => cache.TryGet(key, out value);

    public void Set(string key, string value) => cache.Set(key, value);
}

internal readonly struct ConcurrentDictionaryAdapter(ConcurrentDictionary<string, string> map) : ICacheUnderTest
{
    public string Name => "ConcurrentDictionary";

    public bool TryGet(string key, out string? value) => map.TryGetValue(key, out value);

    public void Set(string key, string value) => map[key] = value;
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

    public void Set(string key, string value) => cache.Set(key, value);
}
