using System;
using System.Threading;

namespace Strata.Engine;

/// <summary>
/// One stripe of a <see cref="LocalCache{TValue}"/>: a chained hash table with its own lock, eviction list and timer
/// wheel. Keys are spread over segments by the high bits of their fast hash and over buckets by the low bits of the
/// table's hash (the fast one, or the randomized one after a flood of collisions, see <see cref="KeyHash"/>).
/// </summary>
/// <remarks>
/// <para>
/// Writers take <see cref="Lock"/>; readers take nothing. A reader loads the stripe's bucket array from the cache's
/// array of them (one slot per stripe, written with release semantics: see <see cref="BucketArray{TValue}"/>), then walks
/// a chain with acquire loads of the <c>Next</c> links. Inserts publish a fully built node at the head of its chain; removals
/// unlink a node but leave its <c>Next</c> intact, so a reader standing on it still reaches the rest of the chain.
/// </para>
/// <para>
/// Growth never relinks a published node (a reader walking the old array would jump chains and miss keys). It builds
/// a new array from copies of the nodes, moves each copy into the old node's place in the eviction list and the
/// wheel, and then publishes the array. Readers still on the old array see a frozen but complete snapshot. The
/// bucket count is a power of two so <see cref="LocalCache{TValue}.Scan"/> can use Redis's reverse-binary cursor,
/// which stays valid when a table grows between two calls.
/// </para>
/// <para>
/// When an insert finds its chain longer than <see cref="CollisionThreshold"/> while the table uses the fast hash,
/// the segment rebuilds its table with the randomized hash, once and for good: keys built to collide under a known
/// function cannot keep a chain long. The segment itself is still chosen by the fast hash, so such keys can crowd
/// one stripe's lock but not its chains. (A scan running across that one-time rebuild may miss keys.)
/// </para>
/// </remarks>
internal sealed class Segment<TValue>
{
    internal const int InitialBuckets = 16;
    internal const int DefaultCollisionThreshold = 100; // the runtime's Dictionary uses the same
    private const int MaxBuckets = 1 << 30;

    internal readonly Lock Lock = new();

    // The cache's bucket arrays, one per stripe; this stripe's is at _index. Kept there rather than here so a reader
    // reaches the chains in one load fewer (no hop through the segment object).
    private readonly Bucket<TValue>[][] _tables;
    private readonly int _index;

    /// <summary>The chain length past which the segment switches to randomized hashing (tests lower it).</summary>
    internal int CollisionThreshold = DefaultCollisionThreshold;

    internal readonly WindowedSieve<TValue> Eviction = new();
    internal readonly TimerWheel<TValue> Wheel;

    // Under Lock. Written by one writer at a time; read without the lock (Volatile) by statistics only.
    internal int Count;
    internal long Weight;
    internal long Sets;
    internal long Removals;
    internal long Evictions;
    internal long Expirations;

    internal Segment(Bucket<TValue>[][] tables, int index, long now)
    {
        _tables = tables;
        _index = index;
        Buckets = BucketArray<TValue>.Create(InitialBuckets, randomized: false);
        Wheel = new TimerWheel<TValue>(now);
    }

    /// <summary>The bucket array, replaced whole on growth, rehash and clear; published with release semantics.</summary>
    internal Bucket<TValue>[] Buckets
    {
        get => Volatile.Read(ref _tables[_index]);
        private set => Volatile.Write(ref _tables[_index], value);
    }

    /// <summary>Finds the node for a key, live or expired, given its fast hash.</summary>
    internal Node<TValue>? Find(string key, int fastHash) => BucketArray<TValue>.Find(Buckets, key, fastHash);

    /// <summary>Links a new node into the chain, the eviction list and the wheel. Under the lock.</summary>
    /// <remarks><paramref name="node"/>'s hash must be the table's (<see cref="BucketArray{TValue}.HashOf"/>).</remarks>
    /// <returns>The node as it now stands in the table: a copy of <paramref name="node"/> if the insert rebuilt it.</returns>
    internal Node<TValue> Insert(Node<TValue> node)
    {
        Bucket<TValue>[] buckets = Buckets;
        ref Node<TValue>? head = ref BucketArray<TValue>.Slot(buckets, node.Hash);
        node.Next = head; // plain: the node is not visible yet
        Volatile.Write(ref head, node); // publish only once the node is complete
        Eviction.Add(node);
        if (node.HasDeadline)
        {
            Wheel.Schedule(node);
        }

        Count++;
        Weight += node.Links.Weight;
        int capacity = BucketArray<TValue>.Capacity(buckets);
        bool randomized = BucketArray<TValue>.IsRandomized(buckets);
        if (!randomized && ChainLength(node) > CollisionThreshold)
        {
            Rebuild(capacity, randomized: true, ref node);
        }
        else if (Count > capacity && capacity < MaxBuckets)
        {
            Rebuild(capacity * 2, randomized, ref node);
        }

        return node;
    }

