using System;

namespace Strata.Throughput;

/// <summary>
/// A design study for issue 22, not the engine: a policy whose hits do only what <c>LocalCache</c>'s lock-free read
/// can do (set a visited bit, bump a frequency counter, no reordering), replayed single-threaded over dense int keys.
/// New keys enter a small window queue; what the window evicts competes for the main queue against the main queue's
/// own victim, and is admitted only when a frequency sketch (count-min, 4-bit counters, halved every 10 x capacity
/// accesses, after TinyLFU) has seen it more often. Both queues evict by SIEVE. With <c>adaptive</c>, the window's share
/// moves by hill climbing on the hit rate of each sample of 10 x capacity accesses, after the idea Caffeine describes
/// for W-TinyLFU: keep moving the way that raised the hit rate, turn back when it fell, with a step that decays.
/// </summary>
internal sealed class SieveTinyLfuModel
{
    private readonly int _capacity;
    private readonly bool _adaptive;
    private readonly int[] _newer;
    private readonly int[] _older;
    private readonly byte[] _queue; // 0 none, 1 window, 2 main
    private readonly bool[] _visited;
    private readonly Queue _window = new(1);
    private readonly Queue _main = new(2);       // probation when segmented
    private readonly Queue _protected = new(3);
    private readonly bool _segmented;
    private readonly bool _epochSketch;
    private readonly Sketch _sketch;
    private double _windowShare;
    private int _sampleAccesses;
    private int _sampleHits;
    private double _lastRate = -1;
    private double _step;
    private int _direction = 1;

    /// <param name="keys">The number of distinct keys (dense, from 0).</param>
    /// <param name="capacity">The cache's capacity in entries.</param>
    /// <param name="adaptive">Whether the window's share is hill-climbed.</param>
    /// <param name="windowShare">The window's (first) share of the capacity.</param>
    /// <param name="segmented">Whether main is split into probation and protected.</param>
    /// <param name="epochSketch">
    /// Whether a hit bumps the sketch only when it sets the visited bit (the first hit since the hand last cleared it),
    /// as <c>LocalCache</c>'s read could at no cost on a hot key: that read already tests the bit before it stores it.
    /// </param>
    public SieveTinyLfuModel(int keys, int capacity, bool adaptive, double windowShare = 0.01, bool segmented = false, bool epochSketch = false)
    {
        _epochSketch = epochSketch;
        _capacity = capacity;
        _adaptive = adaptive;
        _segmented = segmented;
        _newer = new int[keys];
        _older = new int[keys];
        _queue = new byte[keys];
        _visited = new bool[keys];
        _sketch = new Sketch(capacity);
        _windowShare = windowShare;
        _step = 0.0625;
    }

    private int WindowCapacity => Math.Clamp((int)Math.Round(_capacity * _windowShare), 1, Math.Max(1, _capacity - 1));

    private int MainCount => _main.Count + _protected.Count;

    /// <summary>Segmented: the protected queue's share of main, as in an SLRU.</summary>
    private int ProtectedCapacity => (int)((_capacity - WindowCapacity) * 0.8);

    /// <summary>Looks <paramref name="key"/> up and, on a miss, admits it to the window. Returns whether it was a hit.</summary>
    public bool Access(int key)
    {
        bool hit = _queue[key] != 0;
        if (!_epochSketch || !hit || !_visited[key])
        {
            _sketch.Increment(key);
        }

        if (hit)
        {
            _visited[key] = true;
        }
        else
        {
            Admit(key);
        }

        if (_adaptive)
        {
            Climb(hit);
        }

        return hit;
    }

    private void Admit(int key)
    {
        Add(_window, key);
        if (_window.Count > WindowCapacity)
        {
            int candidate = TakeVictim(_window);
            if (_window.Count + MainCount < _capacity)
            {
                Add(_main, candidate);
                return;
            }

            int victim = MainVictim();
            if (victim >= 0 && _sketch.Frequency(candidate) > _sketch.Frequency(victim))
            {
                Remove(_main, victim);
                Add(_main, candidate);
            }

            // else the candidate leaves: it was not in any queue since TakeVictim
        }
        else if (_window.Count + MainCount > _capacity)
        {
            int victim = MainVictim();
            if (victim >= 0)
            {
                Remove(_main, victim);
            }
            else
            {
                Remove(_window, FindVictim(_window));
            }
        }
    }

