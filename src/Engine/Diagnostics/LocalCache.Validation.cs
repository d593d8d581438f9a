using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace Strata.Engine;

/// <summary>The integrity check of <see cref="LocalCache{TValue}"/>, run by the concurrency tests, the soaks and the fuzzers after their work.</summary>
public sealed partial class LocalCache<TValue>
{
    /// <summary>
    /// Checks every internal invariant while holding all stripe locks, and throws
    /// <see cref="InvalidOperationException"/> describing the first violation: each entry is in exactly one chain
    /// (the one its hash selects) and in its stripe's eviction list; the wheel holds exactly the entries that have a
    /// deadline, each in the slot it records; counts and weights agree at every level.
    /// </summary>
    internal void Validate()
    {
        foreach (Segment<TValue> segment in _segments)
        {
            segment.Lock.Enter();
        }

        try
        {
            long totalCount = 0;
            long totalWeight = 0;
            for (int s = 0; s < _segments.Length; s++)
            {
                Segment<TValue> segment = _segments[s];
                var inTable = new HashSet<Node<TValue>>(ReferenceEqualityComparer.Instance);
                var keys = new HashSet<string>(StringComparer.Ordinal);
                Bucket<TValue>[] buckets = segment.Buckets;
                int capacity = BucketArray<TValue>.Capacity(buckets);
                long weight = 0;
                int scheduled = 0;
                Check(buckets.Length == capacity || buckets[capacity].Head is null, $"stripe {s}: the unused slot of a randomized table holds a node");
                for (int b = 0; b < capacity; b++)
                {
                    for (Node<TValue>? node = buckets[b].Head; node is not null; node = node.Next)
                    {
                        Check(!node.IsUnlinked, $"stripe {s}: unlinked node '{node.Key}' is still chained");
                        int fastHash = KeyHash.Fast(node.Key);
                        Check(SegmentFor(fastHash) == segment, $"stripe {s}: '{node.Key}' belongs to another stripe");
                        Check(node.Hash == BucketArray<TValue>.HashOf(buckets, node.Key, fastHash), $"stripe {s}: '{node.Key}' has a hash from another table");
                        Check((node.Hash & (capacity - 1)) == b, $"stripe {s}: '{node.Key}' is in bucket {b}, not its own");
                        Check(keys.Add(node.Key), $"stripe {s}: key '{node.Key}' is chained twice");
                        Check(inTable.Add(node), $"stripe {s}: a chain loops at '{node.Key}'");
                        Check(node.HasDeadline == (node.Links.WheelSlot != Node<TValue>.Unscheduled), $"stripe {s}: '{node.Key}' has a deadline but no wheel slot, or the reverse");
                        weight += node.Links.Weight;
                        scheduled += node.HasDeadline ? 1 : 0;
                    }
                }

                Check(inTable.Count == segment.Count, $"stripe {s}: {inTable.Count} chained nodes but a count of {segment.Count}");
                Check(weight == segment.Weight, $"stripe {s}: chained weight {weight} but a recorded weight of {segment.Weight}");
                int listed = segment.Eviction.CountLinked(node => Check(inTable.Contains(node), $"stripe {s}: eviction list holds '{node.Key}', which is not in the table"));
                Check(listed == segment.Count && segment.Eviction.Count == segment.Count, $"stripe {s}: eviction list holds {listed} nodes (says {segment.Eviction.Count}) for {segment.Count} entries");
                int wheeled = segment.Wheel.CountLinked((node, slot) =>
                {
                    Check(inTable.Contains(node), $"stripe {s}: wheel holds '{node.Key}', which is not in the table");
                    Check(node.Links.WheelSlot == slot && node.HasDeadline, $"stripe {s}: '{node.Key}' is in wheel slot {slot} but records {node.Links.WheelSlot}");
                });
                Check(wheeled == scheduled && segment.Wheel.Count == scheduled, $"stripe {s}: wheel holds {wheeled} nodes (says {segment.Wheel.Count}) for {scheduled} entries with deadlines");
                totalCount += segment.Count;
                totalWeight += segment.Weight;
            }

            Check(totalCount == Volatile.Read(ref _count), $"stripes hold {totalCount} entries but the cache counts {_count}");
            Check(totalWeight == Volatile.Read(ref _weight), $"stripes weigh {totalWeight} but the cache records {_weight}");
            Check(totalCount <= _maxEntries, $"{totalCount} entries exceed the bound of {_maxEntries} at rest");
            Check(totalWeight <= _maxWeight, $"a weight of {totalWeight} exceeds the bound of {_maxWeight} at rest");
        }
        finally
        {
            foreach (Segment<TValue> segment in _segments)
            {
                segment.Lock.Exit();
            }
        }

        static void Check(bool condition, string message)
        {
            if (!condition)
            {
                ThrowHelper.ThrowInvalidOperation("LocalCache integrity check failed: " + message + ".");
            }
        }
    }

    /// <summary>Sets the chain length past which a stripe switches to randomized hashing; tests lower it.</summary>
    internal void SetCollisionThreshold(int threshold)
    {
        foreach (Segment<TValue> segment in _segments)
        {
            segment.CollisionThreshold = threshold;
        }
    }

    /// <summary>Counts the stripes that have switched to randomized hashing.</summary>
    internal int RandomizedStripes() => _segments.Count(segment => BucketArray<TValue>.IsRandomized(segment.Buckets));
}
