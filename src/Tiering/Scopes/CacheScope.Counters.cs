using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Strata.Tiering;

/// <summary>Counters: atomic increments whose time to live is set when they are created (the rate-limit pattern).</summary>
/// <remarks>
/// Tiered, a counter lives in Redis only (<c>increment.lua</c>), so counts are exact across instances and no L1 serves a
/// stale one; while Redis cannot be reached nothing is counted. L1-only, it is an entry updated atomically in L1.
/// </remarks>
public abstract partial class CacheScope
{
    /// <summary>
    /// Adds <paramref name="delta"/> to a counter and returns the new count; a missing counter starts at zero and gets
    /// <paramref name="timeToLiveWhenCreated"/>, which later increments leave alone (a fixed rate-limit window).
    /// </summary>
    /// <remarks>
    /// Tiered, the counter lives in Redis only (<c>INCRBY</c> and <c>PEXPIRE</c> in one script), so counts are exact
    /// across instances and no L1 serves a stale one; <see cref="GetAsync{T}(string, CancellationToken)"/> with <see cref="long"/> reads it there.
    /// L1-only, it is an entry updated atomically in L1. <see cref="SetTimeToLiveAsync"/>,
    /// <see cref="GetTimeToLiveAsync"/> and <see cref="RemoveAsync"/> work on counters as on values.
    /// </remarks>
    /// <param name="key">The key.</param>
    /// <param name="delta">What to add; negative to count down.</param>
    /// <param name="timeToLiveWhenCreated">Positive, or null for the default.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The new count; null when the cache is tiered and Redis cannot be reached (nothing was counted).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeToLiveWhenCreated"/> is zero or negative.</exception>
    /// <exception cref="InvalidOperationException">The key holds a value that is not a counter.</exception>
    /// <exception cref="OverflowException">The count would leave the range of <see cref="long"/>.</exception>
    public ValueTask<long?> IncrementAsync(string key, long delta = 1, TimeSpan? timeToLiveWhenCreated = null, CancellationToken cancellationToken = default)
    {
        TimeSpan? timeToLive = TimeToLiveGuard.Positive(timeToLiveWhenCreated, nameof(timeToLiveWhenCreated)) ?? ScopeTimeToLive;
        string full = WriteKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        if (_l2 is null)
        {
            return new ValueTask<long?>(IncrementLocal(full, delta, timeToLive));
        }

        return _breaker.CanCall ? IncrementRemoteAsync(full, delta, timeToLive, cancellationToken) : new ValueTask<long?>((long?)null);
    }

    private long IncrementLocal(string key, long delta, TimeSpan? timeToLive)
    {
        while (true)
        {
            if (_local.TryPeek(key, out LocalEntry? entry))
            {
                if (entry is not CounterEntry)
                {
                    if (_l1.IsFresh(entry!))
                    {
                        throw RedisTier.NotACounter(key);
                    }

                    // Kept only for fail-safe reads, the value has expired, and INCRBY on an expired key starts a new
                    // counter. Only that value goes: a write that replaced it meanwhile is kept (and looked at again).
                    _local.TryRemove(KeyValuePair.Create(key, entry!));
                    continue;
                }

                long count = 0;
                if (_local.TryUpdate(key, current => current is CounterEntry counter ? new CounterEntry(count = checked(counter.Count + delta)) : throw RedisTier.NotACounter(key)))
                {
                    return count;
                }

                continue; // it expired or was removed meanwhile: start a new counter
            }

            var created = new CounterEntry(delta);
            if (timeToLive is { } ttl ? _local.TryAdd(key, created, ttl) : _local.TryAdd(key, created))
            {
                return delta;
            }
        }
    }

    private async ValueTask<long?> IncrementRemoteAsync(string key, long delta, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        Reply<long> reply = await _breaker.CallAsync(
            RemoteOperation.Increment, (L2: _l2!, Key: key, Delta: delta, TimeToLive: timeToLive), static s => s.L2.IncrementAsync(s.Key, s.Delta, s.TimeToLive), cancellationToken).ConfigureAwait(false);
        return reply.Ok ? reply.Value : null;
    }
}
