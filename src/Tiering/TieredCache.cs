using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;
using Strata.Engine;

namespace Strata.Tiering;

/// <summary>
/// A two-tier cache: an in-process <see cref="LocalCache{TValue}"/> in front of Redis, kept coherent across instances
/// by invalidation messages over Redis pub/sub, and usable when Redis is down. Its operations are those of every
/// <see cref="CacheScope"/>; <see cref="Namespace"/> gives scopes of it with their own keys.
/// </summary>
/// <remarks>
/// <para>
/// Reads try L1 first, without a lock or an allocation; a miss reads Redis (one <c>GET</c>, or one <c>MGET</c> for a
/// batch) and fills L1 until the value's logical expiry plus the fail-safe window, which is the instant Redis drops it,
/// so L1 never outlives L2. Writes go to L1 first (a local write is never lost), then to Redis pipelined with the
/// invalidation message that makes every other instance drop its copy. Values cross the wire in the versioned envelope
/// of <see cref="CacheEnvelope"/>.
/// </para>
/// <para>
/// The cache is a front over parts, each in its own folder: L1 with the fill-race versions (<c>Local/</c>,
/// <c>Coherence/</c>), the Redis side (<c>Remote/</c>), the circuit breaker and the repairs (<c>Resilience/</c>), the
/// backplane (<c>Backplane/</c>) and the get-or-set flights (<c>GetOrSet/</c>). The operations are written once, in
/// <see cref="CacheScope"/>. This class makes the parts, connects to Redis in the background, reacts to the connection's events and
/// disposes of it all.
/// </para>
/// <para>
/// Failure: a read never throws a Redis exception (it is served from L1, a stale L1 value within
/// <see cref="TieredCacheOptions.FailSafeMaxDuration"/>, or is a miss), and a write lands in L1 and returns. A
/// connection failure or timeout opens a circuit for <see cref="TieredCacheOptions.CircuitBreakDuration"/> during
/// which Redis is not called. When the subscription connection comes back L1 is cleared, since invalidations may have
/// been missed. State changes are logged once each.
/// </para>
/// </remarks>
public sealed class TieredCache : CacheScope, IDisposable, IAsyncDisposable
{
    /// <summary>The longest key the cache accepts, in characters, namespace included.</summary>
    public const int MaxKeyLength = 8192;

    /// <summary>
    /// Tells whether a key can be written to the cache itself (not a namespace): not null or empty, at most
    /// <see cref="MaxKeyLength"/> characters, no unpaired surrogate, and none of the segments kept for index and tag
    /// sets (<c>__idx:</c>, <c>__tag:</c>, <c>__grp:</c>). Every other key makes the write methods throw
    /// <see cref="ArgumentException"/>; adapters that must not throw on a bad key (a <c>HybridCache</c>) check first.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <returns>Whether the write methods accept the key.</returns>
    public static bool IsValidKey(string? key) => KeyGuard.IsUsable(key);

    private static readonly TimeSpan s_reconnectInterval = TimeSpan.FromSeconds(1);

    private readonly RemoteConnection? _remote;
    private readonly bool _ownsRedis;
    private readonly Lock _connectGate = new(); // orders installing a connection made in the background with Dispose
    private readonly CacheMetrics _metrics;
    private readonly TimeSpan? _defaultTimeToLive;
    private readonly ConcurrentDictionary<string, CacheNamespace> _namespaces = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates a cache. When <see cref="TieredCacheOptions.Redis"/> is set it connects in the background: the
    /// constructor never waits for Redis, the cache reports <see cref="TieredCacheState.Connecting"/> until the
    /// connection and its subscription are made, and a Redis call issued meanwhile waits for them for up to
    /// <see cref="TieredCacheOptions.OperationTimeout"/> (then it fails as a timeout and the circuit opens, as when
    /// Redis is down: reads are served from L1, writes land there).
    /// </summary>
    /// <param name="options">The settings.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public TieredCache(TieredCacheOptions options)
        : this(Build(options, connection: null), ownsConnection: true)
    {
    }

    /// <summary>Creates a cache over a connection the caller owns (and disposes), and subscribes before it returns.</summary>
    /// <param name="options">The settings; <see cref="TieredCacheOptions.Redis"/> is ignored.</param>
    /// <param name="connection">The Redis connection.</param>
    public TieredCache(TieredCacheOptions options, IConnectionMultiplexer connection)
        : this(Build(options, connection ?? throw new ArgumentNullException(nameof(connection))), ownsConnection: false)
    {
    }

