using System;

namespace Strata.Engine;

/// <summary>
/// One SIEVE queue (Zhang et al., NSDI 2024), an LRU-family policy as cheap as CLOCK: a segment's eviction window and
/// its main queue are one each (see <see cref="WindowedSieve{TValue}"/>).
/// </summary>
/// <remarks>
/// <para>
/// Entries form a FIFO from oldest (tail) to newest (head). A read sets the node's <c>Visited</c> byte without a
/// lock: that is the whole cost of recording an access, and it writes only to the entry being read. To evict, a hand
/// walks from where it last stopped towards the head, clearing visited bits, and evicts the first unvisited node;
/// it wraps to the tail after the head. Unlike CLOCK, survivors are not moved, so new entries that are never read
/// again are demoted quickly (scan resistance) while popular entries stay. On skewed (Zipf) traces SIEVE's miss ratio
/// is at or below LRU's; on a loop larger than the cache it degrades to FIFO, as LRU does.
/// </para>
/// <para>
/// Cost: insert and unlink O(1); a victim search clears at most one visited bit per step, and each bit was set by a
/// read, so eviction is amortised O(1). The walk is still bounded to two laps so a stream of concurrent readers
/// re-setting bits can never keep it going. Not thread-safe: used under the segment lock.
/// </para>
/// </remarks>
internal sealed class SieveList<TValue>
{
    private Node<TValue>? _head; // newest
    private Node<TValue>? _tail; // oldest
    private Node<TValue>? _hand; // next node the hand examines; null means start at the tail

    internal int Count { get; private set; }

    internal Node<TValue>? Newest => _head;

    internal Node<TValue>? Oldest => _tail;

    internal void AddNewest(Node<TValue> node)
    {
        node.Links.Newer = null;
        node.Links.Older = _head;
        if (_head is not null)
        {
            _head.Links.Newer = node;
        }
        else
        {
            _tail = node;
        }

        _head = node;
        Count++;
    }

    internal void Remove(Node<TValue> node)
    {
        if (ReferenceEquals(_hand, node))
        {
            _hand = node.Links.Newer;
        }

        if (node.Links.Newer is null)
        {
            _head = node.Links.Older;
        }
        else
        {
            node.Links.Newer.Links.Older = node.Links.Older;
        }

        if (node.Links.Older is null)
        {
            _tail = node.Links.Newer;
        }
        else
        {
            node.Links.Older.Links.Newer = node.Links.Newer;
        }

        node.Links.Newer = null;
        node.Links.Older = null;
        Count--;
    }

    /// <summary>Puts <paramref name="replacement"/> where <paramref name="node"/> stands, keeping the order.</summary>
    internal void Replace(Node<TValue> node, Node<TValue> replacement)
    {
        replacement.Links.Newer = node.Links.Newer;
        replacement.Links.Older = node.Links.Older;
        if (node.Links.Newer is null)
        {
            _head = replacement;
        }
        else
        {
            node.Links.Newer.Links.Older = replacement;
        }

        if (node.Links.Older is null)
        {
            _tail = replacement;
        }
        else
        {
            node.Links.Older.Links.Newer = replacement;
        }

        if (ReferenceEquals(_hand, node))
        {
            _hand = replacement;
        }

        node.Links.Newer = null;
        node.Links.Older = null;
    }

    /// <summary>
    /// Moves the hand to the next victim and returns it, without unlinking it. <paramref name="spare"/> (the entry
    /// being inserted) is passed over so a write is not undone by its own eviction.
    /// </summary>
    internal Node<TValue>? SelectVictim(Node<TValue>? spare)
    {
        if (_tail is null || (Count == 1 && ReferenceEquals(_tail, spare)))
        {
            return null;
        }

        Node<TValue> node = _hand ?? _tail;
        for (int step = 0, limit = 2 * Count; ; step++)
        {
            if (!ReferenceEquals(node, spare))
            {
                if (node.Visited == 0 || step >= limit)
                {
                    _hand = node; // left on the victim: evicting it moves the hand on (Remove); keeping it finds it again
                    return node;
                }

                node.Visited = 0;
            }

            node = node.Links.Newer ?? _tail!;
        }
    }

    /// <summary>Forgets every node (the table is being dropped as a whole).</summary>
    internal void Clear()
    {
        _head = null;
        _tail = null;
        _hand = null;
        Count = 0;
    }

    /// <summary>Walks the list checking links both ways; for integrity checks.</summary>
    internal int CountLinked(Action<Node<TValue>> visit)
    {
        int count = 0;
        Node<TValue>? newer = null;
        bool handSeen = _hand is null;
        for (Node<TValue>? node = _head; node is not null; node = node.Links.Older)
        {
            if (!ReferenceEquals(node.Links.Newer, newer))
            {
                ThrowHelper.ThrowInvalidOperation($"Eviction list: broken link at '{node.Key}'.");
            }

            handSeen |= ReferenceEquals(node, _hand);
            visit(node);
            newer = node;
            count++;
        }

        if (!ReferenceEquals(newer, _tail))
        {
            ThrowHelper.ThrowInvalidOperation("Eviction list: the tail is not the oldest node.");
        }

        if (!handSeen)
        {
            ThrowHelper.ThrowInvalidOperation("Eviction list: the hand points outside the list.");
        }

        return count;
    }
}
