using System;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>
/// The Redis connection of one <see cref="TieredCache"/>, which may not exist yet: a cache that connects by itself
/// (<see cref="TieredCacheOptions.Redis"/>) makes it in the background, so that creating the cache never waits for
/// Redis. Until it is <see cref="Open"/>, Redis calls wait for it (<see cref="CircuitBreaker"/>, bounded by the operation
/// timeout) and the cache reports <see cref="TieredCacheState.Connecting"/>.
/// </summary>
/// <remarks>
/// It moves one way: pending, then attached (a multiplexer exists; the subscription is being made), then open (calls
/// may use it). Whatever reads <see cref="Multiplexer"/> or <see cref="Database"/> runs only after <see cref="Ready"/>
/// has completed, so neither is ever read while null.
/// </remarks>
internal sealed class RemoteConnection
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IConnectionMultiplexer? _multiplexer;
    private IDatabase? _database;

    /// <summary>Gets the multiplexer; null until attached.</summary>
    internal IConnectionMultiplexer? Multiplexer => Volatile.Read(ref _multiplexer);

    /// <summary>Gets the multiplexer's default database; read only once <see cref="Ready"/> has completed.</summary>
    internal IDatabase Database => _database!;

    /// <summary>Gets whether Redis calls may use the connection.</summary>
    internal bool IsOpen => _ready.Task.IsCompleted;

    /// <summary>Gets a task that completes when the connection is open.</summary>
    internal Task Ready => _ready.Task;

    /// <summary>Installs the multiplexer; calls still wait until <see cref="Open"/>.</summary>
    internal void Attach(IConnectionMultiplexer multiplexer)
    {
        _database = multiplexer.GetDatabase();
        Volatile.Write(ref _multiplexer, multiplexer);
    }

    /// <summary>Lets Redis calls through.</summary>
    internal void Open() => _ready.TrySetResult();
}
