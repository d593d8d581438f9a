namespace Strata.Engine;

/// <summary>A snapshot of a cache's counters since it was created.</summary>
/// <remarks>
/// Counters are read without stopping writers, so a snapshot taken under load is a consistent view of each counter
/// but not of all of them at one instant.
/// </remarks>
public readonly record struct CacheStatistics
{
    /// <summary>Gets the number of reads that found a live entry.</summary>
    public long Hits { get; init; }

    /// <summary>Gets the number of reads that found no live entry.</summary>
    public long Misses { get; init; }

    /// <summary>Gets the number of values written (inserts and overwrites).</summary>
    public long Sets { get; init; }

    /// <summary>Gets the number of entries removed by the caller.</summary>
    public long Removals { get; init; }

    /// <summary>Gets the number of entries evicted to respect the bound.</summary>
    public long Evictions { get; init; }

    /// <summary>Gets the number of entries removed because their time to live ran out.</summary>
    public long Expirations { get; init; }

    /// <summary>Gets the number of removal callbacks that threw.</summary>
    public long CallbackErrors { get; init; }

    /// <summary>Gets the number of entries stored, including expired entries not yet reclaimed (at most about a second).</summary>
    public int Count { get; init; }

    /// <summary>Gets the total weight of the stored entries (0 when no weigher is configured).</summary>
    public long Weight { get; init; }

    /// <summary>Gets hits divided by reads, or 0 before the first read.</summary>
    public double HitRatio => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}
