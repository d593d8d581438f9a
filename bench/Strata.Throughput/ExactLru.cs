using System.Collections.Generic;

namespace Strata.Throughput;

/// <summary>A textbook LRU (hash map plus recency list), the reference line for hit ratios.</summary>
internal sealed class ExactLru(int capacity)
{
    private readonly Dictionary<int, LinkedListNode<int>> _map = new(capacity);
    private readonly LinkedList<int> _order = new();

    /// <summary>Looks <paramref name="key"/> up and, on a miss, admits it. Returns whether it was a hit.</summary>
    public bool Access(int key)
    {
        if (_map.TryGetValue(key, out LinkedListNode<int>? node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
            return true;
        }

        if (_map.Count == capacity)
        {
            _map.Remove(_order.Last!.Value);
            _order.RemoveLast();
        }

        _map[key] = _order.AddFirst(key);
        return false;
    }
}
