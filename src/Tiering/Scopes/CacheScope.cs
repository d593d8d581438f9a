using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;
using Strata.Engine;

namespace Strata.Tiering;

/// <summary>
/// Every operation of the cache API, written once: the cache itself and each namespace are scopes of it. A scope has a
/// key prefix (empty for the cache, <c>name:</c> for a namespace), a default time to live, and for a namespace its own
/// counters; <see cref="TieredCache"/> and <see cref="CacheNamespace"/> are thin public fronts over one scope each.
/// </summary>
/// <remarks>
/// <para>
/// An operation coordinates the parts of the cache: L1 (<see cref="LocalTier"/>, with the fill-race versions), Redis
/// (<see cref="RedisTier"/>, called through the <see cref="CircuitBreaker"/>), the <see cref="Backplane"/>, the
/// <see cref="RepairDrain"/> and the <see cref="FlightTable"/>. Keys are given within the scope; the scope builds the
/// full cache key (<c>name:key</c>) once per call, and knows its prefix, so nothing is recovered by slicing.
/// </para>
/// <para>
/// The order of every write, the coherence invariant: bump the key's versions, change L1 (a local write is never lost),
/// then Redis pipelined with the invalidation for the other instances; once Redis has answered, settle L1 (see
/// <see cref="FillVersions"/>). When Redis is unusable or fails, the write stays in L1 and a repair is recorded, which
/// later removes the key everywhere. A read never throws a Redis exception: it answers from L1, a stale L1 value within
/// the fail-safe window, or a miss.
/// </para>
/// </remarks>
public abstract partial class CacheScope
{
    private readonly CacheParts _parts;
    private readonly LocalTier _l1;
    private readonly LocalCache<LocalEntry> _local;
    private readonly RedisTier? _l2;
    private readonly CircuitBreaker _breaker;
    private readonly Removals? _removals;
    private readonly RepairDrain _repairs;
    private readonly RemoteWrites _writes;
    private readonly TieredCounters _counters;
    private readonly TieredLog _log;
    private readonly Lifetimes _lifetimes;
    private readonly string _prefix;
    private readonly NamespaceCounters? _namespace;
    private readonly ValueCodec _codec;

    /// <param name="parts">The parts of the cache the scope belongs to.</param>
    /// <param name="prefix">The keys' prefix: empty for the cache, <c>name:</c> for a namespace.</param>
    /// <param name="defaultTimeToLive">The time to live of writes without one (resolved: a namespace's, else the cache's).</param>
    /// <param name="restartTimeToLiveOnUpdate">Whether an update restarts the time to live at the default.</param>
    /// <param name="counters">A namespace's counters; null for the cache itself.</param>
    /// <param name="codec">How the scope's values become envelopes: the cache's, or a namespace's own.</param>
    private protected CacheScope(CacheParts parts, string prefix, TimeSpan? defaultTimeToLive, bool restartTimeToLiveOnUpdate, NamespaceCounters? counters, ValueCodec codec)
    {
        _codec = codec;
        _parts = parts;
        _l1 = parts.L1;
        _local = parts.L1.Cache;
        _l2 = parts.L2;
        _breaker = parts.Breaker;
        _removals = parts.Removals;
        _repairs = parts.Repairs;
        _writes = parts.Writes;
        _counters = parts.Counters;
        _log = parts.Log;
        _lifetimes = parts.Lifetimes;
        _prefix = prefix;
        ScopeTimeToLive = defaultTimeToLive;
        RestartsTimeToLiveOnUpdate = restartTimeToLiveOnUpdate;
        _namespace = counters;
    }

    /// <summary>Gets the time to live of writes without one, resolved: a namespace's own, else the cache's.</summary>
    private protected TimeSpan? ScopeTimeToLive { get; }

    /// <summary>Gets whether an update without a time to live restarts it at <see cref="ScopeTimeToLive"/>.</summary>
    private protected bool RestartsTimeToLiveOnUpdate { get; }

    /// <summary>Gets how the scope's values become envelopes.</summary>
    private protected ValueCodec Codec => _codec;

