using System;
using System.Threading;

namespace Strata;

/// <summary>
/// One stripe of a <see cref="LocalCache{TValue}"/>: a chained hash table with its own lock, eviction list and timer
/// wheel. Keys are spread over segments by the high bits of their hash and over buckets by the low bits.
/// </summary>
/// <remarks>
/// <para>
/// Writers take <see cref="Lock"/>; readers take nothing. A reader loads <see cref="Buckets"/> (volatile), then walks
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
/// </remarks>
internal sealed class Segment<TValue>
{
    internal const int InitialBuckets = 16;
    private const int MaxBuckets = 1 << 30;

    internal readonly Lock Lock = new();

    /// <summary>The bucket array, replaced whole on growth and on clear (volatile: readers load it once per lookup).</summary>
    internal volatile Node<TValue>?[] Buckets = new Node<TValue>?[InitialBuckets];

    internal readonly SieveList<TValue> Eviction = new();
    internal readonly TimerWheel<TValue> Wheel;

    // Under Lock. Written by one writer at a time; read without the lock (Volatile) by statistics only.
    internal int Count;
    internal long Weight;
    internal long Stamp;
    internal long Sets;
    internal long Removals;
    internal long Evictions;
    internal long Expirations;

    internal Segment(long now) => Wheel = new TimerWheel<TValue>(now);

    /// <summary>Finds the node for a key, live or expired. Safe without the lock.</summary>
    internal Node<TValue>? Find(string key, int hash)
    {
        Node<TValue>?[] buckets = Buckets;
        for (Node<TValue>? node = Volatile.Read(ref buckets[hash & (buckets.Length - 1)]); node is not null; node = Volatile.Read(ref node.Next))
        {
            if (node.Hash == hash && (ReferenceEquals(node.Key, key) || string.Equals(node.Key, key, StringComparison.Ordinal)))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>Finds the node for a key given as characters. Safe without the lock.</summary>
    internal Node<TValue>? Find(ReadOnlySpan<char> key, int hash)
    {
        Node<TValue>?[] buckets = Buckets;
        for (Node<TValue>? node = Volatile.Read(ref buckets[hash & (buckets.Length - 1)]); node is not null; node = Volatile.Read(ref node.Next))
        {
            if (node.Hash == hash && key.SequenceEqual(node.Key))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>Links a new node into the chain, the eviction list and the wheel. Under the lock.</summary>
    internal void Insert(Node<TValue> node)
    {
        Node<TValue>?[] buckets = Buckets;
        ref Node<TValue>? head = ref buckets[node.Hash & (buckets.Length - 1)];
        node.Next = head; // plain: the node is not visible yet
        Volatile.Write(ref head, node); // publish only once the node is complete
        Eviction.AddNewest(node);
        if (node.HasDeadline)
        {
            Wheel.Schedule(node);
        }

        Count++;
        Weight += node.Weight;
        if (Count > buckets.Length && buckets.Length < MaxBuckets)
        {
            Grow();
        }
    }

    /// <summary>Unlinks a node from all three structures. Under the lock.</summary>
    internal void Remove(Node<TValue> node)
    {
        Node<TValue>?[] buckets = Buckets;
        ref Node<TValue>? link = ref buckets[node.Hash & (buckets.Length - 1)];
        while (!ReferenceEquals(link, node))
        {
            link = ref link!.Next;
        }

        Volatile.Write(ref link, node.Next); // node.Next stays as it is for readers standing on the node
        Eviction.Remove(node);
        Wheel.Unschedule(node);
        node.IsUnlinked = true;
        Count--;
        Weight -= node.Weight;
    }

    /// <summary>Publishes <paramref name="replacement"/> (same key) in place of <paramref name="node"/>. Under the lock.</summary>
    internal void Replace(Node<TValue> node, Node<TValue> replacement)
    {
        Node<TValue>?[] buckets = Buckets;
        ref Node<TValue>? link = ref buckets[node.Hash & (buckets.Length - 1)];
        while (!ReferenceEquals(link, node))
        {
            link = ref link!.Next;
        }

        replacement.Next = node.Next;
        replacement.Visited = node.Visited;
        Volatile.Write(ref link, replacement);
        Eviction.Replace(node, replacement);
        Wheel.Unschedule(node);
        if (replacement.HasDeadline)
        {
            Wheel.Schedule(replacement);
        }

        node.IsUnlinked = true;
        Weight += replacement.Weight - node.Weight;
    }

    /// <summary>Drops every node at once. Under the lock. Returns the dropped nodes as a list for notifications.</summary>
    internal Node<TValue>? DetachAll()
    {
        // Chain the old nodes through Newer so the caller can notify after releasing the lock.
        Node<TValue>? head = Eviction.Newest;
        for (Node<TValue>? node = head; node is not null; node = node.Older)
        {
            node.IsUnlinked = true;
            node.WheelSlot = Node<TValue>.Unscheduled;
            node.WheelNext = null;
            node.WheelPrevious = null;
        }

        Buckets = new Node<TValue>?[InitialBuckets];
        Eviction.Clear();
        Wheel.Clear();
        Removals += Count;
        Count = 0;
        Weight = 0;
        return head;
    }

    private void Grow()
    {
        Node<TValue>?[] old = Buckets;
        var grown = new Node<TValue>?[old.Length * 2];
        int mask = grown.Length - 1;
        for (int i = 0; i < old.Length; i++)
        {
            for (Node<TValue>? node = old[i]; node is not null; node = node.Next)
            {
                var copy = new Node<TValue>(node.Key, node.Hash, node.Value, node.Deadline, node.Weight, node.Stamp)
                {
                    Visited = node.Visited,
                };
                ref Node<TValue>? head = ref grown[node.Hash & mask];
                copy.Next = head;
                head = copy;
                Eviction.Replace(node, copy);
                if (node.WheelSlot != Node<TValue>.Unscheduled)
                {
                    Wheel.Unschedule(node);
                    Wheel.Schedule(copy);
                }

                node.IsUnlinked = true;
            }
        }

        Buckets = grown; // volatile write: every copy is complete before the array is visible
    }
}
