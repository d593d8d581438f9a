using System;
using System.Collections.Generic;
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

    internal CacheNamespace(TieredCache cache, string name, TimeSpan? defaultTimeToLive, bool restartTimeToLiveOnUpdate)
    {
        _cache = cache;
        Name = name;
        DefaultTimeToLive = defaultTimeToLive;
        RestartTimeToLiveOnUpdate = restartTimeToLiveOnUpdate;
        _prefix = name + CacheKey.Separator;
    }

    /// <summary>Gets the namespace's name.</summary>
    public string Name { get; }

    /// <summary>Gets the time to live of values written without one; null for the cache's default.</summary>
    public TimeSpan? DefaultTimeToLive { get; }

    /// <summary>
    /// Gets whether <see cref="UpdateAsync{T}"/> restarts a value's time to live at the default (true) or keeps what
    /// is left of it (false).
    /// </summary>
    public bool RestartTimeToLiveOnUpdate { get; }

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

    /// <summary>Writes a value; see <see cref="TieredCache.SetAsync{T}(string, T, TimeSpan?, CancellationToken)"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key within the namespace.</param>
    /// <param name="value">The value.</param>
    /// <param name="timeToLive">Positive, or null for <see cref="DefaultTimeToLive"/>.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>A task that completes once Redis has the value (or was found unavailable).</returns>
#pragma warning disable RS0026 // overloads with optional parameters: the two SetAsync shapes of TieredCache
    public ValueTask SetAsync<T>(string key, T value, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        ValueTask write = _cache.SetAsync(FullKey(key), value, TimeToLiveGuard.Positive(timeToLive, nameof(timeToLive)) ?? DefaultTimeToLive, cancellationToken);
        _counters.Set();
        return write;
    }

    /// <summary>Writes a value with a time to live, indexes and tags; see <see cref="TieredCache.SetAsync{T}(string, T, CacheEntryOptions, CancellationToken)"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key within the namespace.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">The time to live (null: <see cref="DefaultTimeToLive"/>), indexes and tags; indexes are this namespace's.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>A task that completes once Redis has the value (or was found unavailable).</returns>
#pragma warning disable RS0026 // overloads with optional parameters: the two SetAsync shapes of TieredCache
    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        ValueTask write = _cache.SetWithOptions(FullKey(key), _prefix, value, options, DefaultTimeToLive ?? _cache.DefaultTimeToLive, cancellationToken);
        _counters.Set();
        return write;
    }

    /// <summary>
    /// Replaces a value atomically with <c>update(value)</c>, restarting its time to live at the default or keeping it
    /// as <see cref="RestartTimeToLiveOnUpdate"/> says; see <see cref="TieredCache.UpdateAsync{T}"/>.
    /// </summary>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The key within the namespace.</param>
    /// <param name="update">Computes the new value; it may run more than once, so keep it pure.</param>
    /// <param name="cancellationToken">Stops waiting for Redis between attempts.</param>
    /// <returns>The new value, or a miss when the key holds no fresh value of type <typeparamref name="T"/>.</returns>
    public ValueTask<CacheResult<T>> UpdateAsync<T>(string key, Func<T, T> update, CancellationToken cancellationToken = default)
    {
        string fullKey = FullKey(key);
        ArgumentNullException.ThrowIfNull(update);
        return _cache.UpdateCore(fullKey, _prefix, update, RestartTimeToLiveOnUpdate, DefaultTimeToLive ?? _cache.DefaultTimeToLive, cancellationToken);
    }

    /// <summary>Adds to a counter; see <see cref="TieredCache.IncrementAsync"/>.</summary>
    /// <param name="key">The key within the namespace.</param>
    /// <param name="delta">What to add.</param>
    /// <param name="timeToLiveWhenCreated">Positive, or null for <see cref="DefaultTimeToLive"/>.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The new count; null when the cache is tiered and Redis cannot be reached.</returns>
    public ValueTask<long?> IncrementAsync(string key, long delta = 1, TimeSpan? timeToLiveWhenCreated = null, CancellationToken cancellationToken = default)
    {
        string fullKey = FullKey(key);
        TimeSpan? timeToLive = TimeToLiveGuard.Positive(timeToLiveWhenCreated, nameof(timeToLiveWhenCreated)) ?? DefaultTimeToLive ?? _cache.DefaultTimeToLive;
        return _cache.IncrementChecked(fullKey, delta, timeToLive, cancellationToken);
    }

    /// <summary>Reads the fresh values of this namespace under an index value; see <see cref="TieredCache.GetByIndexAsync{T}"/>.</summary>
    /// <typeparam name="T">The values' type.</typeparam>
    /// <param name="indexName">The index name.</param>
    /// <param name="indexValue">The index value.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The values by key within the namespace.</returns>
    public ValueTask<IReadOnlyDictionary<string, T>> GetByIndexAsync<T>(string indexName, string indexValue, CancellationToken cancellationToken = default) =>
        _cache.GroupValuesAsync<T>(_prefix, TieredCache.IndexGroup(_prefix, indexName, indexValue), cancellationToken);

    /// <summary>Lists this namespace's keys under an index value; see <see cref="TieredCache.GetKeysByIndexAsync"/>.</summary>
    /// <param name="indexName">The index name.</param>
    /// <param name="indexValue">The index value.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The keys within the namespace.</returns>
    public ValueTask<IReadOnlyCollection<string>> GetKeysByIndexAsync(string indexName, string indexValue, CancellationToken cancellationToken = default) =>
        _cache.GroupKeysAsync(_prefix, TieredCache.IndexGroup(_prefix, indexName, indexValue), cancellationToken);

    /// <summary>Removes this namespace's values under an index value; see <see cref="TieredCache.RemoveByIndexAsync"/>.</summary>
    /// <param name="indexName">The index name.</param>
    /// <param name="indexValue">The index value.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The number of values removed.</returns>
    public ValueTask<long> RemoveByIndexAsync(string indexName, string indexValue, CancellationToken cancellationToken = default) =>
        _cache.RemoveGroupAsync(_prefix, TieredCache.IndexGroup(_prefix, indexName, indexValue), cancellationToken);

    /// <summary>Removes this namespace's values carrying a tag; see <see cref="TieredCache.RemoveByTagAsync"/>.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The number of values removed.</returns>
    public ValueTask<long> RemoveByTagAsync(string tag, CancellationToken cancellationToken = default) =>
        _cache.RemoveGroupAsync(_prefix, EntryGroups.Tag(_prefix, tag, nameof(tag)), cancellationToken);

    /// <summary>Returns the cached value or produces it once; see <see cref="TieredCache.GetOrSetAsync{T}"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key within the namespace; the factory receives this key.</param>
    /// <param name="factory">Produces the value.</param>
    /// <param name="options">The value's time to live (default: <see cref="DefaultTimeToLive"/>), early refresh and fail-safe.</param>
    /// <param name="cancellationToken">Stops this caller's wait.</param>
    /// <returns>The value.</returns>
