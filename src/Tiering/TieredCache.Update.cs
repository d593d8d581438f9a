using System;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>Atomic read-modify-write of a value: a compare-and-set in Redis, retried until no other write came between.</summary>
public sealed partial class TieredCache
{
    /// <summary>ARGV[3] of <see cref="UpdateScript"/> that keeps the value's time to live.</summary>
    private const long KeepTimeToLive = -2;

    // Compare-and-set: writes ARGV[2] only if the key still holds exactly ARGV[1], the bytes the update was computed
    // from. The new envelope inherits the old one's indexed flag (bit 6: its memberships stay valid). ARGV[3]: -2 keeps
    // the time to live (KEEPTTL), -1 removes it, else the new PX, which also stretches the key's group record and the
    // index sets listing it (KEYS[2], passed only for an indexed value) so that none ends before the value.
    private const string UpdateScript = GroupScripts.Stretch + """
        local v = redis.call('GET', KEYS[1])
        if v ~= ARGV[1] then return 0 end
        local n = ARGV[2]
        local indexed = bit.band(string.byte(v, 3), 64) ~= 0
        if indexed then n = string.sub(n, 1, 2) .. string.char(bit.bor(string.byte(n, 3), 64)) .. string.sub(n, 4) end
        local px = tonumber(ARGV[3])
        if px == -2 then redis.call('SET', KEYS[1], n, 'KEEPTTL')
        elseif px == -1 then redis.call('SET', KEYS[1], n)
        else redis.call('SET', KEYS[1], n, 'PX', px) end
        if indexed and px ~= -2 and KEYS[2] then
          stretch(KEYS[2], px, redis.call('PTTL', KEYS[2]))
          for _, g in ipairs(redis.call('SMEMBERS', KEYS[2])) do stretch(g, px, redis.call('PTTL', g)) end
        end
        return 1
        """;

    /// <summary>
    /// Replaces a value with <c>update(value)</c> atomically: when another writer (on this instance or another)
    /// changes the value between the read and the write, <paramref name="update"/> runs again on the newer value, so no
    /// update is lost. Other instances drop their L1 copy; the value keeps its indexes and tags.
    /// </summary>
    /// <remarks>
    /// Tiered, the write is a compare-and-set script on the bytes the update was computed from. If Redis fails in the
    /// middle, the outcome there is unknown: L1 drops its copy and the computed value is returned. While Redis cannot be
    /// reached, the update applies to L1 (as <see cref="SetAsync{T}(string, T, TimeSpan?, CancellationToken)"/> does).
    /// </remarks>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="update">Computes the new value from the current one; it may run more than once, so keep it pure.</param>
    /// <param name="restartTimeToLive">
    /// Null (the default) keeps the value's remaining time to live; a positive time restarts it (the services' "TTL
    /// refresh on update").
    /// </param>
    /// <param name="cancellationToken">Stops waiting for Redis between attempts.</param>
    /// <returns>The new value, or a miss when the key holds no fresh value of type <typeparamref name="T"/> (nothing is written).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="restartTimeToLive"/> is zero or negative, or longer than <see cref="TieredCache.MaxTimeToLive"/>.</exception>
    /// <exception cref="InvalidOperationException">The key holds a counter: use <see cref="IncrementAsync"/>.</exception>
    public ValueTask<CacheResult<T>> UpdateAsync<T>(string key, Func<T, T> update, TimeSpan? restartTimeToLive = null, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(update);
        TimeToLiveGuard.Positive(restartTimeToLive, nameof(restartTimeToLive));
        return UpdateCore(key, string.Empty, update, restart: restartTimeToLive is not null, restartTimeToLive, cancellationToken);
    }

    /// <summary>
    /// The update of the cache and of its namespaces. <paramref name="scope"/> is the key's namespace prefix (where its
    /// group record lives); <paramref name="restart"/> restarts the time to live at <paramref name="timeToLive"/> (null: none).
    /// </summary>
    internal ValueTask<CacheResult<T>> UpdateCore<T>(string key, string scope, Func<T, T> update, bool restart, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (IsRemoteUsable())
        {
            return UpdateRemoteAsync(key, scope, update, restart, timeToLive, cancellationToken);
        }

        Unsynced(RepairKind.Key, key);
        return new ValueTask<CacheResult<T>>(UpdateLocal(key, update, restart, timeToLive));
    }

