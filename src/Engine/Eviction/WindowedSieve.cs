using System;

namespace Strata.Engine;

/// <summary>
/// The eviction order of one segment: a small SIEVE window in front of a SIEVE main queue, with frequency admission
/// between them (after W-TinyLFU, Einziger et al., whose window and main are LRUs; here both are SIEVE queues, so a
/// hit still only sets a byte on the entry).
/// </summary>
/// <remarks>
/// <para>
/// New entries enter the window. When the window holds more than its share of the segment, its SIEVE victim is the
/// candidate: while the cache has room it moves to main; when an entry must go, it competes with main's SIEVE victim,
/// and the one the <see cref="FrequencySketch"/> has seen less often is evicted (the candidate too when they tie, so a
/// scan of keys seen once cannot push out what main holds). A loop or a scan larger than the cache then keeps part of
/// its keys in main, where SIEVE alone degrades to FIFO and keeps almost none.
/// </para>
/// <para>
/// The window's share is the cache's (<see cref="LocalCache{TValue}"/> moves it by hill climbing on the hit rate), read
/// here at each decision. Not thread-safe: used under the segment lock.
/// </para>
/// </remarks>
internal sealed class WindowedSieve<TValue>
{
    private readonly SieveList<TValue> _window = new();
    private readonly SieveList<TValue> _main = new();

    internal int Count => _window.Count + _main.Count;

    /// <summary>Adds a new entry to the window.</summary>
    internal void Add(Node<TValue> node)
    {
        node.Links.InMain = false;
        _window.AddNewest(node);
    }

    internal void Remove(Node<TValue> node) => QueueOf(node).Remove(node);

    /// <summary>Puts <paramref name="replacement"/> where <paramref name="node"/> stands, in the same queue.</summary>
    internal void Replace(Node<TValue> node, Node<TValue> replacement)
    {
        replacement.Links.InMain = node.Links.InMain;
        QueueOf(node).Replace(node, replacement);
    }

    /// <summary>
    /// With room in the cache: moves the window's victim to main while the window is over its share, so that the
    /// window stays small before the cache is first full. <paramref name="spare"/> (the entry just inserted) stays.
    /// </summary>
    internal void Rebalance(double windowShare, Node<TValue>? spare)
    {
        if (_window.Count > WindowTarget(windowShare) && _window.SelectVictim(spare) is { } candidate)
        {
            Promote(candidate);
        }
    }

    /// <summary>
    /// Chooses the entry to evict, without unlinking it: the loser of the window's candidate against main's victim
    /// when the window is over its share, else main's victim (the window's when main is empty).
    /// <paramref name="spare"/> (the entry being inserted) is never chosen.
    /// </summary>
    internal Node<TValue>? SelectVictim(double windowShare, FrequencySketch sketch, Node<TValue>? spare)
    {
        if (_window.Count > WindowTarget(windowShare) && _window.SelectVictim(spare) is { } candidate)
        {
            if (_main.SelectVictim(spare) is not { } victim)
            {
                return candidate;
            }

            if (sketch.Frequency(candidate.Hash) > sketch.Frequency(victim.Hash))
            {
                Promote(candidate);
                return victim;
            }

            return candidate;
        }

        return _main.SelectVictim(spare) ?? _window.SelectVictim(spare);
    }

    /// <summary>Forgets every node and returns them chained through <c>Links.Older</c>, main's first, for notifications.</summary>
    internal Node<TValue>? DetachAll()
    {
        Node<TValue>? head = _main.Newest ?? _window.Newest;
        if (_main.Oldest is { } last)
        {
            last.Links.Older = _window.Newest;
        }

        _window.Clear();
        _main.Clear();
        return head;
    }

    /// <summary>Walks both queues checking links and queue marks; for integrity checks.</summary>
    internal int CountLinked(Action<Node<TValue>> visit)
    {
        int window = _window.CountLinked(CheckMark(visit, inMain: false));
        int main = _main.CountLinked(CheckMark(visit, inMain: true));
        if (window != _window.Count || main != _main.Count)
        {
            ThrowHelper.ThrowInvalidOperation($"Eviction queues: {window} and {main} linked, against counts of {_window.Count} and {_main.Count}.");
        }

        return window + main;
    }

    private static Action<Node<TValue>> CheckMark(Action<Node<TValue>> visit, bool inMain) => node =>
    {
        if (node.Links.InMain != inMain)
        {
            ThrowHelper.ThrowInvalidOperation($"Eviction {(inMain ? "main queue" : "window")}: '{node.Key}' is marked as in the {(inMain ? "window" : "main queue")}.");
        }

        visit(node);
    };

    private int WindowTarget(double windowShare) => Math.Max(1, (int)(Count * windowShare));

    private void Promote(Node<TValue> candidate)
    {
        _window.Remove(candidate);
        candidate.Links.InMain = true;
        candidate.Visited = 0;
        _main.AddNewest(candidate);
    }

    private SieveList<TValue> QueueOf(Node<TValue> node) => node.Links.InMain ? _main : _window;
}
