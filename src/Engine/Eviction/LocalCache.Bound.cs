using System.Threading;

namespace Strata.Engine;

/// <summary>The bound of <see cref="LocalCache{TValue}"/>: entry count and weight, enforced by SIEVE eviction under the stripe locks.</summary>
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
        Node<TValue>? victim = segment.Eviction.SelectVictim(spare);
        if (victim is null)
        {
            return false;
        }

        Unlink(segment, victim);
        segment.Evictions++;
        Enqueue(ref pending, victim, RemovalReason.Evicted);
        return true;
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