    /// <summary>
    /// Gets the serializer values of <typeparamref name="T"/> go through in this scope on their way to Redis: the
    /// configured one, else MemoryPack for the types it knows and System.Text.Json for the others. Code that needs a
    /// private copy of a mutable value (a serialize and deserialize round trip) uses the same one.
    /// </summary>
    /// <typeparam name="T">The values' type.</typeparam>
    /// <returns>The serializer.</returns>
    public ICacheSerializer GetSerializer<T>() => _codec.For<T>();

    /// <summary>Gets the parts of the cache, for the fronts.</summary>
    private protected CacheParts Parts => _parts;

    /// <summary>Reads a value: L1, then Redis. A miss and a stored default value are told apart by the result.</summary>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The key (within the namespace, for a namespace).</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The value, or a miss. Completes synchronously, allocating nothing, on an L1 hit.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty, too long (<see cref="TieredCache.MaxKeyLength"/>, namespace included) or has an unpaired surrogate.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
#pragma warning disable RS0026 // overloads with optional parameters: the flags overload mirrors the plain one
    public ValueTask<CacheResult<T>> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        GetCore<T>(ReadKey(key), CacheEntryFlags.None, cancellationToken);

    /// <summary>Reads a value from the tiers <paramref name="flags"/> leaves in; see <see cref="GetAsync{T}(string, CancellationToken)"/>.</summary>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="flags">
    /// The tiers left out: without L1 reads the value comes from Redis; without L1 writes a value read from Redis is not
    /// copied into L1; without Redis reads an L1 miss is a miss. The write flags other than L1's do not apply to a read.
    /// </param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The value, or a miss.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="flags"/> has a bit <see cref="CacheEntryFlags"/> does not define.</exception>
    public ValueTask<CacheResult<T>> GetAsync<T>(string key, CacheEntryFlags flags, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        string full = ReadKey(key);
        if ((flags & ~CacheEntryOptions.AllFlags) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(flags), flags, "The flags have a bit CacheEntryFlags does not define.");
        }

        return GetCore<T>(full, flags, cancellationToken);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ValueTask<CacheResult<T>> GetCore<T>(string full, CacheEntryFlags flags, CancellationToken cancellationToken)
    {
        LocalEntry? stale = null;
        if ((flags & CacheEntryFlags.DisableLocalRead) == 0 && _local.TryGet(full, out LocalEntry? entry))
        {
            if (_l1.IsFresh(entry))
            {
                if (_log.Debug)
                {
                    _log.Hit(full, TieredLog.LocalTier);
                }

                CacheResult<T> hit = LocalResult<T>(entry);
                _namespace?.Read(hit.HasValue);
                return new ValueTask<CacheResult<T>>(hit);
            }

            _l1.NotAHit();
            stale = entry;
        }

        return GetPastLocal<T>(full, stale, flags, cancellationToken);
    }

    /// <summary>
    /// A read L1 did not answer fresh. Kept out of line: inlined into a caller, dynamic PGO could judge its blocks cold
    /// from the caller's profile and leave the small calls in it uninlined (in the BenchmarkDotNet miss suite a miss
    /// cost about three times what it costs out of line; see bench/RESULTS.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ValueTask<CacheResult<T>> GetPastLocal<T>(string full, LocalEntry? stale, CacheEntryFlags flags, CancellationToken cancellationToken)
    {
        KeyGuard.Encodable(full, "key");
        if (!_breaker.CanCall || (flags & CacheEntryFlags.DisableRemoteRead) != 0)
        {
            // No Redis to ask (none configured, the circuit is open, or the call leaves it out): answered here, without an async state machine.
            cancellationToken.ThrowIfCancellationRequested();
            CacheResult<T> local = (flags & CacheEntryFlags.DisableRemoteRead) == 0 ? FailSafe<T>(stale) : CacheResult<T>.Miss; // no outage to ride out when Redis is left out
            _namespace?.Read(local.HasValue);
            return new ValueTask<CacheResult<T>>(local);
        }

        ValueTask<CacheResult<T>> read = ReadRemoteAsync<T>(full, stale, cancellationToken, fillLocal: (flags & CacheEntryFlags.DisableLocalWrite) == 0, allowed: true);
        return _namespace is null ? read : CountedAsync(read, _namespace);
    }