    private TieredCache((TieredCacheOptions Options, RemoteConnection? Remote, IConnectionMultiplexer? Given, ConfigurationOptions? Configuration, CacheParts Parts, CacheMetrics Metrics) built, bool ownsConnection)
        : base(built.Parts, prefix: string.Empty, built.Options.DefaultTimeToLive, restartTimeToLiveOnUpdate: false, counters: null, built.Parts.Codec)
    {
        _metrics = built.Metrics;
        _defaultTimeToLive = built.Options.DefaultTimeToLive;
        _metrics.Register(this); // GetStatistics, all the instruments read, needs only L1
        if (built.Remote is null)
        {
            return;
        }

        _remote = built.Remote;
        _ownsRedis = ownsConnection;
        if (built.Given is { } given)
        {
            Install(given);
        }
        else
        {
            _ = Task.Run(() => ConnectInBackgroundAsync(built.Configuration!));
        }
    }

    /// <summary>Gets the cache's name (<see cref="TieredCacheOptions.Name"/>), the <c>cache</c> tag of its metrics.</summary>
    public string Name => Parts.Name;

    /// <summary>Gets how the cache stands with Redis.</summary>
    public TieredCacheState State =>
        _remote is null ? TieredCacheState.LocalOnly
        : !_remote.IsOpen || _remote.Multiplexer is not { } redis ? TieredCacheState.Connecting
        : !redis.IsConnected ? TieredCacheState.Disconnected
        : Parts.Breaker.IsOpen ? TieredCacheState.Degraded
        : TieredCacheState.Connected;

    /// <summary>A test hook: runs after a Redis read and before its value is put into L1.</summary>
    internal Func<string, Task>? BeforeLocalFill { get => Parts.BeforeLocalFill; set => Parts.BeforeLocalFill = value; }

    /// <summary>A test hook: runs after a key's write or removal has changed L1 and before its Redis command is sent.</summary>
    internal Func<Task>? BeforeRemoteWrite { get => Parts.BeforeRemoteWrite; set => Parts.BeforeRemoteWrite = value; }

    /// <summary>A test hook: awaited at the start of each repair pass, so a test can read while repairs are still pending.</summary>
    internal Func<Task>? BeforeRepairs { get => Parts.Repairs.BeforePass; set => Parts.Repairs.BeforePass = value; }

    /// <summary>Gets the number of removals Redis still owes this instance, for tests.</summary>
    internal int PendingRepairs => Parts.Repairs.Pending;

    /// <summary>The number of (group, key) listings of L1's index and tag registry, for tests.</summary>
    internal int LocalGroupListings => Parts.L1.Groups.Count;

    /// <summary>Gets whether the backplane subscription is in place and settled, for tests.</summary>
    internal bool IsSubscribed => Parts.Backplane.IsSubscribed;

    /// <summary>Gets the time to live of values written without one.</summary>
    internal TimeSpan? DefaultTimeToLive => _defaultTimeToLive;

    /// <summary>The namespaces asked for so far, for metrics.</summary>
    internal ICollection<CacheNamespace> Namespaces => _namespaces.Values;

    /// <summary>A view of the in-process tier, for tests.</summary>
    internal LocalCache<LocalEntry> Local => Parts.L1.Cache;

    /// <summary>What a restored subscription connection does (tests: the real event cannot be raised at will).</summary>
    internal void OnSubscriptionRestoredForTests() => Parts.Backplane.OnSubscriptionRestored();

    /// <summary>Gets the backplane, for tests that deliver a message to it themselves.</summary>
    internal Backplane BackplaneForTests => Parts.Backplane;

