using System;
using System.Threading;
using System.Threading.Tasks;

namespace Strata.Tiering;

/// <summary>
/// A view of a <see cref="TieredCache"/> with its own key space and default time to live, as the services' named
/// caches were (<c>confirmation</c> 300 s, <c>session</c> 86,400 s, ...). Get one from <see cref="TieredCache.Namespace"/>.
/// </summary>
/// <remarks>
/// A key <c>k</c> of namespace <c>users</c> is the cache key <c>users:k</c>, and the Redis key
/// <c>{KeyPrefix}users:k</c>. Names cannot contain <c>:</c>, so two namespaces never share a key, and
/// <see cref="ClearAsync"/> removes exactly this namespace's keys from both tiers of every instance. Each call builds
/// the full key (one string); statistics are counted per namespace.
/// </remarks>
public sealed class CacheNamespace
{
    private readonly TieredCache _cache;
    private readonly string _prefix;
    private readonly NamespaceCounters _counters = new();

    internal CacheNamespace(TieredCache cache, string name, TimeSpan? defaultTimeToLive)
    {
        _cache = cache;
        Name = name;
        DefaultTimeToLive = defaultTimeToLive;
        _prefix = name + CacheKey.Separator;
    }

    /// <summary>Gets the namespace's name.</summary>
    public string Name { get; }

    /// <summary>Gets the time to live of values written without one; null for the cache's default.</summary>
    public TimeSpan? DefaultTimeToLive { get; }

    /// <summary>Reads a value; see <see cref="TieredCache.GetAsync{T}"/>.</summary>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The key within the namespace.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The value, or a miss.</returns>
    public async ValueTask<CacheResult<T>> GetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        CacheResult<T> result = await _cache.GetAsync<T>(FullKey(key), cancellationToken).ConfigureAwait(false);
        _counters.Read(result.HasValue);
        return result;
    }

    /// <summary>Writes a value; see <see cref="TieredCache.SetAsync{T}"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key within the namespace.</param>
    /// <param name="value">The value.</param>
    /// <param name="timeToLive">Positive, or null for <see cref="DefaultTimeToLive"/>.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>A task that completes once Redis has the value (or was found unavailable).</returns>
    public ValueTask SetAsync<T>(string key, T value, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        ValueTask write = _cache.SetAsync(FullKey(key), value, TimeToLiveGuard.Positive(timeToLive, nameof(timeToLive)) ?? DefaultTimeToLive, cancellationToken);
        _counters.Set();
        return write;
    }

    /// <summary>Returns the cached value or produces it once; see <see cref="TieredCache.GetOrSetAsync{T}"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key within the namespace; the factory receives this key.</param>
    /// <param name="factory">Produces the value.</param>
    /// <param name="options">The value's time to live (default: <see cref="DefaultTimeToLive"/>), early refresh and fail-safe.</param>
    /// <param name="cancellationToken">Stops this caller's wait.</param>
    /// <returns>The value.</returns>
    public ValueTask<T> GetOrSetAsync<T>(string key, Func<string, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _cache.GetOrSetCore(FullKey(key), key, factory, options, DefaultTimeToLive ?? _cache.DefaultTimeToLive, _counters, cancellationToken);
    }

    /// <summary>Removes a key from both tiers; see <see cref="TieredCache.RemoveAsync"/>.</summary>
    /// <param name="key">The key within the namespace.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>Whether the key existed.</returns>
    public ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken = default) =>
        _cache.RemoveAsync(FullKey(key), cancellationToken);

    /// <summary>Tells whether a fresh value exists; see <see cref="TieredCache.ExistsAsync"/>.</summary>
    /// <param name="key">The key within the namespace.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>Whether the key holds a value that has not expired.</returns>
    public ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        _cache.ExistsAsync(FullKey(key), cancellationToken);

    /// <summary>Gets the remaining time to live; see <see cref="TieredCache.GetTimeToLiveAsync"/>.</summary>
    /// <param name="key">The key within the namespace.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The remaining time to live, <see cref="Timeout.InfiniteTimeSpan"/> for none, null when missing.</returns>
    public ValueTask<TimeSpan?> GetTimeToLiveAsync(string key, CancellationToken cancellationToken = default) =>
        _cache.GetTimeToLiveAsync(FullKey(key), cancellationToken);

    /// <summary>Sets the time to live of an existing key; see <see cref="TieredCache.ExpireAsync"/>.</summary>
    /// <param name="key">The key within the namespace.</param>
    /// <param name="timeToLive">The new time to live.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>Whether the key existed.</returns>
    public ValueTask<bool> ExpireAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken = default) =>
        _cache.ExpireAsync(FullKey(key), timeToLive, cancellationToken);

    /// <summary>Removes every key of this namespace from both tiers of every instance, and nothing else.</summary>
    /// <param name="cancellationToken">Stops the Redis scan between pages.</param>
    /// <returns>The number of keys removed from Redis (from L1 when Redis is unavailable or not configured).</returns>
    public ValueTask<long> ClearAsync(CancellationToken cancellationToken = default) =>
        _cache.RemoveByPatternAsync(TieredCache.EscapeGlob(_prefix) + "*", cancellationToken);

    /// <summary>Returns a snapshot of this namespace's counters.</summary>
    /// <returns>The counters.</returns>
    public NamespaceStatistics GetStatistics() => _counters.Snapshot();

    private string FullKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _prefix + key;
    }
}