    /// <summary>Writes a value to L1, then to Redis, and tells the other instances to drop their copy.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value; <see langword="null"/> is stored as such.</param>
    /// <param name="timeToLive">Positive, or <see langword="null"/> for the default (the namespace's, else <see cref="TieredCacheOptions.DefaultTimeToLive"/>).</param>
    /// <param name="cancellationToken">Stops waiting for Redis; the L1 write has happened by then.</param>
    /// <returns>A task that completes once Redis has the value (or was found unavailable).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeToLive"/> is zero or negative.</exception>
#pragma warning disable RS0026 // overloads with optional parameters: both SetAsync shapes are the documented ones
    public ValueTask SetAsync<T>(string key, T value, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        string full = WriteKey(key);
        return SetCore(full, value, ResolveTimeToLive(timeToLive), groups: null, cancellationToken);
    }

    /// <summary>Writes a value with the time to live, indexes and tags of <paramref name="options"/>; see <see cref="SetAsync{T}(string, T, TimeSpan?, CancellationToken)"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">The time to live (null: the default), and the indexes and tags that replace the key's previous ones.</param>
    /// <param name="cancellationToken">Stops waiting for Redis; the L1 write has happened by then.</param>
    /// <returns>A task that completes once Redis has the value (or was found unavailable).</returns>
    /// <exception cref="ArgumentException">An index name is empty or contains <c>:</c>, or a tag is empty.</exception>
    /// <exception cref="NotSupportedException">The options have indexes or tags and Redis is a cluster.</exception>
#pragma warning disable RS0026 // overloads with optional parameters: both SetAsync shapes are the documented ones
    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        string full = WriteKey(key);
        ArgumentNullException.ThrowIfNull(options);
        string[]? groups = options.HasGroups ? options.GroupNames(_prefix) : null;
        return SetCore(full, value, options.TimeToLive ?? ScopeTimeToLive, groups, cancellationToken, options);
    }

    /// <summary>Removes a key from both tiers and tells the other instances (Redis <c>DEL</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>
    /// Whether the key existed (in Redis when it answered, else in L1). A value past its time to live that is kept only
    /// for fail-safe reads had expired: it is removed, and the answer is <see langword="false"/>, as Redis's DEL answers.
    /// </returns>
    public async ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        string full = ValidKey(key);
        WriteMark mark = _l1.Versions.BeginWrite(full);
        bool local = _local.TryRemove(full, out LocalEntry? removed) && _l1.IsFresh(removed);
        Reply<bool> reply = await _writes.RemoveAsync(full, mark, RemoteOperation.Remove, static s => s.L2.RemoveAsync(s.Key), cancellationToken).ConfigureAwait(false);
        return reply.Ok ? reply.Value : local;
    }

    /// <summary>Tells whether a fresh value exists for the key (Redis <c>EXISTS</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>Whether the key holds a value that has not expired.</returns>
    public async ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default)
    {
        string full = ValidKey(key);
        if (_l1.TryPeekFresh(full, out _))
        {
            return true;
        }

        if (!_breaker.CanCall)
        {
            return false;
        }

        Reply<long> pttl = await _breaker.CallAsync(RemoteOperation.TimeToLive, (L2: _l2!, Key: full), static s => s.L2.TimeToLiveAsync(s.Key), cancellationToken).ConfigureAwait(false);
        return pttl.Ok && (pttl.Value == -1 || pttl.Value > 0);
    }

    /// <summary>Reads and removes a value in one step (Redis <c>GETDEL</c>), telling the other instances.</summary>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The removed value, or a miss (also for a value kept only for fail-safe reads, which had expired).</returns>
    public async ValueTask<CacheResult<T>> GetAndRemoveAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        string full = ValidKey(key);
        WriteMark mark = _l1.Versions.BeginWrite(full);
        CacheResult<T> local = _local.TryRemove(full, out LocalEntry? entry) && _l1.IsFresh(entry) ? LocalResult<T>(entry) : CacheResult<T>.Miss;
        Reply<RedisValue> reply = await _writes.RemoveAsync(full, mark, RemoteOperation.GetAndRemove, static s => s.L2.Database.StringGetDeleteAsync(s.L2.Key(s.Key)), cancellationToken).ConfigureAwait(false);
        return reply.Ok ? _l2!.DecodeRemoved<T>(_codec, reply.Value) : local;
    }

    /// <summary>
    /// Writes L1, then Redis with the invalidation; <paramref name="timeToLive"/> is resolved (null: none). With
    /// <paramref name="groups"/> (names from <see cref="EntryGroups"/> in this scope), the write also replaces the key's
    /// index and tag memberships, atomically in Redis. <paramref name="options"/> may leave a tier out
    /// (<see cref="CacheEntryOptions.Flags"/>, <see cref="CacheEntryOptions.MaximumRemoteBytes"/>): the key's older
    /// value is then removed from that tier instead.
    /// </summary>
    private ValueTask SetCore<T>(string key, T value, TimeSpan? timeToLive, string[]? groups, CancellationToken cancellationToken, CacheEntryOptions? options = null)
    {
        WriteLifetime lifetime = _lifetimes.Of(timeToLive);
        cancellationToken.ThrowIfCancellationRequested();
        if (groups is not null)
        {
            ThrowIfGroupsUnsupported();
        }

        CacheEntryFlags flags = options?.Flags ?? CacheEntryFlags.None;

        // Serialize before any state changes, so that a value the serializer refuses throws without leaving L1 and
        // L2 disagreeing; and whenever Redis is configured, even while the circuit is open, so that such a value is
        // refused the same way whether or not Redis happens to be reachable.
        PooledBufferWriter? envelope = null;
        if (_l2 is not null && (flags & CacheEntryFlags.DisableRemoteWrite) == 0)
        {
            envelope = BufferWriterPool.Rent();
            try
            {
                _codec.Write(envelope, value, lifetime.LogicalExpiry, indexed: groups is not null, compress: (flags & CacheEntryFlags.DisableCompression) == 0);
            }
            catch
            {
                BufferWriterPool.Return(envelope);
                throw;
            }

            if (options?.MaximumRemoteBytes is { } maximum && envelope.WrittenMemory.Length > maximum)
            {
                BufferWriterPool.Return(envelope); // too large for Redis: the value stays in L1
                envelope = null;
                Interlocked.Increment(ref _counters.RemoteWritesTooLarge);
            }
        }

        WriteMark mark = _l1.Versions.BeginWrite(key);
        if (_log.Debug)
        {
            _log.Set(key, timeToLive);
        }

        if ((flags & CacheEntryFlags.DisableLocalWrite) != 0)
        {
            _local.TryRemove(key, out _); // an older copy must not answer for the key
        }
        else if (groups is null)
        {
            _l1.Set(key, new LocalEntry(value, lifetime.FreshUntil), lifetime.Life);
        }
        else
        {
            _l1.Set(key, new IndexedEntry(value, lifetime.FreshUntil, groups), lifetime.Life);
            _l1.Groups.Add(key, groups); // after the entry: see LocalGroups
        }

        _namespace?.Set();
        if (_l2 is null)
        {
            return default;
        }

        if (envelope is null)
        {
            // Redis is left out of this write: its older value goes, and the other instances drop their copies.
            return RemoveLeftOutAsync(key, mark, cancellationToken);
        }

        if (!_breaker.CanCall)
        {
            BufferWriterPool.Return(envelope); // the circuit is open: the write stays in L1
            _repairs.Record(RepairKind.Key, key);
            return default;
        }

        return _writes.SetAsync(key, mark, envelope, lifetime.Life, _prefix, groups, cancellationToken);
    }

    private async ValueTask RemoveLeftOutAsync(string key, WriteMark mark, CancellationToken cancellationToken) =>
        await _writes.RemoveAsync(key, mark, RemoteOperation.Remove, static s => s.L2.RemoveAsync(s.Key), cancellationToken).ConfigureAwait(false);

    // allowed: the caller has just been let through by CircuitBreaker.CanCall, which is not asked twice (a second look
    // would not find the probe the first one took).
    private async ValueTask<CacheResult<T>> ReadRemoteAsync<T>(string key, LocalEntry? stale, CancellationToken cancellationToken, bool fillLocal = true, bool allowed = false)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!allowed && !_breaker.CanCall)
        {
            return FailSafe<T>(stale);
        }

        FillMark before = _l1.Versions.Note(key);
        long repairs = _repairs.Mark;
        Reply<RedisValue> reply = await _breaker.CallAsync(RemoteOperation.Get, (L2: _l2!, Key: key), static s => s.L2.GetAsync(s.Key), cancellationToken).ConfigureAwait(false);
        if (!reply.Ok)
        {
            return FailSafe<T>(stale);
        }

        // Redis may still hold what this instance overwrote or removed during an outage.
        RedisValue raw = _repairs.Covers(key, repairs) ? RedisValue.Null : reply.Value;
        CacheResult<T> result = _l2!.Accept<T>(_codec, raw, _lifetimes.Now(), out LocalEntry? fill, out TimeSpan? life);
        if (_log.Debug)
        {
            if (result.HasValue)
            {
                _log.Hit(key, TieredLog.RemoteTier);
            }
            else
            {
                _log.Miss(key);
            }
        }

        if (fill is not null && fillLocal)
        {
            if (_parts.BeforeLocalFill is { } hook)
            {
                await hook(key).ConfigureAwait(false);
            }

            _l1.Fill(key, fill, life, before);
        }

        return result;
    }

    private static async ValueTask<CacheResult<T>> CountedAsync<T>(ValueTask<CacheResult<T>> read, NamespaceCounters counters)
    {
        CacheResult<T> result = await read.ConfigureAwait(false);
        counters.Read(result.HasValue);
        return result;
    }

    private CacheResult<T> LocalResult<T>(LocalEntry entry)
    {
        if (entry.TryGet(out T? value))
        {
            return CacheResult<T>.Hit(value!);
        }

        Interlocked.Increment(ref _counters.DecodeErrors); // stored as another type: a miss, as Redis would give
        _l1.NotAHit();
        return CacheResult<T>.Miss;
    }

    /// <summary>What a read answers when Redis cannot: the stale L1 value within the fail-safe window, else a miss.</summary>
    private CacheResult<T> FailSafe<T>(LocalEntry? stale)
    {
        if (stale is null || _lifetimes.FailSafe is null || _l2 is null)
        {
            // Without Redis there is no outage to ride out: past its time to live, a value serves only a failing factory.
            return CacheResult<T>.Miss;
        }

        if (stale.TryGet(out T? value))
        {
            Interlocked.Increment(ref _counters.FailSafeHits);
            return CacheResult<T>.Hit(value!);
        }

        Interlocked.Increment(ref _counters.DecodeErrors); // stored as another type
        return CacheResult<T>.Miss;
    }

    /// <summary>The time to live of a write: the given one or the default; zero, negative or too long is refused.</summary>
    private TimeSpan? ResolveTimeToLive(TimeSpan? timeToLive) =>
        TimeToLiveGuard.Positive(timeToLive, nameof(timeToLive)) ?? ScopeTimeToLive;

    /// <summary>The full cache key of a key within the scope, checking its length (the prefix included) only.</summary>
    /// <remarks>
    /// The L1 hit paths skip the surrogate scan: a key with an unpaired surrogate was never stored, so it cannot hit,
    /// and those paths call <see cref="KeyGuard.Encodable"/> on their way to Redis.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private string ReadKey(string key)
    {
        string full = FullKey(key, nameof(key));
        KeyGuard.ValidLength(full, nameof(key));
        ThrowIfDisposed();
        return full;
    }

    /// <summary>The full cache key of a key within the scope, checked whole.</summary>
    private string ValidKey(string key, string parameterName = "key")
    {
        string full = FullKey(key, parameterName);
        KeyGuard.Valid(full, parameterName);
        ThrowIfDisposed();
        return full;
    }

    /// <summary>The full cache key of a key written within the scope: checked whole, and not in the names kept for groups.</summary>
    private string WriteKey(string key, string parameterName = "key")
    {
        string full = ValidKey(key, parameterName);
        KeyGuard.NotReserved(full, parameterName);
        return full;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private string FullKey(string key, string parameterName)
    {
        if (_prefix.Length == 0)
        {
            return key; // null and empty are refused by KeyGuard
        }

        ArgumentException.ThrowIfNullOrEmpty(key, parameterName);
        return string.Concat(_prefix, key);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_parts.IsDisposed, this);

    /// <summary>The key within the scope of a full cache key.</summary>
    private string InScope(string fullKey) => _prefix.Length == 0 ? fullKey : fullKey[_prefix.Length..];

    private void ThrowIfGroupsUnsupported()
    {
        if (_l2 is not null && _l2.IsCluster)
        {
            throw new NotSupportedException(
                "Indexes and tags need a single Redis server: an index set and its members live in different hash slots of a cluster, so they cannot be updated atomically.");
        }
    }
}