    /// <summary>Unlinks a node from all three structures. Under the lock.</summary>
    internal void Remove(Node<TValue> node)
    {
        ref Node<TValue>? link = ref BucketArray<TValue>.Slot(Buckets, node.Hash);
        while (!ReferenceEquals(link, node))
        {
            link = ref link!.Next;
        }

        Volatile.Write(ref link, node.Next); // node.Next stays as it is for readers standing on the node
        Eviction.Remove(node);
        Wheel.Unschedule(node);
        node.IsUnlinked = true;
        Count--;
        Weight -= node.Links.Weight;
    }

    /// <summary>Publishes <paramref name="replacement"/> (same key) in place of <paramref name="node"/>. Under the lock.</summary>
    internal void Replace(Node<TValue> node, Node<TValue> replacement)
    {
        ref Node<TValue>? link = ref BucketArray<TValue>.Slot(Buckets, node.Hash);
        while (!ReferenceEquals(link, node))
        {
            link = ref link!.Next;
        }

        replacement.Next = node.Next;
        Volatile.Write(ref link, replacement);
        HandOver(node, replacement);
        Weight += replacement.Links.Weight - node.Links.Weight;
    }

    /// <summary>Drops every node at once. Under the lock. Returns the dropped nodes as a list for notifications.</summary>
    internal Node<TValue>? DetachAll()
    {
        // Chain the old nodes through Newer so the caller can notify after releasing the lock.
        Node<TValue>? head = Eviction.DetachAll();
        for (Node<TValue>? node = head; node is not null; node = node.Links.Older)
        {
            node.IsUnlinked = true;
            node.Links.WheelSlot = Node<TValue>.Unscheduled;
            node.Links.WheelNext = null;
            node.Links.WheelPrevious = null;
        }

        Buckets = BucketArray<TValue>.Create(InitialBuckets, BucketArray<TValue>.IsRandomized(Buckets));
        Wheel.Clear();
        Removals += Count;
        Count = 0;
        Weight = 0;
        return head;
    }

    /// <summary>
    /// Gives <paramref name="replacement"/> the place <paramref name="node"/> holds in the eviction list and the timer
    /// wheel, and its visited bit, and retires <paramref name="node"/>. The caller links the replacement into a chain.
    /// </summary>
    private void HandOver(Node<TValue> node, Node<TValue> replacement)
    {
        replacement.Visited = node.Visited;
        Eviction.Replace(node, replacement);
        Wheel.Unschedule(node);
        if (replacement.HasDeadline)
        {
            Wheel.Schedule(replacement);
        }

        node.IsUnlinked = true;
    }

    private static int ChainLength(Node<TValue> head)
    {
        int length = 0;
        for (Node<TValue>? node = head; node is not null; node = node.Next)
        {
            length++;
        }

        return length;
    }

    /// <summary>
    /// Rebuilds the table from copies of the nodes, with a new size or a new hash. Under the lock.
    /// <paramref name="tracked"/> is updated to its copy.
    /// </summary>
    private void Rebuild(int bucketCount, bool randomized, ref Node<TValue> tracked)
    {
        Bucket<TValue>[] old = Buckets;
        bool rehash = randomized != BucketArray<TValue>.IsRandomized(old);
        Bucket<TValue>[] buckets = BucketArray<TValue>.Create(bucketCount, randomized);
        foreach (Bucket<TValue> bucket in old)
        {
            for (Node<TValue>? node = bucket.Head; node is not null; node = node.Next)
            {
                int hash = rehash ? KeyHash.Randomized(node.Key) : node.Hash;
                var copy = new Node<TValue>(node.Key, hash, node.Value, node.Deadline, node.Links.Weight, node.Version);
                ref Node<TValue>? head = ref BucketArray<TValue>.Slot(buckets, hash);
                copy.Next = head;
                head = copy;
                HandOver(node, copy);
                if (ReferenceEquals(node, tracked))
                {
                    tracked = copy;
                }
            }
        }

        Buckets = buckets; // release: every copy is complete before the array is visible
    }
}