    /// <summary>
    /// Returns the namespace <paramref name="name"/>: a scope with its own keys (<c>name:key</c>), default time to live
    /// and statistics. The same name always gives the same instance.
    /// </summary>
    /// <param name="name">The name: not empty, without <c>:</c>.</param>
    /// <param name="defaultTimeToLive">The namespace's default time to live; null for the cache's.</param>
    /// <param name="restartTimeToLiveOnUpdate">
    /// Whether an update without a time to live of its own restarts a value's time to live at the default (true) or
    /// keeps what is left of it (false, the default).
    /// </param>
    /// <param name="serializer">
    /// How the namespace's values are turned into bytes for Redis; null for the cache's
    /// (<see cref="TieredCacheOptions.Serializer"/>). Every instance must use the same one for a namespace: a value
    /// written by another serializer reads as a miss.
    /// </param>
    /// <returns>The namespace.</returns>
    /// <exception cref="ArgumentException">The name is empty or contains <c>:</c>, or the namespace exists with other settings.</exception>
    public CacheNamespace Namespace(string name, TimeSpan? defaultTimeToLive = null, bool restartTimeToLiveOnUpdate = false, ICacheSerializer? serializer = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ObjectDisposedException.ThrowIf(Parts.IsDisposed, this);
        if (name.Contains(CacheKey.Separator, StringComparison.Ordinal))
        {
            throw new ArgumentException($"A namespace name cannot contain '{CacheKey.Separator}': '{name}' would overlap another namespace's keys.", nameof(name));
        }

        TimeToLiveGuard.Positive(defaultTimeToLive, nameof(defaultTimeToLive));
        CacheNamespace found = _namespaces.GetOrAdd(
            name,
            static (n, state) => new CacheNamespace(state.Parts, n, state.Ttl, state.Ttl ?? state.CacheTtl, state.Restart, state.Serializer),
            (Parts: Parts, Ttl: defaultTimeToLive, CacheTtl: _defaultTimeToLive, Restart: restartTimeToLiveOnUpdate, Serializer: serializer));
        if (found.DefaultTimeToLive != defaultTimeToLive)
        {
            throw new ArgumentException($"Namespace '{name}' exists with a default time to live of {found.DefaultTimeToLive?.ToString() ?? "none"}, not {defaultTimeToLive?.ToString() ?? "none"}.", nameof(defaultTimeToLive));
        }

        if (found.RestartTimeToLiveOnUpdate != restartTimeToLiveOnUpdate)
        {
            throw new ArgumentException($"Namespace '{name}' exists with restartTimeToLiveOnUpdate = {found.RestartTimeToLiveOnUpdate}.", nameof(restartTimeToLiveOnUpdate));
        }

        if (found.Serializer != serializer)
        {
            throw new ArgumentException($"Namespace '{name}' exists with {(found.Serializer is null ? "the cache's serializer" : "another serializer")}.", nameof(serializer));
        }

        return found;
    }

    /// <summary>Measures a round trip to Redis.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The round-trip time, or <see langword="null"/> when Redis is not configured or does not answer.</returns>
    public async ValueTask<TimeSpan?> PingAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Parts.IsDisposed, this);
        if (Parts.L2 is not { } l2)
        {
            return null;
        }

