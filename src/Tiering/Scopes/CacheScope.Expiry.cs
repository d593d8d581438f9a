using System;
using System.Threading;
using System.Threading.Tasks;
using Strata.Engine;

namespace Strata.Tiering;

/// <summary>Times to live of existing keys: PEXPIRE, PERSIST and PTTL, for values and counters alike.</summary>
public abstract partial class CacheScope
{
    /// <summary>
    /// Sets the time to live of an existing key (Redis <c>PEXPIRE</c>): a zero or negative time deletes it, and
    /// <see cref="Timeout.InfiniteTimeSpan"/> removes its expiry, as <see cref="LocalCache{TValue}.Expire"/> does.
    /// Values and counters alike.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="timeToLive">The new time to live.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>Whether the key existed.</returns>
    /// <remarks>
    /// Like Redis's EXPIRE on an expired key, a value past its time to live that is kept only for fail-safe reads is not
    /// brought back: the answer is <see langword="false"/> and the value stays as it was. One difference from Redis is
    /// kept on purpose: with <see cref="Timeout.InfiniteTimeSpan"/> the answer is whether the key existed, where
    /// <c>PERSIST</c> (and <see cref="LocalCache{TValue}.Persist"/>) answers whether it had a time to live to remove.
    /// </remarks>
    public async ValueTask<bool> ExpireAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        if (timeToLive != Timeout.InfiniteTimeSpan && timeToLive <= TimeSpan.Zero)
        {
            return await RemoveAsync(key, cancellationToken).ConfigureAwait(false);
        }

        string full = ValidKey(key);
        TimeSpan? newTimeToLive = timeToLive == Timeout.InfiniteTimeSpan ? null : timeToLive;
        WriteLifetime lifetime = _lifetimes.Of(newTimeToLive);
        WriteMark mark = _l1.Versions.BeginWrite(full);
        if (!_breaker.CanCall)
        {
            _repairs.Record(RepairKind.Key, full);
            return ExpireLocal(full, newTimeToLive, lifetime);
        }

        // L1 keeps a value's freshness with the value, so the simplest correct change is to drop it: the next read
        // refills it with Redis's new time to live.
        bool local = _l1.TryPeekFresh(full, out _);
        _local.Remove(full);
        Reply<bool> reply = await _writes.WriteAndInvalidateAsync(
            RemoteOperation.Expire,
            (L2: _l2!, Key: full, Scope: _prefix, Lifetime: lifetime, TimeToLive: newTimeToLive),
            static s => s.L2.ExpireAsync(s.Key, s.Scope, s.Lifetime, s.TimeToLive),
            full,
            cancellationToken).ConfigureAwait(false);
        if (!reply.Ok)
        {
            return local;
        }

        _l1.Settle(full, mark); // a read that fetched the value with its old time to live meanwhile does not keep it
        return reply.Value;
    }

    /// <summary>Sets the time to live of an existing value or counter, keeping its value (the services' <c>set_ttl</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="timeToLive">The new time to live: positive.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>Whether the key existed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeToLive"/> is zero or negative.</exception>
    public ValueTask<bool> SetTimeToLiveAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        TimeToLiveGuard.Positive(timeToLive, nameof(timeToLive));
        return ExpireAsync(key, timeToLive, cancellationToken);
    }

    /// <summary>
    /// Gets the remaining time to live of a key, with <see cref="LocalCache{TValue}.GetTimeToLive(string)"/>'s
    /// semantics: <see langword="null"/> when missing or expired, <see cref="Timeout.InfiniteTimeSpan"/> when it never
    /// expires, else the remaining time. A value kept past its time to live only for fail-safe reads has none left
    /// (null). A remaining time past <see cref="TimeSpan.MaxValue"/> (Redis's PTTL reaches 922,337,203,685,478 ms) reads as
    /// <see cref="TimeSpan.MaxValue"/>.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The remaining time to live.</returns>
    public async ValueTask<TimeSpan?> GetTimeToLiveAsync(string key, CancellationToken cancellationToken = default)
    {
        string full = ValidKey(key);
        if (_breaker.CanCall)
        {
            Reply<long> pttl = await _breaker.CallAsync(RemoteOperation.TimeToLive, (L2: _l2!, Key: full), static s => s.L2.TimeToLiveAsync(s.Key), cancellationToken).ConfigureAwait(false);
            if (pttl.Ok)
            {
                return pttl.Value switch
                {
                    -1 => Timeout.InfiniteTimeSpan,
                    <= 0 => null,
                    _ => Lifetimes.OfMilliseconds(pttl.Value),
                };
            }
        }

        return _l1.TryPeekFresh(full, out LocalEntry? entry) ? _l1.TimeToLive(full, entry!) : null;
    }

    /// <summary>Gives the L1 entry a new time to live (null: none), keeping its value and its kind.</summary>
    private bool ExpireLocal(string key, TimeSpan? timeToLive, WriteLifetime lifetime)
    {
        if (!_l1.TryPeekFresh(key, out LocalEntry? entry))
        {
            return false;
        }

        if (entry is CounterEntry)
        {
            // A counter is not fresh-then-stale: its L1 life is its time to live.
            return timeToLive is { } ttl ? _local.Expire(key, ttl) : _local.Persist(key);
        }

        // The entry carries its freshness, so a new time to live means a new entry, not just a new L1 deadline.
        _l1.Set(key, entry!.WithFreshUntil(lifetime.FreshUntil), lifetime.Life);
        return true;
    }
}
