using System;

namespace Strata.Tiering;

/// <summary>
/// A scope of a <see cref="TieredCache"/> with its own key space, default time to live and statistics, as the
/// services' named caches were (<c>confirmation</c> 300 s, <c>session</c> 86,400 s, ...). It offers every operation of
/// the cache (<see cref="CacheScope"/>). Get one from <see cref="TieredCache.Namespace"/>.
/// </summary>
/// <remarks>
/// A key <c>k</c> of namespace <c>users</c> is the cache key <c>users:k</c>, and the Redis key
/// <c>{KeyPrefix}users:k</c>. Names cannot contain <c>:</c>, so two namespaces never share a key, and
/// <see cref="CacheScope.ClearAsync"/> removes exactly this namespace's keys from both tiers of every instance. Patterns,
/// indexes and tags are the namespace's own; keys handed back (a factory's, an index query's) are within the namespace.
/// Each call builds the full key (one string).
/// </remarks>
public sealed class CacheNamespace : CacheScope
{
    private readonly NamespaceCounters _counters;

    internal CacheNamespace(CacheParts parts, string name, TimeSpan? defaultTimeToLive, TimeSpan? resolvedTimeToLive, bool restartTimeToLiveOnUpdate, ICacheSerializer? serializer = null)
        : this(parts, name, defaultTimeToLive, resolvedTimeToLive, restartTimeToLiveOnUpdate, new NamespaceCounters(), serializer)
    {
    }

    private CacheNamespace(CacheParts parts, string name, TimeSpan? defaultTimeToLive, TimeSpan? resolvedTimeToLive, bool restartTimeToLiveOnUpdate, NamespaceCounters counters, ICacheSerializer? serializer)
        : base(parts, name + CacheKey.Separator, resolvedTimeToLive, restartTimeToLiveOnUpdate, counters, serializer is null ? parts.Codec : parts.Codec.With(serializer))
    {
        Serializer = serializer;
        Name = name;
        DefaultTimeToLive = defaultTimeToLive;
        RestartTimeToLiveOnUpdate = restartTimeToLiveOnUpdate;
        _counters = counters;
    }

    /// <summary>Gets the namespace's name.</summary>
    public string Name { get; }

    /// <summary>Gets the time to live of values written without one; null for the cache's default.</summary>
    public TimeSpan? DefaultTimeToLive { get; }

    /// <summary>
    /// Gets whether <see cref="CacheScope.UpdateAsync{T}"/> without a time to live restarts a value's time to live at the
    /// default (true) or keeps what is left of it (false).
    /// </summary>
    public bool RestartTimeToLiveOnUpdate { get; }

    /// <summary>Gets the namespace's own serializer; null when it uses the cache's.</summary>
    public ICacheSerializer? Serializer { get; }

    /// <summary>Returns a snapshot of this namespace's counters.</summary>
    /// <returns>The counters.</returns>
    public NamespaceStatistics GetStatistics() => _counters.Snapshot();
}
