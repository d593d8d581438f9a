using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Strata.Engine;

/// <summary>The write path of <see cref="LocalCache{TValue}"/>: sets, adds, updates, removals and deadline changes, each under its stripe's lock.</summary>
public sealed partial class LocalCache<TValue>
{
    /// <summary>Stores a value with the default time to live (Redis <c>SET</c>), replacing any existing one.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    public void Set(string key, TValue value)
    {
        ValidateKey(key);
        Write(key, value, _defaultTimeToLive, WriteMode.Upsert);
    }

    /// <summary>Stores a value with its own time to live (Redis <c>SET PX</c>), replacing any existing one.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="timeToLive">Positive, or <see cref="Timeout.InfiniteTimeSpan"/> for no expiry. Rounded up to a millisecond.</param>
    public void Set(string key, TValue value, TimeSpan timeToLive)
    {
        ValidateKey(key);
        Write(key, value, ToMilliseconds(timeToLive, nameof(timeToLive)), WriteMode.Upsert);
    }

    /// <summary>Stores a value only when no live entry exists for the key (Redis <c>SET NX</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns><see langword="true"/> when the value was stored.</returns>
    public bool TryAdd(string key, TValue value)
    {
        ValidateKey(key);
        return Write(key, value, _defaultTimeToLive, WriteMode.AddOnly);
    }

    /// <summary>Stores a value with its own time to live only when no live entry exists (Redis <c>SET NX PX</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="timeToLive">Positive, or <see cref="Timeout.InfiniteTimeSpan"/> for no expiry.</param>
    /// <returns><see langword="true"/> when the value was stored.</returns>
    public bool TryAdd(string key, TValue value, TimeSpan timeToLive)
    {
        ValidateKey(key);
        return Write(key, value, ToMilliseconds(timeToLive, nameof(timeToLive)), WriteMode.AddOnly);
    }

    /// <summary>
    /// Returns the live value for <paramref name="key"/>, or stores and returns the one <paramref name="factory"/>
    /// makes. The factory runs outside of any lock and may run on several threads at once for one key; the first
    /// value stored wins and is returned to all of them. (Single flight is the tiered cache's job.)
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="factory">Makes the value on a miss. An exception it throws propagates and nothing is stored.</param>
    /// <returns>The value in the cache.</returns>
    public TValue GetOrAdd(string key, Func<string, TValue> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return GetOrAdd(key, static (k, f) => f(k), factory);
    }

    /// <summary>
    /// Returns the live value for <paramref name="key"/>, or stores and returns the one <paramref name="factory"/>
    /// makes from <paramref name="state"/>; a static lambda and a state argument avoid allocating a closure.
    /// </summary>
    /// <typeparam name="TState">The type of the state passed to the factory.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="factory">Makes the value on a miss, outside of any lock.</param>
    /// <param name="state">Passed to <paramref name="factory"/>.</param>
    /// <returns>The value in the cache.</returns>
    public TValue GetOrAdd<TState>(string key, Func<string, TState, TValue> factory, TState state)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(factory);
        if (TryGet(key, out TValue? existing))
        {
            return existing;
        }

