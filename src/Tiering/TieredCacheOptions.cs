using System;
using System.Text.Json;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Strata.Engine;

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

    /// <summary>
    /// Gets or sets the largest number of entries the in-process tier (L1) holds, or <see langword="null"/> for no entry
    /// bound (then <see cref="LocalMaxWeight"/> should be set). Default 100,000. When full, L1 evicts by SIEVE with frequency admission (see <c>LocalCache</c>); an evicted
    /// value is read from Redis again on its next use.
    /// </summary>
    public int? LocalMaxEntries { get; set; } = 100_000;

    /// <summary>
    /// Gets or sets the largest total weight of L1's entries, as measured by <see cref="LocalWeigher"/> (for example an
    /// estimate of their size in bytes), or <see langword="null"/> (the default) for no weight bound.
    /// </summary>
    public long? LocalMaxWeight { get; set; }

    /// <summary>
    /// Gets or sets the function that weighs an L1 entry from its key and value, for <see cref="LocalMaxWeight"/>.
    /// Called once per L1 write, outside of any lock; it must return a non-negative number.
    /// </summary>
    public Func<string, object?, long>? LocalWeigher { get; set; }

    /// <summary>
    /// Gets or sets the longest L1 keeps a value when Redis is configured, or <see langword="null"/> (the default) to
    /// keep it for as long as Redis does. A shorter time bounds how stale L1 can be without the backplane, at the cost
    /// of more Redis reads; it also bounds how long a value stays available to fail-safe reads. Ignored by an L1-only
    /// cache, whose L1 is the only copy.
    /// </summary>
    public TimeSpan? LocalTimeToLive { get; set; }

    /// <summary>
    /// Gets or sets the number of independently locked L1 stripes, or <see langword="null"/> (the default) for four per
    /// processor. See <see cref="LocalCacheOptions{TValue}.ConcurrencyLevel"/>.
    /// </summary>
    public int? LocalConcurrencyLevel { get; set; }

    /// <summary>
    /// Gets or sets how every value is turned into bytes for Redis, or <see langword="null"/> (the default) for
    /// MemoryPack where it knows the type (<c>[MemoryPackable]</c> types, primitives, strings, dates, and arrays and
    /// collections of them) and System.Text.Json for every other type, so any type can be cached without attributes.
    /// <c>byte[]</c> and <see cref="string"/> values are stored as they are either way. A namespace can have its own
    /// (<see cref="TieredCache.Namespace"/>). Under Native AOT, MemoryPack takes only the types whose formatters exist
    /// without run-time code (unmanaged types, <c>[MemoryPackable]</c> types, strings, <see cref="Version"/>, <see cref="Uri"/>, arrays
    /// of primitives); collections go through System.Text.Json, whose metadata must then come from
    /// <see cref="JsonSerializerOptions"/>.
    /// </summary>
    /// <remarks>
    /// The envelope records which serializer wrote a value; a reader whose serializer for the type is another one (a
    /// type that changed between two versions of a service, or another setting) reads a counted miss
    /// (<see cref="TieredCacheStatistics.DecodeErrors"/>), never an exception.
    /// </remarks>
    public ICacheSerializer? Serializer { get; set; }

    /// <summary>
    /// Gets or sets the System.Text.Json options of the default serializer's fallback, or <see langword="null"/> for
    /// <see cref="SystemTextJsonCacheSerializer"/>'s defaults. Give a source-generated context's options
    /// (<c>MyContext.Default.Options</c>) for Native AOT. Not used when <see cref="Serializer"/> is set.
    /// </summary>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }

    /// <summary>
    /// Gets or sets the size, in bytes, from which a value is compressed (LZ4) on its way to Redis, when that makes it
    /// smaller; <see langword="null"/> turns compression off. Default <see cref="DefaultCompressionThreshold"/>. A call
    /// can leave it out (<see cref="CacheEntryFlags.DisableCompression"/>); every reader reads compressed and plain
    /// values alike.
    /// </summary>
    public int? CompressionThreshold { get; set; } = DefaultCompressionThreshold;

    /// <summary>
    /// The default <see cref="CompressionThreshold"/>, 1 KiB, from measurement (bench/RESULTS.md, "Compression"): below
    /// it LZ4 saved under a fifth of a JSON or MemoryPack payload, a hundred bytes or less, for about a microsecond of
    /// work on every write; from 1 KiB it saved 24 to 27%, and 41 to 48% from 4 KiB.
    /// </summary>
    public const int DefaultCompressionThreshold = 1024;

    /// <summary>
    /// Gets or sets how long past its time to live a value stays available to fail-safe reads, served when Redis
    /// cannot be reached, and to a get-or-set whose factory fails; <see langword="null"/> (the default) turns fail-safe
    /// off. Redis keeps values this much longer than their time to live, so every instance sharing a key prefix must use
    /// the same setting. A cache without Redis serves a stale value only to a failing factory. For every other operation
    /// (exists, time to live, expire, remove, get-and-remove, increment, update, pattern removal, key listing) such a
    /// value has expired, as Redis answers for an expired key.
    /// </summary>
    public TimeSpan? FailSafeMaxDuration { get; set; }

    /// <summary>
    /// Gets or sets how long Redis is left alone after a command's connection failure or timeout. Default 2 seconds. A
    /// backplane subscription that fails while the connection is up does not open the circuit: it is retried on its
    /// own.
    /// </summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the longest a Redis command may take before it counts as failed. Default 1 second.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets whether writes are published so that other instances drop their L1 copy. Default on.</summary>
    public bool Backplane { get; set; } = true;

    /// <summary>Gets or sets the source of time (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Gets or sets where the cache logs: state changes of the Redis tier (a warning when Redis is lost, once per loss)
    /// and, at debug level, hits, misses and writes. None by default.
    /// </summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Gets or sets the cache's name: the <c>cache</c> tag of its metrics, which tells several caches of one process
    /// apart. Default <c>default</c>.
    /// </summary>
    public string Name { get; set; } = "default";

    /// <summary>
    /// Gets or sets the factory of the <see cref="StrataTelemetry.MeterName"/> meter the cache publishes its metrics
    /// through (dependency injection passes the host's); <see langword="null"/> (the default) for one process-wide meter.
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Checks the settings, as the cache's constructor does.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public void Validate()
    {
        const string Param = "options";
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException($"{nameof(Name)} must not be empty: it tags the cache's metrics.", Param);
        }

        if (string.IsNullOrEmpty(KeyPrefix))
        {
            throw new ArgumentException($"{nameof(KeyPrefix)} must not be empty: it keeps this cache's keys apart from everything else in Redis.", Param);
        }

        if (DefaultTimeToLive is { } ttl && ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(Param, ttl, $"{nameof(DefaultTimeToLive)} must be positive or null; it was {ttl}.");
        }

        if (LocalMaxEntries is <= 0)
        {
            throw new ArgumentOutOfRangeException(Param, LocalMaxEntries, $"{nameof(LocalMaxEntries)} must be positive or null; it was {LocalMaxEntries}.");
        }

        if (LocalMaxWeight is <= 0)
        {
            throw new ArgumentOutOfRangeException(Param, LocalMaxWeight, $"{nameof(LocalMaxWeight)} must be positive or null; it was {LocalMaxWeight}.");
        }

        if (LocalMaxWeight is not null && LocalWeigher is null)
        {
            throw new ArgumentException($"{nameof(LocalMaxWeight)} needs {nameof(LocalWeigher)} to weigh entries.", Param);
        }

        if (LocalTimeToLive is { } localTtl && localTtl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(Param, localTtl, $"{nameof(LocalTimeToLive)} must be positive or null; it was {localTtl}.");
        }

        if (LocalConcurrencyLevel is < 1 or > LocalCacheOptions<object>.MaxConcurrencyLevel)
        {
            throw new ArgumentOutOfRangeException(Param, LocalConcurrencyLevel, $"{nameof(LocalConcurrencyLevel)} must be between 1 and {LocalCacheOptions<object>.MaxConcurrencyLevel}, or null; it was {LocalConcurrencyLevel}.");
        }

        if (CompressionThreshold is <= 0)
        {
            throw new ArgumentOutOfRangeException(Param, CompressionThreshold, $"{nameof(CompressionThreshold)} must be positive or null; it was {CompressionThreshold}.");
        }

        if (Serializer is { Id: < 1 or > 3 } serializer)
        {
            throw new ArgumentOutOfRangeException(Param, serializer.Id, $"{nameof(Serializer)} {serializer.GetType().Name} has id {serializer.Id}; ids are 1 to 3.");
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