        Reply<TimeSpan> reply = await Parts.Breaker.CallAsync(RemoteOperation.Ping, l2, static l2 => l2.Database.PingAsync(), cancellationToken).ConfigureAwait(false);
        return reply.Ok ? reply.Value : null;
    }

    /// <summary>Returns a snapshot of the cache's counters.</summary>
    /// <returns>The counters.</returns>
    public TieredCacheStatistics GetStatistics()
    {
        TieredCounters counters = Parts.Counters;
        return new TieredCacheStatistics
        {
            Local = Parts.L1.GetStatistics(),
            RemoteHits = Volatile.Read(ref counters.RemoteHits),
            RemoteMisses = Volatile.Read(ref counters.RemoteMisses),
            RemoteErrors = Parts.Breaker.Errors,
            DecodeErrors = Volatile.Read(ref counters.DecodeErrors),
            FailSafeHits = Volatile.Read(ref counters.FailSafeHits),
            InvalidationsSent = Parts.Backplane.Sent,
            InvalidationsReceived = Parts.Backplane.Received,
            FactoryRuns = Volatile.Read(ref counters.FactoryRuns),
            FactoryErrors = Volatile.Read(ref counters.FactoryErrors),
            FactoryFailSafeHits = Volatile.Read(ref counters.FactoryFailSafeHits),
            EagerRefreshes = Volatile.Read(ref counters.EagerRefreshes),
            FactoryFillsDropped = Volatile.Read(ref counters.FactoryFillsDropped),
            RemoteWritesTooLarge = Volatile.Read(ref counters.RemoteWritesTooLarge),
            RepairsReplayed = Parts.Repairs.Replayed,
        };
    }

    /// <summary>Unsubscribes, closes the connection if the cache opened it, and releases L1.</summary>
    public void Dispose()
    {
        if (!Parts.TryDispose())
        {
            return;
        }

        _metrics.Unregister(this);
        Parts.Log.Dispose();
        IConnectionMultiplexer? redis;
        lock (_connectGate) // a connection still being made is disposed by ConnectInBackgroundAsync, which sees IsDisposed
        {
            redis = _remote?.Multiplexer;
        }

        if (redis is not null)
        {
            redis.ConnectionFailed -= OnConnectionFailed;
            redis.ConnectionRestored -= OnConnectionRestored;
            Parts.Backplane.Dispose();
            if (_ownsRedis)
            {
                redis.Dispose();
            }
        }

        Parts.L1.Dispose();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }

    /// <summary>
    /// Validates the settings and makes the parts; a cache over <paramref name="connection"/> or with a Redis setting
    /// gets a connection holder, and the latter its connection's configuration (a malformed setting throws here, in the
    /// constructor, not in the background).
    /// </summary>
    private static (TieredCacheOptions, RemoteConnection?, IConnectionMultiplexer?, ConfigurationOptions?, CacheParts, CacheMetrics) Build(TieredCacheOptions options, IConnectionMultiplexer? connection)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ConfigurationOptions? configuration = connection is null && options.Redis is not null ? Configuration(options) : null;
        RemoteConnection? remote = connection is not null || configuration is not null ? new RemoteConnection() : null;
        CacheMetrics metrics = CacheMetrics.For(options.MeterFactory);
        return (options, remote, connection, configuration, new CacheParts(options, remote, metrics), metrics);
    }

    private static ConfigurationOptions Configuration(TieredCacheOptions options)
    {
        ConfigurationOptions configuration = RedisConnectionString.Parse(options.Redis!);
        int timeout = (int)options.OperationTimeout.TotalMilliseconds;
        configuration.AsyncTimeout = timeout;
        configuration.SyncTimeout = timeout;
        configuration.ConnectTimeout = Math.Max(timeout, 5000); // a first connect may take longer than one command
        // The default backlog: commands issued while a connection is being remade wait for it (bounded by the
        // operation timeout). Failing them at once instead opened the circuit on reconnect races; failing fast while
        // Redis is really down is the circuit breaker's job.
        return configuration;
    }

    /// <summary>
    /// Connects, then installs the connection. With <see cref="ConfigurationOptions.AbortOnConnectFail"/> off the
    /// connect completes after its first attempt even when Redis cannot be reached, and the multiplexer keeps retrying
    /// by itself; should it throw all the same, it is tried again every second until the cache is disposed.
    /// </summary>
    private async Task ConnectInBackgroundAsync(ConfigurationOptions configuration)
    {
        while (!Parts.IsDisposed)
        {
            try
            {
                ConnectionMultiplexer connection = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
                if (!Install(connection))
                {
                    connection.Dispose(); // disposed while connecting
                }

                return;
            }
            catch (Exception ex) when (ex is RedisException or System.Net.Sockets.SocketException or ArgumentException)
            {
                Parts.Log.RemoteDown(ex);
            }

            try
            {
                await Task.Delay(s_reconnectInterval, Parts.Disposing).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Attaches a connection, follows its events, subscribes, and lets Redis calls through.</summary>
    /// <returns>False when the cache was disposed first; the connection is then not used.</returns>
    private bool Install(IConnectionMultiplexer connection)
    {
        lock (_connectGate)
        {
            if (Parts.IsDisposed)
            {
                return false;
            }

            _remote!.Attach(connection);
            connection.ConnectionFailed += OnConnectionFailed;
            connection.ConnectionRestored += OnConnectionRestored;
            Parts.Backplane.Subscribe(); // before the calls waiting on the connection go on: they then fill L1 under a subscription
            _remote.Open();
            return true;
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e) =>
        Parts.Breaker.ReportDown(e); // the multiplexer reports every failed attempt: only the first is a change of state

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        Parts.Breaker.Close();
        if (e.ConnectionType != ConnectionType.Subscription)
        {
            Parts.Breaker.ReportUp();
            return; // only a lost subscription means lost invalidations
        }

        Parts.Backplane.OnSubscriptionRestored();
        Parts.Log.ConnectionRestored(e);
    }
}