#pragma warning disable RS0026 // overloads with optional parameters: the state overload mirrors the plain one, as on TieredCache
    public ValueTask<T> GetOrSetAsync<T>(string key, Func<string, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return _cache.GetOrSetCore(FullKey(key), key, factory, options, DefaultTimeToLive ?? _cache.DefaultTimeToLive, _counters, cancellationToken);
    }

    /// <summary>
    /// Returns the cached value or produces it once from <paramref name="state"/>; see
    /// <see cref="TieredCache.GetOrSetAsync{TState, T}"/>. With a static lambda, a hit allocates nothing but the key.
    /// </summary>
    /// <typeparam name="TState">The type of the factory's input.</typeparam>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key within the namespace; the factory receives this key.</param>
    /// <param name="state">The factory's input.</param>
    /// <param name="factory">Produces the value from the key and the state.</param>
    /// <param name="options">The value's time to live (default: <see cref="DefaultTimeToLive"/>), early refresh, fail-safe, indexes and tags.</param>
    /// <param name="cancellationToken">Stops this caller's wait.</param>
    /// <returns>The value.</returns>
#pragma warning disable RS0026 // overloads with optional parameters: the state overload mirrors the plain one
    public ValueTask<T> GetOrSetAsync<TState, T>(string key, TState state, Func<string, TState, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        string fullKey = FullKey(key);
        ArgumentNullException.ThrowIfNull(factory);
        if (_cache.TryPlainHit(fullKey, options, out T? value))
        {
            _counters.Hit();
            return new ValueTask<T>(value!);
        }

        // The miss path: the closure over the state is made here, never on a hit.
        return _cache.GetOrSetCore(fullKey, key, (k, context, token) => factory(k, state, context, token), options, DefaultTimeToLive ?? _cache.DefaultTimeToLive, _counters, cancellationToken);
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
        _cache.ExpireChecked(FullKey(key), _prefix, timeToLive, cancellationToken);

    /// <summary>Sets the time to live of an existing value or counter; see <see cref="TieredCache.SetTimeToLiveAsync"/>.</summary>
    /// <param name="key">The key within the namespace.</param>
    /// <param name="timeToLive">The new time to live: positive.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>Whether the key existed.</returns>
    public ValueTask<bool> SetTimeToLiveAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        TimeToLiveGuard.Positive(timeToLive, nameof(timeToLive));
        return _cache.ExpireChecked(FullKey(key), _prefix, timeToLive, cancellationToken);
    }

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
        ArgumentException.ThrowIfNullOrEmpty(key);
        return _prefix + key;
    }
}
