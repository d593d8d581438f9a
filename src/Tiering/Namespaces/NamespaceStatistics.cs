namespace Strata.Tiering;

/// <summary>A snapshot of one namespace's counters.</summary>
public readonly record struct NamespaceStatistics
{
    /// <summary>Gets the reads answered from the cache (either tier).</summary>
    public long Hits { get; init; }

    /// <summary>Gets the reads that found nothing (for get-or-set: the factory ran).</summary>
    public long Misses { get; init; }

    /// <summary>Gets the values written (for get-or-set: the values the factory produced and cached).</summary>
    public long Sets { get; init; }

    /// <summary>Gets hits over reads, 0 before the first read.</summary>
    public double HitRatio => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}
