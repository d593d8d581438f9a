using System;
using Microsoft.Extensions.Logging;

namespace Strata.Tiering;

/// <summary>Settings of a <see cref="TieredCache"/>, validated when the cache is constructed.</summary>
public sealed class TieredCacheOptions
{
    /// <summary>
    /// Gets or sets the Redis connection: a <c>redis://</c> or <c>rediss://</c> URL (the services' <c>REDIS_URL</c>)
    /// or a StackExchange.Redis configuration string; <see langword="null"/> (the default) for an L1-only cache.
    /// Ignored when a connection is passed to the constructor.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>Gets or sets the prefix of every Redis key and of the invalidation channel. Default <c>strata:</c>.</summary>
    public string KeyPrefix { get; set; } = "strata:";

    /// <summary>Gets or sets the time to live of values written without one; <see langword="null"/> for none.</summary>
    public TimeSpan? DefaultTimeToLive { get; set; }

    /// <summary>Gets or sets the largest number of entries the in-process tier holds. Default 100,000.</summary>
    public int LocalMaxEntries { get; set; } = 100_000;

    /// <summary>Gets or sets how values are turned into bytes for Redis. Default: MemoryPack.</summary>
    public ICacheSerializer Serializer { get; set; } = MemoryPackCacheSerializer.Instance;

    /// <summary>
    /// Gets or sets how long past its time to live a value stays available to fail-safe reads, served when Redis
    /// cannot be reached; <see langword="null"/> (the default) turns fail-safe off. Redis keeps values this much longer
    /// than their time to live, so every instance sharing a key prefix must use the same setting.
    /// </summary>
    public TimeSpan? FailSafeMaxDuration { get; set; }

    /// <summary>Gets or sets how long Redis is left alone after a connection failure or timeout. Default 2 seconds.</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the longest a Redis command may take before it counts as failed. Default 1 second.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets whether writes are published so that other instances drop their L1 copy. Default on.</summary>
    public bool Backplane { get; set; } = true;

    /// <summary>Gets or sets the source of time (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets where state changes of the Redis tier are logged, once each; none by default.</summary>
    public ILogger? Logger { get; set; }

    internal void Validate()
    {
        const string Param = "options";
        if (string.IsNullOrEmpty(KeyPrefix))
        {
            throw new ArgumentException($"{nameof(KeyPrefix)} must not be empty: it keeps this cache's keys apart from everything else in Redis.", Param);
        }

        if (DefaultTimeToLive is { } ttl && ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(Param, ttl, $"{nameof(DefaultTimeToLive)} must be positive or null; it was {ttl}.");
        }

        if (LocalMaxEntries <= 0)
        {
            throw new ArgumentOutOfRangeException(Param, LocalMaxEntries, $"{nameof(LocalMaxEntries)} must be positive; it was {LocalMaxEntries}.");
        }

        if (Serializer is null)
        {
            throw new ArgumentException($"{nameof(Serializer)} must not be null.", Param);
        }

        if (FailSafeMaxDuration is { } failSafe && failSafe <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(Param, failSafe, $"{nameof(FailSafeMaxDuration)} must be positive or null; it was {failSafe}.");
        }

        if (CircuitBreakDuration < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(Param, CircuitBreakDuration, $"{nameof(CircuitBreakDuration)} must not be negative.");
        }

        if (OperationTimeout <= TimeSpan.Zero || OperationTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(Param, OperationTimeout, $"{nameof(OperationTimeout)} must be positive and under 24 days.");
        }

        if (TimeProvider is null)
        {
            throw new ArgumentException($"{nameof(TimeProvider)} must not be null.", Param);
        }
    }
}
