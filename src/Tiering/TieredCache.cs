using System;
using System.Buffers.Text;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Strata.Engine;

namespace Strata.Tiering;

/// <summary>
/// A two-tier cache: an in-process <see cref="LocalCache{TValue}"/> in front of Redis, kept coherent across instances
/// by invalidation messages over Redis pub/sub, and usable when Redis is down.
/// </summary>
/// <remarks>
/// <para>
/// Reads try L1 first, without a lock or an allocation; a miss reads Redis (one <c>GET</c>, or one <c>MGET</c> for a
/// batch) and fills L1 until the value's logical expiry plus the fail-safe window, which is the instant Redis drops it
/// (the same write set both, and <see cref="ExpireAsync"/> rewrites both together), so L1 never outlives L2. The one
/// caveat is clock skew: instances read the logical expiry against their own clock. Writes go to L1 first (a local
/// write is never lost), then to Redis pipelined with the invalidation message that makes every other instance drop
/// its copy. Values cross the wire in the versioned envelope of <see cref="CacheEnvelope"/>.
/// </para>
/// <para>
/// The fill race: a read that fetched the old value from Redis before an invalidation arrived must not install it in
/// L1 after the invalidation. Every invalidation and every local write bumps a version (one of 1,024 slots by key hash,
/// plus an epoch for pattern and full clears) before it touches L1; a fill notes the versions before its Redis read,
/// installs its value, and removes it again if the versions moved meanwhile. A local write spans a round trip, so it
/// also bumps its slot again once Redis has answered, and drops L1's copy if a fill on the slot landed meanwhile (a
/// read that fetched the value Redis held before the write reached it). The cost is an occasional extra miss, never a
/// stale read.
/// </para>
/// <para>
/// Failure: a read never throws a Redis exception (it is served from L1, a stale L1 value within
/// <see cref="TieredCacheOptions.FailSafeMaxDuration"/>, or is a miss), and a write lands in L1 and returns. A
/// connection failure or timeout opens a circuit for <see cref="TieredCacheOptions.CircuitBreakDuration"/> during
/// which Redis is not called. When the connection comes back L1 is cleared, since invalidations may have been missed.
/// State changes are logged once each.
/// </para>
/// </remarks>
public sealed partial class TieredCache : IDisposable, IAsyncDisposable
{
    /// <summary>The longest key the cache accepts, in characters, namespace included.</summary>
    public const int MaxKeyLength = 8192;

    /// <summary>
    /// The longest time to live a call accepts: 100 years. Longer ones are refused with
    /// <see cref="ArgumentOutOfRangeException"/> (<see cref="TimeSpan.MaxValue"/> would overflow the envelope's wall-clock
    /// expiry); for no expiry, pass null.
    /// </summary>
    public static readonly TimeSpan MaxTimeToLive = TimeSpan.FromDays(36_500);

    private const int VersionSlots = 1024;

    /// <summary>The tier names of logs, as in the metrics' <c>tier</c> tag.</summary>
    private const string LocalTier = "l1", RemoteTier = "l2";

    private static readonly TimeSpan ResubscribeInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LogLevelRefresh = TimeSpan.FromSeconds(1);

    /// <summary>The logical expiry <see cref="Decode{T}"/> reports for a counter, which has none and never goes to L1.</summary>
    private const long CounterRead = long.MinValue;

    // Changes a key's time to live in Redis and in its envelope together, so that readers, which take L1's life from
    // the envelope, never keep a value longer than Redis does. ARGV[1]: the new logical expiry in unix ms (0: none);
    // ARGV[2]: the new PX (-1: persist), which includes the fail-safe window; ARGV[3]: the time to live itself, for a
    // value that is not our envelope (a counter), which gets its expiry changed and nothing else. KEEPTTL would not
    // do for an envelope: its Redis life must move with its logical expiry.
    // KEYS[2], passed on a single server, is the key's group record: an indexed value (bit 6 of the flags) also
    // stretches the record and its index sets, so that none ends before the value.
    private const string ExpireScript = GroupScripts.Stretch + """
        local v = redis.call('GET', KEYS[1])
        if not v then return 0 end
        if string.len(v) >= 11 and string.byte(v, 1) == 165 then
          local px = tonumber(ARGV[2])
          v = string.sub(v, 1, 3) .. struct.pack('<i8', tonumber(ARGV[1])) .. string.sub(v, 12)
          if px < 0 then redis.call('SET', KEYS[1], v) else redis.call('SET', KEYS[1], v, 'PX', px) end
          if KEYS[2] and bit.band(string.byte(v, 3), 64) ~= 0 then
            stretch(KEYS[2], px, redis.call('PTTL', KEYS[2]))
            for _, g in ipairs(redis.call('SMEMBERS', KEYS[2])) do stretch(g, px, redis.call('PTTL', g)) end
          end
        elseif tonumber(ARGV[3]) < 0 then
          redis.call('PERSIST', KEYS[1])
        else
          redis.call('PEXPIRE', KEYS[1], ARGV[3])
        end
        return 1
        """;

    // A key's PTTL and whether it holds our envelope (whose Redis life runs the fail-safe window past its freshness)
    // or a counter (whose Redis life is its time to live).
    private const string TimeToLiveScript = """
        local p = redis.call('PTTL', KEYS[1])
        if p == -2 then return {p, 0} end
        if redis.call('GETRANGE', KEYS[1], 0, 0) == '\165' then return {p, 1} end
        return {p, 0}
        """;

    private readonly LocalCache<LocalEntry> _local;
    private readonly LocalGroups _groups;
    private readonly IConnectionMultiplexer? _redis;
    private readonly bool _ownsRedis;
    private readonly IDatabase? _database;
    private readonly RedisChannel _channel;
    private readonly string _keyPrefix;
    private readonly RedisKey _remotePrefix; // the prefix as UTF-8 bytes: a key is sent as prefix + key without a concatenated string
    private readonly ICacheSerializer _serializer;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly TimeSpan? _defaultTimeToLive;
    private readonly TimeSpan? _failSafe;
    private readonly TimeSpan? _localCap; // LocalTimeToLive, when Redis is configured
    private readonly long _circuitBreakTicks;
    private readonly bool _backplane;
    private readonly Guid _instanceId = Guid.NewGuid();
    private readonly string _name;
    private readonly CacheMetrics _metrics;

    // Fill-race versions: a slot per key hash and an epoch for pattern and full invalidations. Bumped with Interlocked
    // before L1 is touched; read with Volatile before and after a fill (see the remarks on the type). And per slot, the
    // fills installed, which a local write compares once Redis has answered (see SettleLocal).
    private readonly long[] _versions = new long[VersionSlots];
    private readonly long[] _fills = new long[VersionSlots];
    private long _epoch;

