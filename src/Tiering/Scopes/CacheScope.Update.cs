using System;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>Atomic read-modify-write of a value: a compare-and-set in Redis, retried until no other write came between.</summary>
/// <remarks>
/// Tiered, the write is a compare-and-set script on the bytes the update was computed from (<c>update.lua</c>); when
/// another writer came between, the update runs again on the newer value, so none is lost. If Redis fails in the middle
/// the outcome there is unknown: L1 drops its copy and the computed value is returned. While Redis cannot be reached,
/// the update applies to L1.
/// </remarks>
public abstract partial class CacheScope
{
    /// <summary>PX argument of <c>update.lua</c> that keeps the value's time to live.</summary>
    private const long KeepTimeToLive = -2;

    /// <summary>
    /// Replaces a value with <c>update(value)</c> atomically: when another writer (on this instance or another)
    /// changes the value between the read and the write, <paramref name="update"/> runs again on the newer value, so no
    /// update is lost. Other instances drop their L1 copy; the value keeps its indexes and tags.
    /// </summary>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="update">Computes the new value from the current one; it may run more than once, so keep it pure.</param>
    /// <param name="restartTimeToLive">
    /// A positive time restarts the value's time to live (the services' "TTL refresh on update"). Null (the default)
    /// keeps what is left of it, except in a namespace made with <c>restartTimeToLiveOnUpdate</c>, where it restarts at
    /// the namespace's default.
    /// </param>
    /// <param name="cancellationToken">Stops waiting for Redis between attempts.</param>
    /// <returns>The new value, or a miss when the key holds no fresh value of type <typeparamref name="T"/> (nothing is written).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="restartTimeToLive"/> is zero or negative.</exception>
    /// <exception cref="InvalidOperationException">The key holds a counter: use <see cref="IncrementAsync"/>.</exception>
    public ValueTask<CacheResult<T>> UpdateAsync<T>(string key, Func<T, T> update, TimeSpan? restartTimeToLive = null, CancellationToken cancellationToken = default)
    {
        string full = ValidKey(key);
        ArgumentNullException.ThrowIfNull(update);
        TimeToLiveGuard.Positive(restartTimeToLive, nameof(restartTimeToLive));
        bool restart = restartTimeToLive is not null || RestartsTimeToLiveOnUpdate;
        TimeSpan? timeToLive = restartTimeToLive ?? ScopeTimeToLive;
        cancellationToken.ThrowIfCancellationRequested();
        if (_breaker.CanCall)
        {
            return UpdateRemoteAsync(full, update, restart, timeToLive, cancellationToken);
        }

        _repairs.Record(RepairKind.Key, full);
        return new ValueTask<CacheResult<T>>(UpdateLocal(full, update, restart, timeToLive));
    }

    private async ValueTask<CacheResult<T>> UpdateRemoteAsync<T>(string key, Func<T, T> update, bool restart, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        while (true)
        {
            FillMark before = _l1.Versions.Note(key);
            long repairs = _repairs.Mark;
            Reply<RedisValue> read = await _breaker.CallAsync(RemoteOperation.Get, (L2: _l2!, Key: key), static s => s.L2.GetAsync(s.Key), cancellationToken).ConfigureAwait(false);
            if (!read.Ok)
            {
                _repairs.Record(RepairKind.Key, key);
                return UpdateLocal(key, update, restart, timeToLive); // nothing reached Redis: the update lands in L1
            }

            Instant now = _lifetimes.Now();
            RedisValue raw = read.Value;
            if (raw.IsNull || _repairs.Covers(key, repairs))
            {
                return CacheResult<T>.Miss; // missing, or Redis may hold what this instance removed during an outage
            }

            if (RedisTier.IsCounter(raw))
            {
                throw CounterNotUpdatable(key); // whatever T is, as in an L1-only cache
            }

            CacheResult<T> current = _l2!.Decode<T>(_codec, raw, out _, out long logicalExpiry);

            if (!current.HasValue || (logicalExpiry != 0 && logicalExpiry <= now.UnixMilliseconds))
            {
                return CacheResult<T>.Miss; // undecodable, another type, or stale (kept only for fail-safe reads)
            }

            T updated = update(current.Value!);
            WriteLifetime lifetime = restart ? _lifetimes.Of(timeToLive) : new WriteLifetime(logicalExpiry, 0, null);
            long px = restart ? Lifetimes.Milliseconds(lifetime.Life) : KeepTimeToLive;
            PooledBufferWriter envelope = BufferWriterPool.Rent();
            try
            {
                _codec.Write(envelope, updated, lifetime.LogicalExpiry);
            }
            catch
            {
                BufferWriterPool.Return(envelope);
                throw;
            }

            Reply<bool> written = await _writes.WriteAndInvalidateAsync(
                RemoteOperation.Update,
                (L2: _l2, Key: key, Scope: _prefix, Read: raw, Envelope: envelope, Px: px),
                static async s =>
                {
                    try
                    {
                        return await s.L2.CompareAndSetAsync(s.Key, s.Scope, s.Read, s.Envelope.WrittenMemory, s.Px).ConfigureAwait(false);
                    }
                    finally
                    {
                        BufferWriterPool.Return(s.Envelope); // Redis has answered or failed: nothing reads the buffer any more
                    }
                },
                key,
                cancellationToken).ConfigureAwait(false);
            if (!written.Ok)
            {
                // Redis failed mid-update: whether the write landed is unknown, so L1 must not keep the old value.
                _l1.Invalidate(key);
                return CacheResult<T>.Hit(updated);
            }

            if (!written.Value)
            {
                continue; // another write came between the read and the compare-and-set: read again
            }

            _l1.Versions.Bump(key); // readers that fetched the old value before this write do not install it
            if (_lifetimes.TryLocalLife(lifetime.LogicalExpiry, now, out long freshUntil, out TimeSpan? localLife))
            {
                LocalEntry entry = _local.TryPeek(key, out LocalEntry? old) ? old.WithValue(updated, freshUntil) : new LocalEntry(updated, freshUntil);
                _l1.Fill(key, entry, localLife, before with { Slot = before.Slot + 1 }); // this write's own bump is expected
            }

            return CacheResult<T>.Hit(updated);
        }
    }

    private CacheResult<T> UpdateLocal<T>(string key, Func<T, T> update, bool restart, TimeSpan? timeToLive)
    {
        if (!_l1.TryPeekFresh(key, out LocalEntry? entry))
        {
            return CacheResult<T>.Miss;
        }

        if (entry is CounterEntry)
        {
            throw CounterNotUpdatable(key);
        }

        WriteLifetime lifetime = _lifetimes.Of(timeToLive);
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

        _l1.Versions.Bump(key);
        bool found = restart && lifetime.Life is { } life ? _local.TryUpdate(key, Apply, life) : _local.TryUpdate(key, Apply);
        if (found && restart && lifetime.Life is null)
        {
            _local.Persist(key);
        }

        return found && typed ? CacheResult<T>.Hit(updated!) : CacheResult<T>.Miss;
    }

    private static InvalidOperationException CounterNotUpdatable(string key) =>
        new($"Key '{key}' holds a counter; change it with IncrementAsync.");
}
