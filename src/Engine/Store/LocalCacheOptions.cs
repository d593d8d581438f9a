using System;
using System.Threading;

namespace Strata.Engine;

/// <summary>Settings of a <see cref="LocalCache{TValue}"/>, validated when the cache is constructed.</summary>
/// <typeparam name="TValue">The type of the cached values.</typeparam>
public sealed class LocalCacheOptions<TValue>
{
    /// <summary>The largest number of stripes (<see cref="ConcurrencyLevel"/>) a cache accepts.</summary>
    public const int MaxConcurrencyLevel = 256;

    /// <summary>The fewest entries of <see cref="MaxEntries"/> per stripe when <see cref="ConcurrencyLevel"/> is left to its default.</summary>
    public const int MinEntriesPerStripe = 256;

    /// <summary>
    /// Gets or sets the largest number of entries the cache holds, or <see langword="null"/> for no entry bound.
    /// When full, an insert evicts an entry chosen by the eviction policy. Under concurrent inserts the count can
    /// pass the bound by at most one entry per thread inserting at that instant, and only until those inserts return.
    /// </summary>
    public int? MaxEntries { get; set; }

    /// <summary>
    /// Gets or sets the largest total weight of the entries, as measured by <see cref="Weigher"/>, or
    /// <see langword="null"/> for no weight bound. Requires <see cref="Weigher"/>. An entry heavier than the whole
    /// bound is not kept: it is reported as evicted at once.
    /// </summary>
    public long? MaxWeight { get; set; }

    /// <summary>
    /// Gets or sets the function that weighs an entry (for example its size in bytes) for <see cref="MaxWeight"/>.
    /// It is called once per write, outside of any lock, and must return a non-negative number.
    /// </summary>
    public Func<string, TValue, long>? Weigher { get; set; }

    /// <summary>
    /// Gets or sets the time to live of entries written without one, or <see langword="null"/> (the default) for
    /// entries that never expire. Must be positive; <see cref="Timeout.InfiniteTimeSpan"/> means no expiry.
    /// </summary>
    public TimeSpan? DefaultTimeToLive { get; set; }

    /// <summary>Gets or sets the source of time for deadlines and the expiry timer. Tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Gets or sets the number of independently locked stripes, rounded up to a power of two; between 1 and
    /// <see cref="MaxConcurrencyLevel"/>. <see langword="null"/> (the default) picks sixteen per processor, but no more
    /// than one per <see cref="MinEntriesPerStripe"/> entries of <see cref="MaxEntries"/>: each stripe evicts on its
    /// own, and a stripe of a few entries evicts almost at random. Set it to trade hit ratio for write concurrency in a
    /// small cache written from many threads.
    /// </summary>
    public int? ConcurrencyLevel { get; set; }

    /// <summary>
    /// Gets or sets a callback raised after an entry leaves the cache, with its key, its value and the reason. It
    /// runs outside of the cache's locks, on the thread that caused the removal (the expiry timer's for
    /// <see cref="RemovalReason.Expired"/> found in the background). An exception it throws is caught, counted in
    /// <see cref="CacheStatistics.CallbackErrors"/> and passed to <see cref="OnCallbackError"/>; the cache stays valid.
    /// </summary>
    public Action<string, TValue, RemovalReason>? OnRemoved { get; set; }

    /// <summary>Gets or sets where exceptions thrown by <see cref="OnRemoved"/> are reported.</summary>
    public Action<Exception>? OnCallbackError { get; set; }

    internal void Validate()
    {
        const string Param = "options";
        if (MaxEntries is <= 0)
        {
            throw new ArgumentOutOfRangeException(Param, MaxEntries, $"{nameof(MaxEntries)} must be positive, or null for no entry bound; it was {MaxEntries}.");
        }

        if (MaxWeight is <= 0)
        {
            throw new ArgumentOutOfRangeException(Param, MaxWeight, $"{nameof(MaxWeight)} must be positive, or null for no weight bound; it was {MaxWeight}.");
        }

        if (MaxWeight is not null && Weigher is null)
        {
            throw new ArgumentException($"{nameof(MaxWeight)} is set but {nameof(Weigher)} is not: a weight bound needs a weigher.", Param);
        }

        if (Weigher is not null && MaxWeight is null)
        {
            throw new ArgumentException($"{nameof(Weigher)} is set but {nameof(MaxWeight)} is not: set the bound the weigher is for.", Param);
        }

        if (DefaultTimeToLive is { } ttl && ttl <= TimeSpan.Zero && ttl != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(Param, ttl, $"{nameof(DefaultTimeToLive)} must be positive, Timeout.InfiniteTimeSpan or null for no expiry; it was {ttl}.");
        }

        if (TimeProvider is null)
        {
            throw new ArgumentException($"{nameof(TimeProvider)} must not be null; use TimeProvider.System.", Param);
        }

        if (ConcurrencyLevel is < 1 or > MaxConcurrencyLevel)
        {
            throw new ArgumentOutOfRangeException(Param, ConcurrencyLevel, $"{nameof(ConcurrencyLevel)} must be between 1 and {MaxConcurrencyLevel}; it was {ConcurrencyLevel}.");
        }
    }
}