    private long _circuitOpenUntil; // TimeProvider timestamp; 0 while closed
    private readonly RemoteRepairs _repairs = new();
    private readonly TimeSpan _repairSettle; // how long each pass of the repair drain waits first: see DrainRepairsAsync
    private long _lastRemoteFailure; // Environment.TickCount64 of the last Redis failure: see RepairPassAsync
    private long _repairsReplayed;
    private ChannelMessageQueue? _subscription;
    private readonly Lock _subscribeGate = new();
    private int _resubscribing; // 1 while a background retry of the subscription runs
    private int _disposed;
    private int _reportedDown; // 1 from a Redis failure (or lost connection) until Redis answers again: logs once per change

    // Whether the logger takes debug events, read once a second: asking the logger on every hit (ILogger.IsEnabled)
    // cost 3-6 ns on a 6 ns hit. A level changed at run time applies within a second. Written by the timer, read
    // without a fence by the hit paths: a stale read only logs or skips one event.
    private bool _debugLogs;
    private readonly ITimer? _logLevelTimer;

    private long _remoteHits;
    private long _remoteMisses;
    private long _remoteErrors;
    private long _decodeErrors;
    private long _failSafeHits;
    private long _invalidationsSent;
    private long _invalidationsReceived;

    /// <summary>Creates a cache; connects to <see cref="TieredCacheOptions.Redis"/> when it is set.</summary>
    /// <param name="options">The settings.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public TieredCache(TieredCacheOptions options)
        : this(options, connection: null, ownsConnection: true)
    {
    }

    /// <summary>Creates a cache over a connection the caller owns (and disposes).</summary>
    /// <param name="options">The settings; <see cref="TieredCacheOptions.Redis"/> is ignored.</param>
    /// <param name="connection">The Redis connection.</param>
    public TieredCache(TieredCacheOptions options, IConnectionMultiplexer connection)
        : this(options, connection ?? throw new ArgumentNullException(nameof(connection)), ownsConnection: false)
    {
    }

    private TieredCache(TieredCacheOptions options, IConnectionMultiplexer? connection, bool ownsConnection)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _keyPrefix = options.KeyPrefix;
        _remotePrefix = Encoding.UTF8.GetBytes(_keyPrefix);
        _serializer = options.Serializer;
        _time = options.TimeProvider;
        _logger = options.Logger;
        _defaultTimeToLive = options.DefaultTimeToLive;
        _failSafe = options.FailSafeMaxDuration;
        _circuitBreakTicks = (long)(options.CircuitBreakDuration.TotalSeconds * _time.TimestampFrequency);
        _repairSettle = options.CircuitBreakDuration;
        _backplane = options.Backplane;
        _name = options.Name;
        Func<string, object?, long>? weigher = options.LocalWeigher;
        _local = new LocalCache<LocalEntry>(new LocalCacheOptions<LocalEntry>
        {
            MaxEntries = options.LocalMaxEntries,
            MaxWeight = options.LocalMaxWeight,
            Weigher = weigher is null ? null : (key, entry) => weigher(key, entry.Value),
            ConcurrencyLevel = options.LocalConcurrencyLevel,
            TimeProvider = options.TimeProvider,
            OnRemoved = (key, entry, _) =>
            {
                if (entry is IndexedEntry indexed)
                {
                    _groups!.OnRemoved(key, indexed.Groups);
                }
            },
        });
        _groups = new LocalGroups(key => _local.TryGet(key, out LocalEntry? entry) ? entry as IndexedEntry : null);
        if (_logger is not null)
        {
            _debugLogs = _logger.IsEnabled(LogLevel.Debug);
            _logLevelTimer = _time.CreateTimer(static state => RefreshLogLevel((WeakReference<TieredCache>)state!), new WeakReference<TieredCache>(this), LogLevelRefresh, LogLevelRefresh);
        }

        _metrics = CacheMetrics.For(options.MeterFactory);
        _metrics.Register(this); // GetStatistics, all the instruments read, needs only L1

        if (connection is null && options.Redis is not null)
        {
            ConfigurationOptions configuration = RedisConnectionString.Parse(options.Redis);
            int timeout = (int)options.OperationTimeout.TotalMilliseconds;
            configuration.AsyncTimeout = timeout;
            configuration.SyncTimeout = timeout;
            configuration.ConnectTimeout = Math.Max(timeout, 5000); // a first connect may take longer than one command
            // The default backlog: commands issued while a connection is still being made wait for it (bounded by the
            // operation timeout). Failing them at once instead opened the circuit on start-up races; failing fast
            // while Redis is really down is the circuit breaker's job.
            connection = ConnectionMultiplexer.Connect(configuration);
        }

        if (connection is null)
        {
            return;
        }

        _redis = connection;
        _ownsRedis = ownsConnection;
        _localCap = options.LocalTimeToLive;
        _database = connection.GetDatabase();
        _channel = RedisChannel.Literal(_keyPrefix + "__invalidate");
        connection.ConnectionFailed += OnConnectionFailed;
        connection.ConnectionRestored += OnConnectionRestored;
        if (_backplane)
        {
            TrySubscribe();
        }
    }

    /// <summary>Gets the cache's name (<see cref="TieredCacheOptions.Name"/>), the <c>cache</c> tag of its metrics.</summary>
    public string Name => _name;

    /// <summary>Gets how the cache stands with Redis.</summary>
    public TieredCacheState State =>
        _redis is null ? TieredCacheState.LocalOnly
        : !_redis.IsConnected ? TieredCacheState.Disconnected
        : IsCircuitOpen() ? TieredCacheState.Degraded
        : TieredCacheState.Connected;

    /// <summary>Gets the time to live of values written without one.</summary>
    internal TimeSpan? DefaultTimeToLive => _defaultTimeToLive;

    /// <summary>A test hook: runs after a Redis read and before its value is put into L1.</summary>
    internal Func<string, Task>? BeforeLocalFill { get; set; }

    /// <summary>A test hook: runs after a key's write or removal has changed L1 and before its Redis command is sent.</summary>
    internal Func<Task>? BeforeRemoteWrite { get; set; }

    /// <summary>The number of (group, key) listings of L1's index and tag registry, for tests.</summary>
    internal int LocalGroupListings => _groups.Count;

    /// <summary>
    /// Gets whether the backplane subscription is in place and settled, for tests: a subscription made by the background
    /// retry is followed by an L1 clear and an epoch move, which must not land in the middle of a test's first operation.
    /// </summary>
    internal bool IsSubscribed => Volatile.Read(ref _subscription) is not null && Volatile.Read(ref _resubscribing) == 0;

    /// <summary>The namespaces asked for so far, for metrics.</summary>
    internal ICollection<CacheNamespace> Namespaces => _namespaces.Values;

    /// <summary>A view of the in-process tier, for tests.</summary>
    internal LocalCache<LocalEntry> Local => _local;

    /// <summary>Reads a value: L1, then Redis. A miss and a stored default value are told apart by the result.</summary>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The value, or a miss. Completes synchronously, allocating nothing, on an L1 hit.</returns>
    public ValueTask<CacheResult<T>> GetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        ValidateReadKey(key);
        if (_local.TryGet(key, out LocalEntry? entry))
        {
            if (IsFresh(entry))
            {
                if (_debugLogs)
                {
                    LogHit(_logger!, key, LocalTier);
                }

                return new ValueTask<CacheResult<T>>(LocalResult<T>(entry));
            }
        }
        else
        {
            entry = null;
        }

        KeyGuard.Encodable(key, nameof(key));
        return ReadRemoteAsync<T>(key, entry, cancellationToken);
    }

    /// <summary>Writes a value to L1, then to Redis, and tells the other instances to drop their copy.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value; <see langword="null"/> is stored as such.</param>
    /// <param name="timeToLive">Positive, or <see langword="null"/> for <see cref="TieredCacheOptions.DefaultTimeToLive"/>.</param>
    /// <param name="cancellationToken">Stops waiting for Redis; the L1 write has happened by then.</param>
    /// <returns>A task that completes once Redis has the value (or was found unavailable).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeToLive"/> is zero or negative, or longer than <see cref="TieredCache.MaxTimeToLive"/>.</exception>
