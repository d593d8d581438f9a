using System;
using System.Threading;

namespace Strata.Engine;

/// <summary>
/// The bound of <see cref="LocalCache{TValue}"/>: entry count and weight, enforced under the stripe locks by each
/// stripe's <see cref="WindowedSieve{TValue}"/> with the cache's <see cref="FrequencySketch"/>, and the window's share
/// moved by hill climbing on the hit rate.
/// </summary>
/// <remarks>
/// The climb follows the idea Caffeine describes for W-TinyLFU: every sample of ten capacities' worth of reads, compare
/// the hit rate with the last sample's; keep moving the share the same way when it rose, turn back when it fell, with a
/// step that shrinks while the rate is steady and starts again at its largest after a big change. The share stays
/// between 0 and 80 % (a window of at least one entry per stripe). The check runs on the write side, every few
/// evictions, by one thread at a time; reads only count hits and misses as they always have.
/// </remarks>
public sealed partial class LocalCache<TValue>
{
    private bool IsOverBound() =>
        Volatile.Read(ref _count) > _maxEntries || Volatile.Read(ref _weight) > _maxWeight;

    private long Weigh(string key, TValue value)
    {
        if (_weigher is null)
        {
            return 0;
        }

        long weight = _weigher(key, value);
        if (weight < 0)
        {
            ThrowHelper.ThrowInvalidOperation($"The weigher returned {weight} for key '{key}'; a weight must not be negative.");
        }

        return weight;
    }

    private void AddWeight(long delta)
    {
        if (delta != 0)
        {
            Interlocked.Add(ref _weight, delta);
        }
    }

    /// <summary>Evicts the SIEVE victim of <paramref name="segment"/>, whose lock the caller holds.</summary>
    private bool EvictOne(Segment<TValue> segment, Node<TValue>? spare, ref PendingRemovals<TValue> pending)
    {
        Node<TValue>? victim = segment.Eviction.SelectVictim(Volatile.Read(ref _windowShare), _sketch!, spare);
        if (victim is null)
        {
            return false;
        }

        Unlink(segment, victim);
        segment.Evictions++;
        Enqueue(ref pending, victim, RemovalReason.Evicted);
        if ((++_climbTicks & _climbCheckMask) == 0)
        {
            Climb();
        }

        return true;
    }

    /// <summary>After an insert that left the cache within its bound: keeps the new entry's window within its share.</summary>
    private void Rebalance(Segment<TValue> segment, Node<TValue> inserted) =>
        segment.Eviction.Rebalance(Volatile.Read(ref _windowShare), inserted);

    /// <summary>One step of the window's hill climb, when a whole sample of reads has passed since the last.</summary>
    private void Climb()
    {
        if (Interlocked.CompareExchange(ref _climbing, 1, 0) != 0)
        {
            return; // another stripe's eviction is climbing
        }

        try
        {
            long hits = _hits.Sum();
            long reads = hits + _misses.Sum();
            if (reads - _climbReads < _climbSample)
            {
                return;
            }

            double rate = (double)(hits - _climbHits) / (reads - _climbReads);
            if (_climbRate >= 0)
            {
                if (rate < _climbRate)
                {
                    _climbDirection = -_climbDirection;
                }

                _climbStep = Math.Abs(rate - _climbRate) >= 0.05 ? InitialClimbStep : _climbStep * 0.98;
            }

            Volatile.Write(ref _windowShare, Math.Clamp(_windowShare + (_climbDirection * _climbStep), 0.0, 0.8));
            _climbRate = rate;
            _climbHits = hits;
            _climbReads = reads;
        }
        finally
        {
            Volatile.Write(ref _climbing, 0);
        }
    }

    /// <summary>
    /// Brings the cache back within its bound by evicting from the other stripes in turn, one lock at a time (never
    /// two at once, so there is no lock order to get wrong). Stops when within the bound or when a whole round found
    /// nothing to evict.
    /// </summary>
    private void EnforceBound(int start, Node<TValue>? spare)
    {
        int mask = _segments.Length - 1;
        int idleStripes = 0;
        for (int i = start + 1; idleStripes <= mask && IsOverBound(); i++)
        {
            Segment<TValue> segment = _segments[i & mask];
            var pending = default(PendingRemovals<TValue>);
            bool evicted;
            lock (segment.Lock)
            {
                evicted = IsOverBound() && EvictOne(segment, spare, ref pending);
            }

            pending.Raise(this);
            idleStripes = evicted ? 0 : idleStripes + 1;
        }
    }
}