    private async ValueTask<CacheResult<T>> UpdateRemoteAsync<T>(string key, string scope, Func<T, T> update, bool restart, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        RedisKey remoteKey = RemoteKey(key);
        while (true)
        {
            (long Slot, long Epoch) before = VersionsOf(key);
            long repairs = _repairs.Mark;
            RedisValue raw;
            RemoteCall call = BeginRemote(RemoteOperation.Get);
            try
            {
                raw = await _database!.StringGetAsync(remoteKey).WaitAsync(cancellationToken).ConfigureAwait(false);
                OnRemoteSuccess(call);
            }
            catch (Exception ex) when (IsRemoteFailure(ex, call))
            {
                OnRemoteFailure(ex, call);
                Unsynced(RepairKind.Key, key);
                return UpdateLocal(key, update, restart, timeToLive); // nothing reached Redis: the update lands in L1
            }

            Instant now = Now();
            if (raw.IsNull || _repairs.Covers(key, repairs))
            {
                return CacheResult<T>.Miss; // missing, or Redis may hold what this instance removed during an outage
            }

            CacheResult<T> current = Decode<T>(raw, out _, out long logicalExpiry);
            if (logicalExpiry == CounterRead)
            {
                throw CounterNotUpdatable(key);
            }

            if (!current.HasValue || (logicalExpiry != 0 && logicalExpiry <= now.UnixMilliseconds))
            {
                return CacheResult<T>.Miss; // undecodable, another type, or stale (kept only for fail-safe reads)
            }

            T updated = update(current.Value!);
            WriteLifetime lifetime = restart ? LifetimeOf(timeToLive) : new WriteLifetime(logicalExpiry, 0, null);
            long px = restart ? Milliseconds(lifetime.Life) : KeepTimeToLive;
            PooledBufferWriter envelope = BufferWriterPool.Rent();
            (bool ok, RedisResult reply) result;
            try
            {
                CacheEnvelope.Write(envelope, updated, lifetime.LogicalExpiry, _serializer);
                bool indexed = (((ReadOnlyMemory<byte>)raw).Span[2] & CacheEnvelope.IndexedFlag) != 0; // decoded: at least a header
                RedisKey[] keys = indexed ? [remoteKey, GroupRecordKey(scope, key)] : [remoteKey];
                ReadOnlyMemory<byte> written = envelope.WrittenMemory;
                result = await CommandAndInvalidateAsync(
                    RemoteOperation.Update, database => database.ScriptEvaluateAsync(UpdateScript, keys, [raw, written, px]), key, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                BufferWriterPool.Return(envelope); // the command has completed or failed: Redis no longer reads the buffer
            }

            if (!result.ok)
            {
                // Redis failed mid-update: whether the write landed is unknown, so L1 must not keep the old value.
                BumpVersion(key);
                _local.Remove(key);
                return new CacheResult<T>(true, updated);
            }

            if ((long)result.reply == 0)
            {
                continue; // another write came between the read and the compare-and-set: read again
            }

            BumpVersion(key); // readers that fetched the old value before this write do not install it
            if (TryLocalLife(lifetime.LogicalExpiry, now, out long freshUntil, out TimeSpan? localLife))
            {
                LocalEntry entry = _local.TryGet(key, out LocalEntry? old) ? old.WithValue(updated, freshUntil) : new LocalEntry(updated, freshUntil);
                FillLocal(key, entry, localLife, (before.Slot + 1, before.Epoch));
            }

            return new CacheResult<T>(true, updated);
        }
    }

    private CacheResult<T> UpdateLocal<T>(string key, Func<T, T> update, bool restart, TimeSpan? timeToLive)
    {
        if (!_local.TryGet(key, out LocalEntry? entry) || !IsFresh(entry))
        {
            return CacheResult<T>.Miss;
        }

        if (entry is CounterEntry)
        {
            throw CounterNotUpdatable(key);
        }

        WriteLifetime lifetime = LifetimeOf(timeToLive);
        bool typed = true;
        T? updated = default;
        LocalEntry Apply(LocalEntry current)
        {
            if (current is CounterEntry || !current.TryGet(out T? value))
            {
                typed = false;
                return current;
            }

            typed = true;
            updated = update(value!);
            return current.WithValue(updated, restart ? lifetime.FreshUntil : current.FreshUntil);
        }

        BumpVersion(key);
        bool found = restart && lifetime.Life is { } life ? _local.TryUpdate(key, Apply, life) : _local.TryUpdate(key, Apply);
        if (found && restart && lifetime.Life is null)
        {
            _local.Persist(key);
        }

        return found && typed ? new CacheResult<T>(true, updated) : CacheResult<T>.Miss;
    }

    private static InvalidOperationException CounterNotUpdatable(string key) =>
        new($"Key '{key}' holds a counter; change it with IncrementAsync.");
}