#pragma warning disable RS0026 // overloads with optional parameters: see the other SetAsync
    public ValueTask SetAsync<T>(string key, T value, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        ValidateKey(key);
        KeyGuard.NotReserved(key, nameof(key));
        return SetCore(key, value, ResolveTimeToLive(timeToLive), string.Empty, groups: null, cancellationToken);
    }

    /// <summary>
    /// Writes L1, then Redis with the invalidation; <paramref name="timeToLive"/> is resolved (null: none). With
    /// <paramref name="groups"/> (names from <see cref="EntryGroups"/> in namespace <paramref name="scope"/>), the write
    /// also replaces the key's index and tag memberships, atomically in Redis.
    /// </summary>
    private ValueTask SetCore<T>(string key, T value, TimeSpan? timeToLive, string scope, string[]? groups, CancellationToken cancellationToken)
    {
        WriteLifetime lifetime = LifetimeOf(timeToLive);
        cancellationToken.ThrowIfCancellationRequested();
        if (groups is not null)
        {
            ThrowIfGroupsUnsupported();
        }

        // Serialize before any state changes, so that a value the serializer refuses throws without leaving L1 and
        // L2 disagreeing; and whenever Redis is configured, even while the circuit is open, so that such a value is
        // refused the same way whether or not Redis happens to be reachable.
        PooledBufferWriter? envelope = null;
        if (_database is not null)
        {
            envelope = BufferWriterPool.Rent();
            try
            {
                CacheEnvelope.Write(envelope, value, lifetime.LogicalExpiry, _serializer, indexed: groups is not null);
            }
            catch
            {
                BufferWriterPool.Return(envelope);
                throw;
            }
        }

        WriteMark version = BumpForWrite(key);
        if (_debugLogs)
        {
            LogSet(_logger!, key, timeToLive);
        }

        if (groups is null)
        {
            SetLocal(key, new LocalEntry(value, lifetime.FreshUntil), lifetime.Life);
        }
        else
        {
            SetLocal(key, new IndexedEntry(value, lifetime.FreshUntil, groups), lifetime.Life);
            _groups.Add(key, groups); // after the entry: see LocalGroups
        }

        if (envelope is not null && !IsRemoteUsable())
        {
            BufferWriterPool.Return(envelope); // the circuit is open: the write stays in L1
            envelope = null;
            Unsynced(RepairKind.Key, key);
        }

        return envelope is null ? default : WriteRemoteAsync(key, version, envelope, lifetime.Life, scope, groups, cancellationToken);
    }

    /// <summary>Removes a key from both tiers and tells the other instances (Redis <c>DEL</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>Whether the key existed (in Redis when it answered, else in L1).</returns>
    public async ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        WriteMark version = BumpForWrite(key);
        bool local = _local.Remove(key);
        if (!IsRemoteUsable())
        {
            Unsynced(RepairKind.Key, key);
            return local;
        }

        (bool ok, bool deleted) = await CommandAndInvalidateAsync(RemoteOperation.Remove, database => database.KeyDeleteAsync(RemoteKey(key)), key, cancellationToken).ConfigureAwait(false);
        if (ok)
        {
            SettleLocal(key, version);
        }

        return ok ? deleted : local;
    }

    /// <summary>Tells whether a fresh value exists for the key (Redis <c>EXISTS</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>Whether the key holds a value that has not expired.</returns>
    public async ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        if (_local.TryGet(key, out LocalEntry? entry) && IsFresh(entry))
        {
            return true;
        }

        if (!IsRemoteUsable())
        {
            return false;
        }

        RemoteCall call = BeginRemote(RemoteOperation.TimeToLive);
        try
        {
            long pttl = await RemoteTimeToLiveAsync(key, cancellationToken).ConfigureAwait(false);
            OnRemoteSuccess(call);
            return pttl == -1 || pttl > 0;
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            OnRemoteFailure(ex, call);
            return false;
        }
    }

    /// <summary>Reads and removes a value in one step (Redis <c>GETDEL</c>), telling the other instances.</summary>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The removed value, or a miss.</returns>
    public async ValueTask<CacheResult<T>> GetAndRemoveAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        WriteMark version = BumpForWrite(key);
        CacheResult<T> local = _local.TryRemove(key, out LocalEntry? entry) && IsFresh(entry) ? LocalResult<T>(entry) : CacheResult<T>.Miss;
        if (!IsRemoteUsable())
        {
            Unsynced(RepairKind.Key, key);
            return local;
        }

        (bool ok, RedisValue raw) = await CommandAndInvalidateAsync(RemoteOperation.GetAndRemove, database => database.StringGetDeleteAsync(RemoteKey(key)), key, cancellationToken).ConfigureAwait(false);
        if (ok)
        {
            SettleLocal(key, version);
        }

        return !ok ? local : raw.IsNull ? CacheResult<T>.Miss : Decode<T>(raw, out _, out _);
    }

    /// <summary>
    /// Sets the time to live of an existing key (Redis <c>PEXPIRE</c>): a zero or negative time deletes it, and
    /// <see cref="Timeout.InfiniteTimeSpan"/> removes its expiry, as <see cref="LocalCache{TValue}.Expire"/> does.
    /// Values and counters alike.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="timeToLive">The new time to live.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>Whether the key existed.</returns>
    public ValueTask<bool> ExpireAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken = default) =>
        ExpireChecked(key, string.Empty, timeToLive, cancellationToken);

    /// <summary>The expire of the cache and of its namespaces; <paramref name="scope"/> is the key's namespace prefix.</summary>
    internal async ValueTask<bool> ExpireChecked(string key, string scope, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        if (timeToLive != Timeout.InfiniteTimeSpan && timeToLive <= TimeSpan.Zero)
        {
            return await RemoveAsync(key, cancellationToken).ConfigureAwait(false);
        }

        TimeSpan? newTimeToLive = timeToLive == Timeout.InfiniteTimeSpan ? null : TimeToLiveGuard.AtMostMaximum(timeToLive, nameof(timeToLive));
        WriteLifetime lifetime = LifetimeOf(newTimeToLive);
        WriteMark version = BumpForWrite(key);
        if (!IsRemoteUsable())
        {
            Unsynced(RepairKind.Key, key);
            return ExpireLocal(key, newTimeToLive, lifetime);
        }

        // L1 keeps a value's freshness with the value, so the simplest correct change is to drop it: the next read
        // refills it with Redis's new time to live.
        bool local = _local.TryGet(key, out LocalEntry? entry) && IsFresh(entry);
        _local.Remove(key);
        long physical = Milliseconds(lifetime.Life), raw = Milliseconds(newTimeToLive);
        RedisKey[] keys = IsCluster() ? [RemoteKey(key)] : [RemoteKey(key), GroupRecordKey(scope, key)]; // no indexed values on a cluster
        (bool ok, RedisResult result) = await CommandAndInvalidateAsync(
            RemoteOperation.Expire, database => database.ScriptEvaluateAsync(ExpireScript, keys, [lifetime.LogicalExpiry, physical, raw]), key, cancellationToken).ConfigureAwait(false);
        if (!ok)
        {
            return local;
        }

        SettleLocal(key, version); // a read that fetched the value with its old time to live meanwhile does not keep it
        return (long)result == 1;
    }

    /// <summary>
    /// Sets the time to live of an existing value or counter, keeping its value (the services' <c>set_ttl</c>).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="timeToLive">The new time to live: positive.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>Whether the key existed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeToLive"/> is zero or negative, or longer than <see cref="TieredCache.MaxTimeToLive"/>.</exception>
    public ValueTask<bool> SetTimeToLiveAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        TimeToLiveGuard.Positive(timeToLive, nameof(timeToLive));
        return ExpireChecked(key, string.Empty, timeToLive, cancellationToken);
    }

    /// <summary>Gives the L1 entry a new time to live (null: none), keeping its value and its kind.</summary>
    private bool ExpireLocal(string key, TimeSpan? timeToLive, WriteLifetime lifetime)
    {
        if (!_local.TryGet(key, out LocalEntry? entry) || !IsFresh(entry))
        {
            return false;
        }

        if (entry is CounterEntry)
        {
            // A counter is not fresh-then-stale: its L1 life is its time to live.
            return timeToLive is { } ttl ? _local.Expire(key, ttl) : _local.Persist(key);
        }

        // The entry carries its freshness, so a new time to live means a new entry, not just a new L1 deadline.
        SetLocal(key, entry.WithFreshUntil(lifetime.FreshUntil), lifetime.Life);
        return true;
    }

    /// <summary>
    /// Gets the remaining time to live of a key, with <see cref="LocalCache{TValue}.GetTimeToLive(string)"/>'s
    /// semantics: <see langword="null"/> when missing or expired, <see cref="Timeout.InfiniteTimeSpan"/> when it never
    /// expires, else the remaining time.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The remaining time to live.</returns>
    public async ValueTask<TimeSpan?> GetTimeToLiveAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        if (!IsRemoteUsable())
        {
            return _local.TryGet(key, out LocalEntry? entry) && IsFresh(entry) ? LocalTimeToLive(key, entry) : null;
        }

        RemoteCall call = BeginRemote(RemoteOperation.TimeToLive);
        try
        {
            long pttl = await RemoteTimeToLiveAsync(key, cancellationToken).ConfigureAwait(false);
            OnRemoteSuccess(call);
            return pttl switch
            {
                -1 => Timeout.InfiniteTimeSpan,
                <= 0 => null,
                _ => TimeSpan.FromMilliseconds(pttl),
            };
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            OnRemoteFailure(ex, call);
            return _local.TryGet(key, out LocalEntry? entry) && IsFresh(entry) ? LocalTimeToLive(key, entry) : null;
        }
    }

    /// <summary>Measures a round trip to Redis.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The round-trip time, or <see langword="null"/> when Redis is not configured or does not answer.</returns>
    public async ValueTask<TimeSpan?> PingAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_database is null)
        {
            return null;
        }

        RemoteCall call = BeginRemote(RemoteOperation.Ping);
        try
        {
            TimeSpan latency = await _database.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            OnRemoteSuccess(call);
            return latency;
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            OnRemoteFailure(ex, call);
            return null;
        }
    }

    /// <summary>Returns a snapshot of the cache's counters.</summary>
    /// <returns>The counters.</returns>
    public TieredCacheStatistics GetStatistics() => new()
    {
        Local = _local.GetStatistics(),
        RemoteHits = Volatile.Read(ref _remoteHits),
        RemoteMisses = Volatile.Read(ref _remoteMisses),
        RemoteErrors = Volatile.Read(ref _remoteErrors),
        DecodeErrors = Volatile.Read(ref _decodeErrors),
        FailSafeHits = Volatile.Read(ref _failSafeHits),
        InvalidationsSent = Volatile.Read(ref _invalidationsSent),
        InvalidationsReceived = Volatile.Read(ref _invalidationsReceived),
        FactoryRuns = Volatile.Read(ref _factoryRuns),
        FactoryErrors = Volatile.Read(ref _factoryErrors),
        FactoryFailSafeHits = Volatile.Read(ref _factoryFailSafeHits),
        EagerRefreshes = Volatile.Read(ref _eagerRefreshes),
        FactoryFillsDropped = Volatile.Read(ref _factoryFillsDropped),
        RepairsReplayed = Volatile.Read(ref _repairsReplayed),
    };

    /// <summary>Unsubscribes, closes the connection if the cache opened it, and releases L1.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _disposing.Cancel(); // factory runs still going see their token cancelled
        _metrics.Unregister(this);
        _logLevelTimer?.Dispose();

        if (_redis is not null)
        {
            _redis.ConnectionFailed -= OnConnectionFailed;
            _redis.ConnectionRestored -= OnConnectionRestored;
            try
            {
                _subscription?.Unsubscribe();
            }
            catch (Exception ex) when (IsRemoteFailure(ex))
            {
                // Closing anyway: the subscription dies with the connection.
            }

            if (_ownsRedis)
            {
                _redis.Dispose();
            }
        }

        _local.Dispose();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }

    private static bool IsRemoteFailure(Exception exception) =>
        exception is RedisException or TimeoutException or ObjectDisposedException;

    private static bool IsAvailabilityFailure(Exception exception) =>
        exception is RedisConnectionException or RedisTimeoutException or TimeoutException or ObjectDisposedException;

    private void ValidateKey(string key)
    {
        KeyGuard.Valid(key, nameof(key));
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
    }

    /// <summary>
    /// <see cref="ValidateKey"/> without the surrogate scan, for the L1 hit paths, which call <see cref="KeyGuard.Encodable"/>
    /// once they miss (see <see cref="KeyGuard.ValidLength"/>).
    /// </summary>
    private void ValidateReadKey(string key)
    {
        KeyGuard.ValidLength(key, nameof(key));
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
    }

    private RedisKey RemoteKey(string key) => _remotePrefix.Append(key);

    /// <summary>The time to live of a write: the given one or the default; zero or negative is refused.</summary>
    private TimeSpan? ResolveTimeToLive(TimeSpan? timeToLive) =>
        TimeToLiveGuard.Positive(timeToLive, nameof(timeToLive)) ?? _defaultTimeToLive;

    /// <summary>
    /// What a write's time to live (null: none) means in each place: the envelope's logical expiry, the L1 entry's
    /// freshness, and the life of both copies, which is the time to live plus the fail-safe window.
    /// </summary>
    private WriteLifetime LifetimeOf(TimeSpan? timeToLive) => timeToLive is { } ttl
        ? new WriteLifetime(_time.GetUtcNow().Add(ttl).ToUnixTimeMilliseconds(), _time.GetTimestamp() + ToTicks(ttl), ttl + (_failSafe ?? TimeSpan.Zero))
        : new WriteLifetime(0, LocalEntry.Forever, null);

    /// <summary>See <see cref="LifetimeOf"/>.</summary>
    /// <param name="LogicalExpiry">Unix milliseconds, 0 for none: the envelope's field.</param>
    /// <param name="FreshUntil">The L1 entry's <see cref="LocalEntry.FreshUntil"/>.</param>
    /// <param name="Life">How long L1 and Redis keep the value; null for no expiry.</param>
    private readonly record struct WriteLifetime(long LogicalExpiry, long FreshUntil, TimeSpan? Life);

    /// <summary>Reads both clocks once; a batch reads them once for all its keys.</summary>
    private Instant Now() => new(_time.GetUtcNow().ToUnixTimeMilliseconds(), _time.GetTimestamp());

    /// <summary>One instant on both clocks: wall time for envelopes (shared across instances), timestamps for L1.</summary>
    private readonly record struct Instant(long UnixMilliseconds, long Timestamp);

    /// <summary>A time to live as the milliseconds a Redis script takes (rounded up, like PX), or -1 for none.</summary>
    private static long Milliseconds(TimeSpan? timeToLive) => timeToLive is { } ttl ? (long)Math.Ceiling(ttl.TotalMilliseconds) : -1;

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    /// <remarks>
    /// Without fail-safe, L1 keeps an entry exactly as long as it is fresh, so an entry L1 returns is fresh and the
    /// clock need not be read on the hit path; with fail-safe, L1 keeps it the window longer and the clock decides.
    /// </remarks>
    private bool IsFresh(LocalEntry entry) =>
        _failSafe is null || entry.FreshUntil == LocalEntry.Forever || entry.FreshUntil > _time.GetTimestamp();

    /// <summary>The entry's remaining freshness, or null once it has none (L1 may hold it a fraction of a millisecond longer).</summary>
    private TimeSpan? LocalTimeToLive(string key, LocalEntry entry)
    {
        if (entry is CounterEntry)
        {
            return _local.GetTimeToLive(key);
        }

        if (entry.FreshUntil == LocalEntry.Forever)
        {
            return Timeout.InfiniteTimeSpan;
        }

        TimeSpan remaining = _time.GetElapsedTime(_time.GetTimestamp(), entry.FreshUntil);
        return remaining > TimeSpan.Zero ? remaining : null;
    }

    private CacheResult<T> LocalResult<T>(LocalEntry entry)
    {
        if (entry.TryGet(out T? value))
        {
            return new CacheResult<T>(true, value);
        }

        Interlocked.Increment(ref _decodeErrors); // stored as another type: a miss, as Redis would give
        return CacheResult<T>.Miss;
    }

    /// <summary>
    /// Writes an L1 entry for <paramref name="life"/> (null: no expiry), or for <see cref="TieredCacheOptions.LocalTimeToLive"/>
    /// when that is shorter: L1 never keeps a value longer than Redis does, and may keep it less.
    /// </summary>
    private void SetLocal(string key, LocalEntry entry, TimeSpan? life)
    {
        if (_localCap is { } cap && (life is null || life > cap))
        {
            life = cap;
        }

        if (life is { } l)
        {
            _local.Set(key, entry, l);
        }
        else
        {
            _local.Set(key, entry);
        }
    }

    private async ValueTask<CacheResult<T>> ReadRemoteAsync<T>(string key, LocalEntry? stale, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!IsRemoteUsable())
        {
            return FailSafe<T>(stale);
        }

        (long Slot, long Epoch) before = VersionsOf(key);
        long repairs = _repairs.Mark;
        RedisValue raw;
        RemoteCall call = BeginRemote(RemoteOperation.Get);
        try
        {
            raw = await _database!.StringGetAsync(RemoteKey(key)).WaitAsync(cancellationToken).ConfigureAwait(false);
            OnRemoteSuccess(call);
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            OnRemoteFailure(ex, call);
            return FailSafe<T>(stale);
        }

        if (_repairs.Covers(key, repairs))
        {
            raw = RedisValue.Null; // Redis may still hold what this instance overwrote or removed during an outage
        }

        CacheResult<T> result = AcceptRemote<T>(raw, Now(), out LocalEntry? fill, out TimeSpan? life);
        if (_debugLogs)
        {
            if (result.HasValue)
            {
                LogHit(_logger!, key, RemoteTier);
            }
            else
            {
                LogMiss(_logger!, key);
            }
        }

        if (fill is not null)
        {
            if (BeforeLocalFill is { } hook)
            {
                await hook(key).ConfigureAwait(false);
            }

            FillLocal(key, fill, life, before);
        }

        return result;
    }

    /// <summary>The fill-race versions of a key: noted before a Redis read, compared after its fill.</summary>
    private (long Slot, long Epoch) VersionsOf(string key) =>
        (Volatile.Read(ref _versions[VersionSlot(key)]), Volatile.Read(ref _epoch));

    /// <summary>
    /// Turns what Redis returned for a key into a result, counting it. <paramref name="fill"/> is the L1 entry to
    /// install, or null when there is nothing to install (missing, undecodable, or stale: a stale copy is not served
    /// while Redis answers).
    /// </summary>
    private CacheResult<T> AcceptRemote<T>(RedisValue raw, Instant now, out LocalEntry? fill, out TimeSpan? life)
    {
        fill = null;
        life = null;
        if (raw.IsNull)
        {
            Interlocked.Increment(ref _remoteMisses);
            return CacheResult<T>.Miss;
        }

        CacheResult<T> result = Decode<T>(raw, out object? boxed, out long logicalExpiry);
        if (result.HasValue && logicalExpiry == CounterRead)
        {
            Interlocked.Increment(ref _remoteHits); // a counter: never put in L1, which must not serve a stale count
            return result;
        }

        if (!result.HasValue || !TryLocalLife(logicalExpiry, now, out long freshUntil, out life))
        {
            return CacheResult<T>.Miss;
        }

        Interlocked.Increment(ref _remoteHits);
        fill = new LocalEntry(boxed, freshUntil);
        return result;
    }

    /// <summary>
    /// Installs a value read from Redis in L1, then takes it out again if an invalidation or a local write for the key
    /// landed since <paramref name="before"/> was noted: what the read fetched may be older than that (the fill race).
    /// </summary>
    private void FillLocal(string key, LocalEntry fill, TimeSpan? life, (long Slot, long Epoch) before)
    {
        SetLocal(key, fill, life);
        // Counted for a local write in flight on the slot (see SettleLocal); a full fence, so that either that write's
        // last bump is read below or the write sees this count.
        Interlocked.Increment(ref _fills[VersionSlot(key)]);
        if (VersionsOf(key) != before)
        {
            _local.Remove(key);
        }
    }

    /// <summary>
    /// Turns an envelope's logical expiry into L1 terms: fresh until, and a life of the rest of that time plus the
    /// fail-safe window, which is exactly when Redis drops the value (both were set by the same write). False when the
    /// value is no longer fresh.
    /// </summary>
    private bool TryLocalLife(long logicalExpiryUnixMilliseconds, Instant now, out long freshUntil, out TimeSpan? life)
    {
        if (logicalExpiryUnixMilliseconds == 0)
        {
            freshUntil = LocalEntry.Forever;
            life = null;
            return true;
        }

        long fresh = logicalExpiryUnixMilliseconds - now.UnixMilliseconds;
        freshUntil = now.Timestamp + ToTicks(TimeSpan.FromMilliseconds(Math.Max(fresh, 0)));
        life = TimeSpan.FromMilliseconds(fresh) + (_failSafe ?? TimeSpan.Zero);
        if (fresh > 0)
        {
            return true;
        }

        Interlocked.Increment(ref _remoteMisses);
        return false;
    }

    private CacheResult<T> Decode<T>(RedisValue raw, out object? boxed, out long logicalExpiry)
    {
        ReadOnlyMemory<byte> bytes = raw;
        EnvelopeStatus status = CacheEnvelope.TryRead(bytes.Span, _serializer, out T? value, out logicalExpiry);
        if (status != EnvelopeStatus.Ok)
        {
            boxed = null;
            if (typeof(T) == typeof(long) && TryReadCounter(bytes.Span, out long count))
            {
                logicalExpiry = CounterRead;
                return new CacheResult<T>(true, Unsafe.As<long, T>(ref count));
            }

            Interlocked.Increment(ref _decodeErrors);
            LogDecodeError(status);
            return CacheResult<T>.Miss;
        }

        boxed = value;
        return new CacheResult<T>(true, value);
    }

    private CacheResult<T> FailSafe<T>(LocalEntry? stale)
    {
        if (stale is not null && _failSafe is not null)
        {
            CacheResult<T> result = LocalResult<T>(stale);
            if (result.HasValue)
            {
                Interlocked.Increment(ref _failSafeHits);
                return result;
            }
        }

        return CacheResult<T>.Miss;
    }

    /// <summary>
    /// Sends a command pipelined with the invalidation of <paramref name="key"/> (one round trip) and waits for both.
    /// A Redis failure, even one thrown while the command is being issued, is counted and reported as not ok.
    /// </summary>
    private Task<(bool Ok, TResult Result)> CommandAndInvalidateAsync<TResult>(RemoteOperation operation, Func<IDatabase, Task<TResult>> command, string key, CancellationToken cancellationToken) =>
        CommandAndInvalidateAsync(operation, command, InvalidationKind.Key, [key], cancellationToken);

    private async Task<(bool Ok, TResult Result)> CommandAndInvalidateAsync<TResult>(RemoteOperation operation, Func<IDatabase, Task<TResult>> command, InvalidationKind kind, string[] keys, CancellationToken cancellationToken)
    {
        if (BeforeRemoteWrite is { } hook)
        {
            await hook().ConfigureAwait(false);
        }

        RemoteCall call = BeginRemote(operation);
        try
        {
            Task<TResult> reply = command(_database!);
            await Task.WhenAll(reply, PublishAsync(kind, keys)).WaitAsync(cancellationToken).ConfigureAwait(false);
            OnRemoteSuccess(call);
            return (true, await reply.ConfigureAwait(false)); // already complete
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            OnRemoteFailure(ex, call);
            foreach (string key in keys)
            {
                Unsynced(RepairKind.Key, key); // whether Redis applied the command is unknown
            }

            return (false, default!);
        }
    }

    private async ValueTask WriteRemoteAsync(string key, WriteMark version, PooledBufferWriter envelope, TimeSpan? life, string scope, string[]? groups, CancellationToken cancellationToken)
    {
        bool settled = false; // the buffers go back to the pool only once Redis no longer reads them
        if (BeforeRemoteWrite is { } hook)
        {
            await hook().ConfigureAwait(false);
        }

        RemoteCall call = BeginRemote(RemoteOperation.Set);
        try
        {
            Task set = groups is null
                ? _database!.StringSetAsync(RemoteKey(key), (RedisValue)envelope.WrittenMemory, life, When.Always)
                : _database!.ScriptEvaluateAsync(GroupScripts.Set, GroupWriteKeys(key, scope, groups), [envelope.WrittenMemory, Milliseconds(life), key]);
            await Task.WhenAll(set, PublishAsync(InvalidationKind.Key, key)).WaitAsync(cancellationToken).ConfigureAwait(false);
            settled = true;
            OnRemoteSuccess(call);
            SettleLocal(key, version);
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            settled = true;
            OnRemoteFailure(ex, call);
            Unsynced(RepairKind.Key, key);
        }
        finally
        {
            if (settled)
            {
                BufferWriterPool.Return(envelope);
            }
        }
    }

    /// <summary>
    /// The fresh part of a key's remaining life in milliseconds: -2 when missing, -1 when it never expires, else the
    /// PTTL less the fail-safe window for an envelope (0 or less: only fail-safe reads may use it), or the PTTL of a counter.
    /// </summary>
    private async Task<long> RemoteTimeToLiveAsync(string key, CancellationToken cancellationToken)
    {
        // Raw PTTL: StackExchange.Redis's KeyTimeToLive maps both "missing" (-2) and "no expiry" (-1) to null.
        RedisResult[] reply = (RedisResult[])(await _database!.ScriptEvaluateAsync(TimeToLiveScript, [RemoteKey(key)]).WaitAsync(cancellationToken).ConfigureAwait(false))!;
        long pttl = (long)reply[0];
        if (pttl < 0 || (long)reply[1] == 0)
        {
            return pttl;
        }

        long fresh = pttl - (long)(_failSafe ?? TimeSpan.Zero).TotalMilliseconds;
        return fresh > 0 ? fresh : 0;
    }

    private Task PublishAsync(InvalidationKind kind, string keyOrPattern) => PublishAsync(kind, [keyOrPattern]);

    private Task PublishAsync(InvalidationKind kind, string[] keys)
    {
        if (!_backplane)
        {
            return Task.CompletedTask;
        }

        var message = new InvalidationMessage(_instanceId, kind, keys);
        PooledBufferWriter writer = BufferWriterPool.Rent();
        message.Encode(writer);
        Interlocked.Increment(ref _invalidationsSent);
        return PublishAndReturnAsync(writer);
    }

    private async Task PublishAndReturnAsync(PooledBufferWriter writer)
    {
        try
        {
            await _redis!.GetSubscriber().PublishAsync(_channel, writer.WrittenMemory).ConfigureAwait(false);
        }
        finally
        {
            BufferWriterPool.Return(writer); // the publish has completed or failed: Redis no longer reads the buffer
        }
    }

    /// <summary>
    /// Subscribes to the backplane channel; when that fails, keeps retrying every second in the background until it
    /// succeeds or the cache is disposed. Invalidations published meanwhile were missed, so a late subscription clears L1.
    /// </summary>
    private void TrySubscribe()
    {
        if (!SubscribeOnce() && Interlocked.Exchange(ref _resubscribing, 1) == 0)
        {
            _ = ResubscribeAsync();
        }
    }

    /// <returns>Whether the subscription is in place.</returns>
    private bool SubscribeOnce()
    {
        lock (_subscribeGate) // one subscription, whichever of the constructor, a restored connection or the retry gets here
        {
            if (_subscription is not null)
            {
                return true;
            }

            RemoteCall call = BeginRemote(RemoteOperation.Subscribe);
            try
            {
                ChannelMessageQueue subscription = _redis!.GetSubscriber().Subscribe(_channel);
                subscription.OnMessage(OnInvalidation);
                Volatile.Write(ref _subscription, subscription);
                OnRemoteSuccess(call);
                return true;
            }
            catch (Exception ex) when (IsRemoteFailure(ex, call))
            {
                // While the connection is up, counted and logged but the circuit stays as it is: the subscription has its
                // own retry (ResubscribeAsync), and its timeout says nothing of the commands. One that timed out on a busy
                // machine at start-up used to open the circuit, so the cache's first writes skipped Redis. With the
                // connection down, the commands would fail too: the circuit opens, so they fail fast.
                OnRemoteFailure(ex, call, opensCircuit: !_redis!.IsConnected);
                return false;
            }
        }
    }

    private async Task ResubscribeAsync()
    {
        try
        {
            while (_disposed == 0)
            {
                // Real time, not the cache's TimeProvider: this paces attempts on a connection, it is not cache time.
                await Task.Delay(ResubscribeInterval, _disposing.Token).ConfigureAwait(false);
                if (SubscribeOnce())
                {
                    Interlocked.Increment(ref _epoch);
                    _local.Clear();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed while waiting.
        }
        finally
        {
            Volatile.Write(ref _resubscribing, 0);
        }
    }

    private void OnInvalidation(ChannelMessage message)
    {
        byte[]? bytes = message.Message;
        if (bytes is null || !InvalidationMessage.TryDecode(bytes, out InvalidationMessage invalidation))
        {
            Interlocked.Increment(ref _decodeErrors);
            return;
        }

        if (invalidation.Sender == _instanceId)
        {
            return;
        }

        switch (invalidation.Kind)
        {
            case InvalidationKind.Key:
            case InvalidationKind.Keys:
                foreach (string key in invalidation.Keys)
                {
                    BumpVersion(key);
                    _local.Remove(key);
                }

                break;
            case InvalidationKind.Pattern:
                Interlocked.Increment(ref _epoch);
                _local.RemoveByPattern(invalidation.Single);
                break;
            case InvalidationKind.All:
                Interlocked.Increment(ref _epoch);
                _local.Clear();
                break;
        }

        // Counted once applied, as documented: a reader that sees the count (a test waiting for quiescence) must also see
        // the removal. Counted before it, the soak read a removed value from L1 under load, between the two.
        Interlocked.Increment(ref _invalidationsReceived);
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        // The multiplexer reports every failed reconnection attempt: only the first failure is a change of state.
        if (Interlocked.Exchange(ref _reportedDown, 1) == 0 && _logger is not null)
        {
            LogConnectionFailed(_logger, e.EndPoint?.ToString() ?? "?", e.ConnectionType, e.FailureType, e.Exception);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        Volatile.Write(ref _circuitOpenUntil, 0);
        if (e.ConnectionType != ConnectionType.Subscription)
        {
            ReportUp();
            return; // only a lost subscription means lost invalidations
        }

        // Invalidations published while the subscription was down are lost: what L1 holds can no longer be trusted.
        Interlocked.Increment(ref _epoch);
        _local.Clear();
        if (_backplane && _subscription is null)
        {
            TrySubscribe();
        }

        if (_logger is not null)
        {
            LogConnectionRestored(_logger, e.EndPoint?.ToString() ?? "?", e.ConnectionType);
        }
    }

    private bool IsRemoteUsable() => _database is not null && _disposed == 0 && !IsCircuitOpen();

    private bool IsCircuitOpen()
    {
        long openUntil = Volatile.Read(ref _circuitOpenUntil);
        return openUntil != 0 && openUntil > _time.GetTimestamp();
    }

    /// <summary>The log-level timer's callback; it holds the cache weakly, so that an undisposed cache can still be collected.</summary>
    private static void RefreshLogLevel(WeakReference<TieredCache> reference)
    {
        if (reference.TryGetTarget(out TieredCache? cache) && cache._logger is { } logger)
        {
            cache._debugLogs = logger.IsEnabled(LogLevel.Debug);
        }
    }

    private RemoteCall BeginRemote(RemoteOperation operation) => RemoteCall.Begin(operation, _name, _metrics.RemoteDuration);

    private void OnRemoteSuccess(in RemoteCall call)
    {
        call.End(_metrics.RemoteDuration, _name, failure: null);
        if (Volatile.Read(ref _circuitOpenUntil) != 0) // read first: no shared write on every success
        {
            Volatile.Write(ref _circuitOpenUntil, 0);
        }

        ReportUp();
    }

    private void OnRemoteFailure(Exception exception, in RemoteCall call, bool opensCircuit = true)
    {
        call.End(_metrics.RemoteDuration, _name, exception);
        Interlocked.Increment(ref _remoteErrors);
        Volatile.Write(ref _lastRemoteFailure, Environment.TickCount64);
        if (!opensCircuit || !IsAvailabilityFailure(exception))
        {
            if (_logger is not null)
            {
                LogRemoteError(_logger, exception);
            }

            return;
        }

        Interlocked.Exchange(ref _circuitOpenUntil, _time.GetTimestamp() + Math.Max(1, _circuitBreakTicks));
        if (Interlocked.Exchange(ref _reportedDown, 1) == 0 && _logger is not null)
        {
            LogRemoteDown(_logger, exception.GetType().Name, exception);
        }
    }

    /// <summary>
    /// The filter of every catch around a Redis call: true for a Redis failure (handled by
    /// <see cref="OnRemoteFailure"/>), false for anything else, which propagates; its span ends here as abandoned.
    /// </summary>
    private static bool IsRemoteFailure(Exception exception, in RemoteCall call)
    {
        if (IsRemoteFailure(exception))
        {
            return true;
        }

        call.Abandon();
        return false;
    }

    /// <summary>Logs Redis's return after <see cref="OnRemoteFailure"/> or a lost connection reported it down, once.</summary>
    private void ReportUp()
    {
        if (Volatile.Read(ref _reportedDown) != 0 && Interlocked.Exchange(ref _reportedDown, 0) != 0 && _logger is not null)
        {
            LogRemoteUp(_logger);
        }
    }

    private long BumpVersion(string key) => Interlocked.Increment(ref _versions[VersionSlot(key)]);

    /// <summary>
    /// Bumps the key's slot for a write, before it touches L1, and notes what <see cref="SettleLocal"/> compares once
    /// Redis has answered: the slot as this bump left it (not read back, which could already include another write's
    /// bump), the epoch, and the slot's fill count.
    /// </summary>
    private WriteMark BumpForWrite(string key)
    {
        int slot = VersionSlot(key);
        long fills = Volatile.Read(ref _fills[slot]);
        return new WriteMark(Interlocked.Increment(ref _versions[slot]), Volatile.Read(ref _epoch), fills);
    }

    /// <summary>
    /// Runs once a write's Redis half has succeeded: bumps the key's slot again, then drops L1's copy if, since the
    /// write began (<paramref name="mark"/>), the slot or the epoch moved or a fill landed on the slot. The instance
    /// ignores its own invalidations, so nothing else catches either race the tiered soak found:
    /// <list type="bullet">
    /// <item>Another write to the key (or a key sharing its slot), or a pattern, group or full removal, ran meanwhile:
    /// the two may have reached L1 and Redis in opposite orders (each writes L1 first, then Redis), leaving L1 with one
    /// and Redis with the other.</item>
    /// <item>A read noted the versions after this write's first bump and read Redis before the write reached it, then
    /// installed that older value after the write's L1 change (its own check passed: nothing had moved).</item>
    /// </list>
    /// The second bump, first, makes a read still in flight drop what it fetched; the next read takes Redis's value.
    /// </summary>
    private void SettleLocal(string key, WriteMark mark)
    {
        int slot = VersionSlot(key);
        long slotNow = Interlocked.Increment(ref _versions[slot]); // a full fence: see FillLocal
        if (slotNow != mark.Slot + 1 || Volatile.Read(ref _epoch) != mark.Epoch || Volatile.Read(ref _fills[slot]) != mark.Fills)
        {
            _local.Remove(key);
        }
    }

    /// <summary>What a local write noted when it began: see <see cref="BumpForWrite"/>.</summary>
    private readonly record struct WriteMark(long Slot, long Epoch, long Fills);

    private static int VersionSlot(string key) => key.GetHashCode() & (VersionSlots - 1);

    private void LogDecodeError(EnvelopeStatus status)
    {
        if (_logger is not null)
        {
            LogUndecodable(_logger, status);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Redis unavailable ({Reason}): serving from L1 until it answers again")]
    private static partial void LogRemoteDown(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Redis answers again: both tiers in use")]
    private static partial void LogRemoteUp(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} ({ConnectionType}) failed: {FailureType}")]
    private static partial void LogConnectionFailed(ILogger logger, string endPoint, ConnectionType connectionType, ConnectionFailureType failureType, Exception? exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Redis connection to {EndPoint} ({ConnectionType}) restored: L1 cleared, invalidations may have been missed")]
    private static partial void LogConnectionRestored(ILogger logger, string endPoint, ConnectionType connectionType);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Redis returned an error; the call was served without it")]
    private static partial void LogRemoteError(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Cache hit for '{Key}' ({Tier})")]
    private static partial void LogHit(ILogger logger, string key, string tier);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Cache miss for '{Key}'")]
    private static partial void LogMiss(ILogger logger, string key);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "Cache set for '{Key}' (time to live {TimeToLive})")]
    private static partial void LogSet(ILogger logger, string key, TimeSpan? timeToLive);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "A value in Redis could not be read ({Status}): treated as a miss")]
    private static partial void LogUndecodable(ILogger logger, EnvelopeStatus status);
}