        TValue created = factory(key, state);
        while (true)
        {
            if (Write(key, created, _defaultTimeToLive, WriteMode.AddOnly))
            {
                return created;
            }

            // Lost the race to another writer: return its value unless it has already gone again.
            int hash = KeyHash.Fast(key);
            Node<TValue>? node = SegmentFor(hash).Find(key, hash);
            if (node is not null && IsLive(node))
            {
                return node.Value;
            }
        }
    }

    /// <summary>
    /// Replaces the live value for <paramref name="key"/> with <c>update(value)</c>, keeping its time to live. The
    /// read-modify-write is atomic: if another write lands between the read and the store, <paramref name="update"/>
    /// runs again on the newer value. It runs outside of any lock, so it may run more than once; keep it pure.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="update">Computes the new value from the current one.</param>
    /// <returns><see langword="true"/> when the key was present and updated.</returns>
    public bool TryUpdate(string key, Func<TValue, TValue> update) => Update(key, update, keepTimeToLive: true, NoTimeToLive);

    /// <summary>
    /// Like <see cref="TryUpdate(string, Func{TValue, TValue})"/>, but restarts the entry's time to live.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="update">Computes the new value from the current one.</param>
    /// <param name="timeToLive">The new time to live: positive, or <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
    /// <returns><see langword="true"/> when the key was present and updated.</returns>
    public bool TryUpdate(string key, Func<TValue, TValue> update, TimeSpan timeToLive) =>
        Update(key, update, keepTimeToLive: false, ToMilliseconds(timeToLive, nameof(timeToLive)));

    /// <summary>Removes the entry for <paramref name="key"/> (Redis <c>DEL</c>).</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> when a live entry was removed.</returns>
    public bool Remove(string key) => TryRemove(key, out _);

    /// <summary>Removes the entry for <paramref name="key"/> and returns its value (Redis <c>GETDEL</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The removed value, or the default.</param>
    /// <returns><see langword="true"/> when a live entry was removed.</returns>
    public bool TryRemove(string key, [MaybeNullWhen(false)] out TValue value)
    {
        ValidateKey(key);
        return RemoveLive(key, expected: default, compare: false, out value);
    }

    /// <summary>
    /// Removes the entry for <paramref name="item"/>'s key only while it still holds <paramref name="item"/>'s value
    /// (compared with <see cref="EqualityComparer{T}.Default"/>), as
    /// <see cref="System.Collections.Concurrent.ConcurrentDictionary{TKey, TValue}.TryRemove(KeyValuePair{TKey, TValue})"/>
    /// does: a write that replaced the value meanwhile is kept.
    /// </summary>
    /// <param name="item">The key and the value it must still hold.</param>
    /// <returns><see langword="true"/> when a live entry holding that value was removed.</returns>
    /// <exception cref="ArgumentNullException">The key is null.</exception>
    public bool TryRemove(KeyValuePair<string, TValue> item)
    {
        ValidateKey(item.Key, nameof(item));
        return RemoveLive(item.Key, item.Value, compare: true, out _);
    }

    private bool RemoveLive(string key, TValue? expected, bool compare, [MaybeNullWhen(false)] out TValue value)
    {
        int hash = KeyHash.Fast(key);
        Segment<TValue> segment = SegmentFor(hash);
        var pending = default(PendingRemovals<TValue>);
        bool removed = false;
        value = default;
        long now = _clock.NowMilliseconds(); // before the lock: see FindLive
        lock (segment.Lock)
        {
            Node<TValue>? node = FindLive(segment, key, hash, now, ref pending);
            if (node is not null && (!compare || EqualityComparer<TValue>.Default.Equals(node.Value, expected)))
            {
                value = node.Value;
                Unlink(segment, node);
                segment.Removals++;
                Enqueue(ref pending, node, RemovalReason.Removed);
                removed = true;
            }
        }

        pending.Raise(this);
        return removed;
    }

    /// <summary>Removes every entry (Redis <c>FLUSHDB</c>), raising <see cref="RemovalReason.Removed"/> for each.</summary>
    public void Clear()
    {
        ThrowIfDisposed();
        foreach (Segment<TValue> segment in _segments)
        {
            Node<TValue>? dropped;
            lock (segment.Lock)
            {
                long weight = segment.Weight;
                int count = segment.Count;
                dropped = segment.DetachAll();
                Interlocked.Add(ref _count, -count);
                AddWeight(-weight);
            }

            if (_onRemoved is not null)
            {
                for (Node<TValue>? node = dropped; node is not null; node = node.Links.Older)
                {
                    Notify(node.Key, node.Value, RemovalReason.Removed);
                }
            }
        }
    }

    /// <summary>
    /// Sets the time to live of an existing key (Redis <c>PEXPIRE</c>). A zero or negative time deletes the key, as
    /// Redis does, except <see cref="Timeout.InfiniteTimeSpan"/>, which means no expiry here as everywhere in this API.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="timeToLive">The new time to live; <see cref="Timeout.InfiniteTimeSpan"/> removes the expiry.</param>
    /// <returns><see langword="true"/> when the key existed (and was updated or deleted).</returns>
    public bool Expire(string key, TimeSpan timeToLive)
    {
        ValidateKey(key);
        if (timeToLive == Timeout.InfiniteTimeSpan)
        {
            return ChangeDeadline(key, _clock.NowMilliseconds(), Node<TValue>.NoDeadline, reportUnchanged: true);
        }

        if (timeToLive <= TimeSpan.Zero)
        {
            return Remove(key);
        }

        long now = _clock.NowMilliseconds();
        return ChangeDeadline(key, now, DeadlineAfter(now, ToMilliseconds(timeToLive, nameof(timeToLive))), reportUnchanged: true);
    }

    /// <summary>Removes the time to live of a key so it never expires (Redis <c>PERSIST</c>).</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> when the key existed and had a time to live.</returns>
    public bool Persist(string key)
    {
        ValidateKey(key);
        return ChangeDeadline(key, _clock.NowMilliseconds(), Node<TValue>.NoDeadline, reportUnchanged: false);
    }

    private enum WriteMode
    {
        Upsert,
        AddOnly,
    }

    /// <summary>Finds the live node for a key under the lock, reclaiming it first if it has expired.</summary>
    /// <remarks>
    /// <paramref name="now"/> is read by the caller before it takes the lock, as is every clock reading: a stripe lock
    /// is never held across a call into the <see cref="TimeProvider"/>. A provider may run due timer callbacks on the
    /// thread that reads it (<c>FakeTimeProvider</c> does), which would run the expiry sweep inside the write holding
    /// the lock (it is re-entrant) and unlink the very node the write is working on. The one exception is
    /// <see cref="Clock.NotRead"/>, passed only when the clock can be read under the lock: it is read here, and only
    /// when the node found has a deadline.
    /// </remarks>
    private Node<TValue>? FindLive(Segment<TValue> segment, string key, int hash, long now, ref PendingRemovals<TValue> pending) =>
        Live(segment, segment.Find(key, hash), now, ref pending);

    /// <summary>
    /// Like <see cref="FindLive"/>, starting from <paramref name="seen"/>, the key's node as a lock-free look-up found
    /// it before the lock was taken: while it is still in the table it is the key's node (a key has one node in the
    /// table, and only writers holding the lock take one out), so the chain is walked again only when it has gone or
    /// nothing was found. Walking the chain before the lock keeps its cache misses out of the critical section.
    /// </summary>
    private Node<TValue>? FindLiveFrom(Segment<TValue> segment, Node<TValue>? seen, string key, int hash, long now, ref PendingRemovals<TValue> pending) =>
        Live(segment, seen is not null && !seen.IsUnlinked ? seen : segment.Find(key, hash), now, ref pending);

    /// <summary>Returns <paramref name="node"/> if it is live, or reclaims it if it has expired (see <see cref="FindLive"/>).</summary>
    private Node<TValue>? Live(Segment<TValue> segment, Node<TValue>? node, long now, ref PendingRemovals<TValue> pending)
    {
        if (node is not null && node.HasDeadline && node.Deadline <= (now != Clock.NotRead ? now : _clock.NowMilliseconds()))
        {
            Unlink(segment, node);
            segment.Expirations++;
            Enqueue(ref pending, node, RemovalReason.Expired);
            return null;
        }

        return node;
    }

    private void Unlink(Segment<TValue> segment, Node<TValue> node)
    {
        segment.Remove(node);
        Interlocked.Decrement(ref _count);
        AddWeight(-node.Links.Weight);
    }

    private void Enqueue(ref PendingRemovals<TValue> pending, Node<TValue> node, RemovalReason reason)
    {
        if (_onRemoved is not null)
        {
            pending.Add(node.Key, node.Value, reason);
        }
    }

    // Kept out of line. Inlined into a caller's loop (BenchmarkDotNet's overwrite loop, with Set), this method spent
    // the JIT's inlining budget for that loop, and the small helpers it calls (the look-up, the overwrite, the bound
    // check, the lock's exit, raising the notifications) stayed calls: 34.55 to 39.29 ns an overwrite, against
    // 26.66 ns out of line, where they are inlined (short job, bench/RESULTS.md).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Write(string key, TValue value, long timeToLive, WriteMode mode)
    {
        long weight = Weigh(key, value);

        // A write without a time to live needs the time only if it finds a node with a deadline: on the system clock
        // FindLive then reads it (about 20 ns saved on most such writes); any other provider is read before the lock.
        long now = timeToLive != NoTimeToLive || !_clock.CanReadUnderLock ? _clock.NowMilliseconds() : Clock.NotRead;
        long deadline = timeToLive == NoTimeToLive ? Node<TValue>.NoDeadline : DeadlineAfter(now, timeToLive);
        int hash = KeyHash.Fast(key);
        Segment<TValue> segment = SegmentFor(hash);
        var pending = default(PendingRemovals<TValue>);
        Node<TValue>? inserted = null;
        Node<TValue>? seen = segment.Find(key, hash); // lock-free: see FindLiveFrom
        lock (segment.Lock)
        {
            Node<TValue>? node = FindLiveFrom(segment, seen, key, hash, now, ref pending);
            if (node is not null && mode == WriteMode.AddOnly)
            {
                return false; // nothing pending: FindLive found the node live
            }

            segment.Sets++;
            if (weight > _maxWeight)
            {
                // Heavier than the whole bound: the write happens and is evicted at once.
                if (node is not null)
                {
                    Enqueue(ref pending, node, RemovalReason.Replaced);
                    Unlink(segment, node);
                }

                segment.Evictions++;
                if (_onRemoved is not null)
                {
                    pending.Add(key, value, RemovalReason.Evicted);
                }
            }
            else if (node is not null)
            {
                Enqueue(ref pending, node, RemovalReason.Replaced);
                Overwrite(segment, node, value, weight, deadline);
            }
            else
            {
                inserted = segment.Insert(new Node<TValue>(key, BucketArray<TValue>.HashOf(segment.Buckets, key, hash), value, deadline, weight));
                Interlocked.Increment(ref _count);
                AddWeight(weight);
                _sketch?.Increment(inserted.Hash);
            }

            if (IsOverBound())
            {
                EvictOne(segment, inserted, ref pending);
            }
            else if (inserted is not null && _sketch is not null)
            {
                Rebalance(segment, inserted);
            }
        }

        pending.Raise(this);
        if (IsOverBound())
        {
            EnforceBound(SegmentIndex(hash), inserted);
        }

        return true;
    }

    private void Overwrite(Segment<TValue> segment, Node<TValue> node, TValue value, long weight, long deadline)
    {
        if (_writesInPlace)
        {
            node.Value = value;
            node.Version++;
            if (_weigher is not null) // without one every weight is 0: nothing to change, and the node's other line is not touched
            {
                segment.Weight += weight - node.Links.Weight;
                AddWeight(weight - node.Links.Weight);
                node.Links.Weight = weight;
            }

            long previous = node.Deadline;
            node.SetDeadline(deadline); // release: publishes the value written above with it
            if (previous != deadline)
            {
                segment.Wheel.Reschedule(node);
            }
        }
        else
        {
            AddWeight(weight - node.Links.Weight);
            segment.Replace(node, new Node<TValue>(node.Key, node.Hash, value, deadline, weight, node.Version + 1));
        }
    }

    private bool Update(string key, Func<TValue, TValue> update, bool keepTimeToLive, long timeToLive)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(update);
        int hash = KeyHash.Fast(key);
        Segment<TValue> segment = SegmentFor(hash);
        while (true)
        {
            var pending = default(PendingRemovals<TValue>);
            TValue current;
            Node<TValue> seen; // the update applies only to this node, unchanged since (a node that replaced it, even at the same version, is another write)
            long version;
            long now = _clock.NowMilliseconds(); // before the lock: see FindLive
            lock (segment.Lock)
            {
                Node<TValue>? node = FindLive(segment, key, hash, now, ref pending);
                if (node is null)
                {
                    pending.Raise(this);
                    return false;
                }

                current = node.Value;
                seen = node;
                version = node.Version;
            }

            pending.Raise(this);
            TValue updated = update(current); // outside the lock: user code never runs under it
            long weight = Weigh(key, updated);
            if (weight > _maxWeight)
            {
                ThrowHelper.ThrowInvalidOperation($"The updated value of '{key}' weighs {weight}, more than the cache's whole bound of {_maxWeight}.");
            }

            now = _clock.NowMilliseconds();
            lock (segment.Lock)
            {
                Node<TValue>? node = FindLive(segment, key, hash, now, ref pending);
                if (node is null)
                {
                    pending.Raise(this);
                    return false;
                }

                if (ReferenceEquals(node, seen) && node.Version == version)
                {
                    long deadline = keepTimeToLive ? node.Deadline
                        : timeToLive == NoTimeToLive ? Node<TValue>.NoDeadline
                        : DeadlineAfter(now, timeToLive);
                    segment.Sets++;
                    Enqueue(ref pending, node, RemovalReason.Replaced);
                    Overwrite(segment, node, updated, weight, deadline);
                    if (IsOverBound())
                    {
                        EvictOne(segment, node, ref pending);
                    }
                }
                else
                {
                    continue; // another write landed in between: run the update again on the newer value
                }
            }

            pending.Raise(this);
            if (IsOverBound())
            {
                EnforceBound(SegmentIndex(hash), spare: null);
            }

            return true;
        }
    }

    /// <summary>
    /// Sets the deadline of a live key. Returns whether the key was live, or with <paramref name="reportUnchanged"/>
    /// false (PERSIST's rule) whether the deadline actually changed from one to none. <paramref name="now"/> was read before the lock.
    /// </summary>
    private bool ChangeDeadline(string key, long now, long deadline, bool reportUnchanged)
    {
        int hash = KeyHash.Fast(key);
        Segment<TValue> segment = SegmentFor(hash);
        var pending = default(PendingRemovals<TValue>);
        bool changed = false;
        lock (segment.Lock)
        {
            Node<TValue>? node = FindLive(segment, key, hash, now, ref pending);
            if (node is not null && (reportUnchanged || node.HasDeadline))
            {
                node.SetDeadline(deadline);
                segment.Wheel.Reschedule(node);
                changed = true;
            }
        }

        pending.Raise(this);
        return changed;
    }
}
