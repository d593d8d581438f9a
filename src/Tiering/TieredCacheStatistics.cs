using System;
using Strata.Engine;

namespace Strata.Tiering;

/// <summary>A snapshot of a <see cref="TieredCache"/>'s counters.</summary>
public readonly record struct TieredCacheStatistics
{
    /// <summary>Gets the in-process tier's counters.</summary>
    public CacheStatistics Local { get; init; }

    /// <summary>Gets the reads that L1 missed and Redis answered with a value.</summary>
    public long RemoteHits { get; init; }

    /// <summary>Gets the reads that neither tier could answer.</summary>
    public long RemoteMisses { get; init; }

    /// <summary>Gets the Redis commands that failed, timed out or were skipped while the circuit was open.</summary>
    public long RemoteErrors { get; init; }

    /// <summary>Gets the values that could not be decoded (or were stored as another type) and were treated as misses.</summary>
    public long DecodeErrors { get; init; }

    /// <summary>Gets the reads answered with a value past its time to live because Redis could not be reached.</summary>
    public long FailSafeHits { get; init; }

    /// <summary>Gets the invalidation messages this instance published.</summary>
    public long InvalidationsSent { get; init; }

    /// <summary>Gets the invalidation messages from other instances this instance applied.</summary>
    public long InvalidationsReceived { get; init; }

    /// <summary>Gets the get-or-set factory runs (one per flight, however many callers shared it).</summary>
    public long FactoryRuns { get; init; }

    /// <summary>Gets the factory runs that threw.</summary>
    public long FactoryErrors { get; init; }

    /// <summary>Gets the factory failures answered with a stale value within the fail-safe window.</summary>
    public long FactoryFailSafeHits { get; init; }

    /// <summary>Gets the background refreshes started by hits past the early-refresh threshold.</summary>
    public long EagerRefreshes { get; init; }

    /// <summary>
    /// Gets the values a get-or-set factory produced but did not cache, because a write or an invalidation for the key
    /// landed while it ran (what it read may be older than that write). Its callers still got the value.
    /// </summary>
    public long FactoryFillsDropped { get; init; }

    /// <summary>
    /// Gets the writes kept out of Redis because their envelope exceeded <see cref="CacheEntryOptions.MaximumRemoteBytes"/>:
    /// the value stayed in this instance's L1, and the key's Redis value was removed.
    /// </summary>
    public long RemoteWritesTooLarge { get; init; }

    /// <summary>
    /// Gets the removals replayed once Redis answered again: keys (and indexes, tags, patterns or a clear) whose write or
    /// removal reached L1 but not Redis during an outage, removed afterwards from both tiers on every instance, so that
    /// no instance reads what Redis held before.
    /// </summary>
    public long RepairsReplayed { get; init; }

    /// <summary>
    /// Gets the share of reads answered by either tier: L1 hits plus Redis hits, over every read (each read tries L1
    /// first and counts once there, and a Redis read follows only an L1 miss); 0 before the first read. A stale L1 entry
    /// counts as an L1 miss, whichever answers then.
    /// </summary>
    public double HitRatio
    {
        get
        {
            long reads = Local.Hits + Local.Misses;
            return reads == 0 ? 0 : Math.Min(1, (double)(Local.Hits + RemoteHits) / reads);
        }
    }
}
