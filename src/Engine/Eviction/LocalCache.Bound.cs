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
/// the hit rate with the one after the last step; keep moving the share the same way when it rose, turn back when it
/// fell, with a step that shrinks while the rate is steady and starts again at its largest after a big change. Unlike
/// Caffeine's, it holds still while the rate moves by less than half a point: on a loop the rate is flat, and a climb
/// that kept stepping drifted into a window that a loop defeats (the synthetic loop of 12,000 keys at 10,000 entries
/// hit 65.9 % with the drift and 77.2 % without, in bench/RESULTS.md). The share stays
/// between 0 and 80 % (a window of at least one entry per stripe). The check runs on the write side, every few
/// evictions, by one thread at a time; reads only count hits and misses as they always have.
/// </remarks>
public sealed partial class LocalCache<TValue>
{
    // A change of hit rate smaller than this between two samples is noise: the climb holds still (see Climb).
    private const double FlatRate = 0.005;

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
            if (!_climbStarted)
            {
                // The first look comes with the first evictions, once the cache is full: the samples start here. One
                // that began at the cache's creation would hold the misses of its filling, and the next sample's rate
                // would look like a gain from the climb's first step, so the climb took a second step the same way.
                _climbStarted = true;
                _climbHits = hits;
                _climbReads = reads;
                return;
            }

            if (reads - _climbReads < _climbSample)
            {
                return;
            }

            double rate = (double)(hits - _climbHits) / (reads - _climbReads);
            _climbHits = hits;
            _climbReads = reads;
            if (_climbRate >= 0)
            {
                double change = rate - _climbRate;
                if (Math.Abs(change) < FlatRate)
                {
                    return; // flat: hold, and keep the rate of the last step as the reference, so a slow drift adds up
                }

                if (change < 0)
                {
                    _climbDirection = -_climbDirection;
                }

                _climbStep = Math.Abs(change) >= 0.05 ? InitialClimbStep : _climbStep * 0.98;
            }

            Volatile.Write(ref _windowShare, Math.Clamp(_windowShare + (_climbDirection * _climbStep), 0.0, 0.8));
            _climbRate = rate;
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