    /// <summary>
    /// The main queue's victim, left in place. Segmented, it is probation's: a visited key met on the way is promoted to
    /// protected instead of kept (the reorder a hit cannot do happens here, under the write side), and protected's
    /// overflow goes back to probation's newest end.
    /// </summary>
    private int MainVictim()
    {
        if (!_segmented)
        {
            return FindVictim(_main);
        }

        while (true)
        {
            if (_main.Count == 0)
            {
                if (_protected.Count == 0)
                {
                    return -1;
                }

                Add(_main, TakeVictim(_protected));
            }

            int key = _main.Hand >= 0 ? _main.Hand : _main.Tail;
            if (!_visited[key])
            {
                _main.Hand = key;
                return key;
            }

            Remove(_main, key);
            Add(_protected, key); // clears the bit
            while (_protected.Count > ProtectedCapacity && _protected.Count > 0)
            {
                Add(_main, TakeVictim(_protected));
            }
        }
    }

    private void Climb(bool hit)
    {
        _sampleAccesses++;
        _sampleHits += hit ? 1 : 0;
        if (_sampleAccesses < 10 * _capacity)
        {
            return;
        }

        double rate = (double)_sampleHits / _sampleAccesses;
        if (_lastRate >= 0)
        {
            if (rate < _lastRate)
            {
                _direction = -_direction;
            }

            _step = Math.Abs(rate - _lastRate) >= 0.05 ? 0.0625 : _step * 0.98; // a big change restarts the search
        }

        _windowShare = Math.Clamp(_windowShare + (_direction * _step), 0.0, 0.8);
        _lastRate = rate;
        _sampleAccesses = 0;
        _sampleHits = 0;
    }

    private void Add(Queue queue, int key)
    {
        _queue[key] = queue.Id;
        _visited[key] = false;
        _newer[key] = -1;
        _older[key] = queue.Head;
        if (queue.Head >= 0)
        {
            _newer[queue.Head] = key;
        }
        else
        {
            queue.Tail = key;
        }

        queue.Head = key;
        queue.Count++;
    }

    private void Remove(Queue queue, int key)
    {
        if (queue.Hand == key)
        {
            queue.Hand = _newer[key];
        }

        if (_newer[key] >= 0)
        {
            _older[_newer[key]] = _older[key];
        }
        else
        {
            queue.Head = _older[key];
        }

        if (_older[key] >= 0)
        {
            _newer[_older[key]] = _newer[key];
        }
        else
        {
            queue.Tail = _newer[key];
        }

        _queue[key] = 0;
        queue.Count--;
    }

    /// <summary>SIEVE's hand: from where it stopped, oldest first, clearing visited bits until an unvisited key; left in place.</summary>
    private int FindVictim(Queue queue)
    {
        if (queue.Count == 0)
        {
            return -1;
        }

        int key = queue.Hand >= 0 ? queue.Hand : queue.Tail;
        while (_visited[key])
        {
            _visited[key] = false;
            key = _newer[key] >= 0 ? _newer[key] : queue.Tail;
        }

        queue.Hand = key;
        return key;
    }

    private int TakeVictim(Queue queue)
    {
        int key = FindVictim(queue);
        Remove(queue, key);
        return key;
    }

    private sealed class Queue(byte id)
    {
        public byte Id { get; } = id;

        public int Head { get; set; } = -1;

        public int Tail { get; set; } = -1;

        public int Hand { get; set; } = -1;

        public int Count { get; set; }
    }

    /// <summary>Count-min over 4 rows of 4-bit counters (a byte each, capped at 15), all halved every 10 x capacity increments.</summary>
    private sealed class Sketch
    {
        private readonly byte[] _counters;
        private readonly int _mask;
        private readonly int _resetAt;
        private int _additions;

        public Sketch(int capacity)
        {
            int width = 16;
            while (width < capacity)
            {
                width <<= 1;
            }

            _counters = new byte[4 * width];
            _mask = width - 1;
            _resetAt = 10 * Math.Max(capacity, 1);
        }

        public void Increment(int key)
        {
            for (int row = 0; row < 4; row++)
            {
                ref byte counter = ref _counters[Index(key, row)];
                if (counter < 15)
                {
                    counter++;
                }
            }

            if (++_additions >= _resetAt)
            {
                for (int i = 0; i < _counters.Length; i++)
                {
                    _counters[i] >>= 1;
                }

                _additions /= 2;
            }
        }

        public int Frequency(int key)
        {
            int min = 15;
            for (int row = 0; row < 4; row++)
            {
                min = Math.Min(min, _counters[Index(key, row)]);
            }

            return min;
        }

        private int Index(int key, int row)
        {
            uint h = (uint)key * (0x9E3779B1u + (uint)(row * 0x85EBCA6B));
            h ^= h >> 15;
            h *= 0x2C1B3C6Du;
            h ^= h >> 12;
            return (row * (_mask + 1)) + (int)(h & (uint)_mask);
        }
    }
}
