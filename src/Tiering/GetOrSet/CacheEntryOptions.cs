using System;

namespace Strata.Tiering;

/// <summary>
/// How one value is cached: its time to live and, for <see cref="TieredCache.GetOrSetAsync{T}"/>, when it is refreshed
/// early and whether a stale copy may stand in for a failed factory. Settings are checked as they are set, so one
/// instance can be shared by every call that caches the same kind of value.
/// </summary>
public sealed class CacheEntryOptions
{
    private readonly TimeSpan? _timeToLive;
    private readonly double? _eagerRefreshThreshold;

    /// <summary>
    /// Gets the time to live; <see langword="null"/> (the default) for the cache's or namespace's default.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? TimeToLive
    {
        get => _timeToLive;
        init => _timeToLive = TimeToLiveGuard.Positive(value, nameof(TimeToLive));
    }

    /// <summary>
    /// Gets the fraction of the time to live after which a hit still returns the cached value at once but also starts
    /// one background refresh through the factory, so that a hot key never expires in front of its readers; for
    /// example 0.8. <see langword="null"/> (the default) turns early refresh off. Applies to values with a time to live.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not strictly between 0 and 1.</exception>
    public double? EagerRefreshThreshold
    {
        get => _eagerRefreshThreshold;
        init
        {
            if (value is { } threshold && !(threshold > 0 && threshold < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(EagerRefreshThreshold), threshold, "The threshold is a fraction of the time to live, strictly between 0 and 1.");
            }

            _eagerRefreshThreshold = value;
        }
    }

    /// <summary>
    /// Gets whether a factory that throws is answered with the stale value, when one is still within
    /// <see cref="TieredCacheOptions.FailSafeMaxDuration"/>, instead of the exception. Default <see langword="true"/>;
    /// without a fail-safe window there is never a stale value and the exception always reaches the caller.
    /// </summary>
    public bool ServeStaleOnFactoryError { get; init; } = true;

    internal static CacheEntryOptions Default { get; } = new();
}
