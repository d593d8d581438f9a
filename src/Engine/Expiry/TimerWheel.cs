using System;
using System.Diagnostics;

namespace Strata.Engine;

/// <summary>
/// A hierarchical timer wheel holding the nodes of one segment that have a deadline, so that expired entries are
/// reclaimed without being read.
/// </summary>
/// <remarks>
/// <para>
/// Design: five levels of buckets whose spans are powers of two of milliseconds, as in Caffeine and the Varghese and
/// Lauck paper: 64 buckets of 1.024 s, 64 of 65.5 s, 32 of 70 min, 32 of 37 h and one overflow bucket beyond 49.7 days.
/// A node goes into the finest level whose whole range covers its delay, in the bucket of its deadline's tick at that
/// level. Scheduling and unscheduling are O(1) (intrusive doubly linked lists, each node remembers its slot).
/// </para>
/// <para>
/// <see cref="Advance"/> moves the wheel to the present: at the finest level it always visits the buckets from the
/// previous tick through the current one (so an entry is reclaimed at the first advance after its deadline, not a
/// bucket span later); at coarser levels only when their tick changed. Visited nodes that are due are handed back,
/// the others are rescheduled, which cascades them to finer levels. Each node is visited O(levels) times in its life,
/// so the cost is amortised O(1) per entry.
/// </para>
/// <para>Not thread-safe: the owning segment calls it under its lock.</para>
/// </remarks>
internal sealed class TimerWheel<TValue>
{
    private static readonly int[] s_shifts = [10, 16, 22, 27, 32];
    private static readonly int[] s_bucketCounts = [64, 64, 32, 32, 1];
    private static readonly int[] s_offsets = [0, 64, 128, 160, 192];
    private const int SlotCount = 193;

    private readonly Node<TValue>?[] _slots = new Node<TValue>?[SlotCount];
    private long _time;

    internal TimerWheel(long now) => _time = now;

    /// <summary>Gets the number of scheduled nodes.</summary>
    internal int Count { get; private set; }

    /// <summary>Gets the time of the last advance, in clock milliseconds.</summary>
    internal long Time => _time;

    internal void Schedule(Node<TValue> node)
    {
        Debug.Assert(node.Links.WheelSlot == Node<TValue>.Unscheduled && node.HasDeadline);
        int slot = SlotFor(node.Deadline);
        Node<TValue>? head = _slots[slot];
        node.Links.WheelPrevious = null;
        node.Links.WheelNext = head;
        if (head is not null)
        {
            head.Links.WheelPrevious = node;
        }

        _slots[slot] = node;
        node.Links.WheelSlot = slot;
        Count++;
    }

    internal void Unschedule(Node<TValue> node)
    {
        int slot = node.Links.WheelSlot;
        if (slot == Node<TValue>.Unscheduled)
        {
            return;
        }

        if (node.Links.WheelPrevious is null)
        {
            _slots[slot] = node.Links.WheelNext;
        }
        else
        {
            node.Links.WheelPrevious.Links.WheelNext = node.Links.WheelNext;
        }

        if (node.Links.WheelNext is not null)
        {
            node.Links.WheelNext.Links.WheelPrevious = node.Links.WheelPrevious;
        }

        node.Links.WheelPrevious = null;
        node.Links.WheelNext = null;
        node.Links.WheelSlot = Node<TValue>.Unscheduled;
        Count--;
    }

    /// <summary>Puts <paramref name="node"/> where its current deadline belongs, or takes it out when it has none.</summary>
    internal void Reschedule(Node<TValue> node)
    {
        Unschedule(node);
        if (node.HasDeadline)
        {
            Schedule(node);
        }
    }

    /// <summary>Moves the wheel to <paramref name="now"/>.</summary>
    /// <returns>
    /// The due nodes, unscheduled and chained through <c>Links.WheelNext</c>; the caller removes them
    /// from the table.
    /// </returns>
    internal Node<TValue>? Advance(long now)
    {
        long previous = _time;
        if (now < previous)
        {
            now = previous; // the provider's clock went backwards: treat it as standing still
        }

        _time = now;
        Node<TValue>? due = null;
        for (int level = 0; level < s_shifts.Length; level++)
        {
            long previousTicks = previous >> s_shifts[level];
            long currentTicks = now >> s_shifts[level];
            long delta = currentTicks - previousTicks;
            if (delta <= 0 && level > 0)
            {
                break; // coarser levels tick no faster than this one
            }

            int buckets = s_bucketCounts[level];
            long steps = Math.Min(delta + 1, buckets);
            for (long tick = previousTicks; tick < previousTicks + steps; tick++)
            {
                int slot = s_offsets[level] + (int)(tick & (buckets - 1));
                due = ExpireOrCascade(slot, now, due);
            }
        }

        return due;
    }

    /// <summary>Empties the wheel without visiting nodes (the table is being dropped as a whole).</summary>
    internal void Clear()
    {
        Array.Clear(_slots);
        Count = 0;
    }

    /// <summary>Checks that <paramref name="node"/> is linked where it says it is; for integrity checks.</summary>
    internal bool Contains(Node<TValue> node)
    {
        if (node.Links.WheelSlot == Node<TValue>.Unscheduled)
        {
            return false;
        }

        for (Node<TValue>? current = _slots[node.Links.WheelSlot]; current is not null; current = current.Links.WheelNext)
        {
            if (ReferenceEquals(current, node))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Counts the nodes reachable from the slots, checking links both ways; for integrity checks.</summary>
    internal int CountLinked(Action<Node<TValue>, int> visit)
    {
        int count = 0;
        for (int slot = 0; slot < SlotCount; slot++)
        {
            Node<TValue>? previous = null;
            for (Node<TValue>? node = _slots[slot]; node is not null; node = node.Links.WheelNext)
            {
                if (!ReferenceEquals(node.Links.WheelPrevious, previous))
                {
                    ThrowHelper.ThrowInvalidOperation($"Timer wheel slot {slot}: broken back link at '{node.Key}'.");
                }

                visit(node, slot);
                previous = node;
                count++;
            }
        }

        return count;
    }

    private Node<TValue>? ExpireOrCascade(int slot, long now, Node<TValue>? due)
    {
        Node<TValue>? node = _slots[slot];
        _slots[slot] = null; // detach first: rescheduling may put nodes back into this very slot
        while (node is not null)
        {
            Node<TValue>? next = node.Links.WheelNext;
            node.Links.WheelPrevious = null;
            node.Links.WheelSlot = Node<TValue>.Unscheduled;
            Count--;
            if (node.Deadline <= now)
            {
                node.Links.WheelNext = due;
                due = node;
            }
            else
            {
                node.Links.WheelNext = null;
                Schedule(node);
            }

            node = next;
        }

        return due;
    }

    private int SlotFor(long deadline)
    {
        // A deadline already behind the wheel goes into the current finest bucket, which the next advance visits.
        long effective = Math.Max(deadline, _time);
        long delay = effective - _time;
        for (int level = 0; level < s_shifts.Length - 1; level++)
        {
            if (delay < 1L << s_shifts[level + 1])
            {
                long ticks = effective >> s_shifts[level];
                return s_offsets[level] + (int)(ticks & (s_bucketCounts[level] - 1));
            }
        }

        return s_offsets[^1];
    }
}
