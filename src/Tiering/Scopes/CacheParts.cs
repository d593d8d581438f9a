using System;
using System.Threading;
using System.Threading.Tasks;

namespace Strata.Tiering;

/// <summary>
/// The parts of one <see cref="TieredCache"/>, shared by the cache and its namespaces (every <see cref="CacheScope"/>
/// of it): L1, Redis, the circuit breaker, the backplane, the repair drain and the flights, with the settings and
/// counters they share. Made and disposed by <see cref="TieredCache"/>, which coordinates them.
/// </summary>
internal sealed class CacheParts
{
    private readonly CancellationTokenSource _disposing = new();
    private int _disposed;

    /// <param name="options">The settings.</param>
    /// <param name="connection">The Redis connection, perhaps still being made; null for an L1-only cache.</param>
    /// <param name="metrics">Where the cache is measured.</param>
    internal CacheParts(TieredCacheOptions options, RemoteConnection? connection, CacheMetrics metrics)
    {
        Name = options.Name;
        Codec = new ValueCodec(options.Serializer, options.JsonSerializerOptions is { } json ? new SystemTextJsonCacheSerializer(json) : null, options.CompressionThreshold);
        Log = new TieredLog(options.Logger, options.TimeProvider);
        Lifetimes = new Lifetimes(options.TimeProvider, options.FailSafeMaxDuration);
        L1 = new LocalTier(options, tiered: connection is not null);
        Breaker = new CircuitBreaker(connection, options.OperationTimeout, options.CircuitBreakDuration, options.TimeProvider, Name, metrics, Log);
        Backplane = new Backplane(connection, options.Backplane, options.KeyPrefix, L1, Breaker, Counters);
        if (connection is not null)
        {
            L2 = new RedisTier(connection, options.KeyPrefix, Lifetimes, Counters, Log);
            Removals = new Removals(L2, Backplane, L1);
        }

        Repairs = new RepairDrain(connection is not null, Removals!, L1, Breaker, Log, options.CircuitBreakDuration, _disposing.Token);
        Writes = new RemoteWrites(this);
    }

    internal string Name { get; }

    /// <summary>Gets how the cache's values become envelopes; a namespace with a serializer of its own has another.</summary>
    internal ValueCodec Codec { get; }

    internal TieredLog Log { get; }

    internal Lifetimes Lifetimes { get; }

    internal TieredCounters Counters { get; } = new();

    internal LocalTier L1 { get; }

    /// <summary>Gets the Redis side; null for an L1-only cache.</summary>
    internal RedisTier? L2 { get; }

    internal CircuitBreaker Breaker { get; }

    internal Backplane Backplane { get; }

    /// <summary>Gets the removals that span Redis, the backplane and L1; null for an L1-only cache.</summary>
    internal Removals? Removals { get; }

    internal RepairDrain Repairs { get; }

    /// <summary>Gets the Redis half of every write, with its invalidation, settle and repair.</summary>
    internal RemoteWrites Writes { get; }

    internal FlightTable Flights { get; } = new();

    /// <summary>Gets whether the cache has been disposed.</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Gets the token of factory runs and background work, cancelled when the cache is disposed.</summary>
    internal CancellationToken Disposing => _disposing.Token;

    /// <summary>A test hook: runs after a Redis read and before its value is put into L1.</summary>
    internal Func<string, Task>? BeforeLocalFill { get; set; }

    /// <summary>A test hook: runs after a key's write or removal has changed L1 and before its Redis command is sent.</summary>
    internal Func<Task>? BeforeRemoteWrite { get; set; }

    /// <summary>Marks the cache disposed and stops its background work; true the first time only.</summary>
    internal bool TryDispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return false;
        }

        Breaker.Stop();
        _disposing.Cancel(); // factory runs still going see their token cancelled; the repair drain stops
        return true;
    }
}
