using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Strata;

/// <summary>
/// An in-process cache of string keys: lock-free, allocation-free reads; striped writes; per-entry time to live
/// reclaimed by a timer wheel; an optional bound on entries or weight enforced by SIEVE eviction; Redis-compatible
/// glob patterns and cursor scans. The semantics of each member follow the Redis command it names.
/// </summary>
/// <typeparam name="TValue">The type of the cached values.</typeparam>
/// <remarks>
/// <para>
/// Design. Keys hash (with a fast hash, and per stripe the runtime's randomized one once a chain shows a flood of
/// colliding keys, see <see cref="KeyHash"/>) to one of a power-of-two number of <see cref="Segment{TValue}"/> stripes. A write takes its stripe's lock; a read takes no lock,
/// allocates nothing, and records the access by setting one byte on the entry it read, so readers of one hot key
/// never write a shared line other than that entry's. Values of reference type or of pointer size or less are
/// overwritten in place (an overwrite allocates nothing); larger structs get a new node so a reader never sees a torn
/// value.
/// </para>
/// <para>
/// Expiry is enforced twice: a read compares the entry's deadline with a millisecond clock and reports a miss once it
/// has passed, and every second a timer advances each stripe's timer wheel, which reclaims expired entries that
/// nobody reads (amortised O(1) per entry). The bound is global: an insert that takes the cache over it evicts a
/// SIEVE victim from its own stripe under the lock it already holds, and only if that is not enough visits the other
/// stripes one lock at a time. Removal callbacks are collected under the lock and raised after it is released.
/// </para>
/// <para>
/// Not provided: a read never extends a time to live (no sliding expiration); <see cref="Count"/> includes expired
/// entries the wheel has not reclaimed yet (at most about one second).
/// </para>
/// </remarks>
public sealed class LocalCache<TValue> : IDisposable
{
    private const long NoTimeToLive = 0;
    private const int ScanBucketsPerKey = 10;
    private static readonly TimeSpan s_sweepInterval = TimeSpan.FromSeconds(1);

    private readonly Segment<TValue>[] _segments;
    private readonly Bucket<TValue>[][] _tables; // each stripe's bucket array, owned by the stripe (see Segment)

    // Whether a value store is a single atomic write, so overwrites may happen in place under readers. An instance
    // copy: a static of a generic class costs a helper call to reach from code shared between reference types.
    private readonly bool _writesInPlace = IsWriteAtomic();
    private readonly int _segmentShift;
    private readonly Clock _clock;
    private readonly long _defaultTimeToLive;
    private readonly long _maxEntries;
    private readonly long _maxWeight;
    private readonly Func<string, TValue, long>? _weigher;
    private readonly Action<string, TValue, RemovalReason>? _onRemoved;
    private readonly Action<Exception>? _onCallbackError;
    private readonly StripedCounter _hits = new();
    private readonly StripedCounter _misses = new();
    private readonly ITimer _sweepTimer;

    // Entry count and weight over all stripes, for the bound. Changed with Interlocked by writers holding a stripe
    // lock (so they can disagree with the sum of stripe counts only while a write is in flight); read with Volatile.
    private long _count;
    private long _weight;
    private long _callbackErrors;
    private int _sweeping;
    private volatile bool _disposed;

    /// <summary>Creates a cache.</summary>
    /// <param name="options">The settings; <see langword="null"/> for an unbounded cache whose entries never expire.</param>
    /// <exception cref="ArgumentException">A setting is out of range or inconsistent; the message names it.</exception>
    public LocalCache(LocalCacheOptions<TValue>? options = null)
    {
        options ??= new LocalCacheOptions<TValue>();
        options.Validate();

        _clock = new Clock(options.TimeProvider);
        _defaultTimeToLive = options.DefaultTimeToLive is { } ttl ? ToMilliseconds(ttl, nameof(options)) : NoTimeToLive;
        _maxEntries = options.MaxEntries ?? long.MaxValue;
        _maxWeight = options.MaxWeight ?? long.MaxValue;
        _weigher = options.Weigher;
        _onRemoved = options.OnRemoved;
        _onCallbackError = options.OnCallbackError;

        int stripes = options.ConcurrencyLevel ?? Math.Min(LocalCacheOptions<TValue>.MaxConcurrencyLevel, Environment.ProcessorCount * 4);
        stripes = (int)BitOperations.RoundUpToPowerOf2((uint)stripes);
        _segmentShift = 32 - BitOperations.Log2((uint)stripes); // 32 for one stripe: a 64-bit shift yields 0
        long now = _clock.NowMilliseconds();
        _segments = new Segment<TValue>[stripes];
        _tables = new Bucket<TValue>[stripes][];
        for (int i = 0; i < stripes; i++)
        {
            _segments[i] = new Segment<TValue>(_tables, i, now);
        }

        _sweepTimer = SweepTimer.Start(this, options.TimeProvider, s_sweepInterval);
    }

    /// <summary>Gets the number of entries, including expired ones the background sweep has not reclaimed yet.</summary>
    public int Count => (int)Volatile.Read(ref _count);

    /// <summary>Gets the value stored for <paramref name="key"/>, if it is present and not expired. Lock-free, allocation-free.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value when found; otherwise the default.</param>
    /// <returns><see langword="true"/> on a hit.</returns>
    public bool TryGet(string key, [MaybeNullWhen(false)] out TValue value)
    {
        if (key is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(key));
        }

        ThrowIfDisposed();
        int hash = KeyHash.Fast(key);
        return CountRead(BucketArray<TValue>.Find(TableFor(hash), key, hash), out value);
    }

    /// <summary>Gets the value stored for a key given as characters, without allocating a string.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value when found; otherwise the default.</param>
    /// <returns><see langword="true"/> on a hit.</returns>
    public bool TryGet(ReadOnlySpan<char> key, [MaybeNullWhen(false)] out TValue value)
    {
        ThrowIfDisposed();
        int hash = KeyHash.Fast(key);
        return CountRead(BucketArray<TValue>.Find(TableFor(hash), key, hash), out value);
    }

    /// <summary>Tells whether a live entry exists for <paramref name="key"/> (Redis <c>EXISTS</c>). Not counted as a read.</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> when present and not expired.</returns>
    public bool ContainsKey(string key)
    {
        if (key is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(key));
        }

        ThrowIfDisposed();
        int hash = KeyHash.Fast(key);
        return IsLive(BucketArray<TValue>.Find(TableFor(hash), key, hash));
    }

    /// <summary>Tells whether a live entry exists for a key given as characters.</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> when present and not expired.</returns>
    public bool ContainsKey(ReadOnlySpan<char> key)
    {
        ThrowIfDisposed();
        int hash = KeyHash.Fast(key);
        return IsLive(BucketArray<TValue>.Find(TableFor(hash), key, hash));
    }

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
        int hash = KeyHash.Fast(key);
        Segment<TValue> segment = SegmentFor(hash);
        var pending = default(PendingRemovals<TValue>);
        bool removed = false;
        value = default;
        long now = _clock.NowMilliseconds(); // before the lock: see FindLive
        lock (segment.Lock)
        {
            Node<TValue>? node = FindLive(segment, key, hash, now, ref pending);
            if (node is not null)
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

    /// <summary>Gets the remaining time to live of <paramref name="key"/> (Redis <c>PTTL</c>).</summary>
    /// <param name="key">The key.</param>
    /// <returns>
    /// <see langword="null"/> when the key is missing or expired, <see cref="Timeout.InfiniteTimeSpan"/> when it has
    /// no expiry, else the remaining time in whole milliseconds.
    /// </returns>
    public TimeSpan? GetTimeToLive(string key)
    {
        ValidateKey(key);
        int hash = KeyHash.Fast(key);
        return TimeToLiveOf(BucketArray<TValue>.Find(TableFor(hash), key, hash));
    }

    /// <summary>Gets the remaining time to live of a key given as characters (Redis <c>PTTL</c>).</summary>
    /// <param name="key">The key.</param>
    /// <returns>See <see cref="GetTimeToLive(string)"/>.</returns>
    public TimeSpan? GetTimeToLive(ReadOnlySpan<char> key)
    {
        ThrowIfDisposed();
        int hash = KeyHash.Fast(key);
        return TimeToLiveOf(BucketArray<TValue>.Find(TableFor(hash), key, hash));
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

    /// <summary>
    /// Returns one page of a cursor scan over the keys (Redis <c>SCAN cursor MATCH pattern COUNT count</c>). Start
    /// with cursor 0 and pass each returned cursor back until it is 0. A key present for the whole scan is returned
    /// at least once, even while the cache is written and grows; a key may be returned more than once. (One
    /// exception: a stripe flooded with colliding keys rehashes once with a randomized hash, and a scan running across
    /// that rebuild may miss keys of that stripe.)
    /// </summary>
    /// <param name="cursor">0 to start, else a cursor returned by the previous call.</param>
    /// <param name="pattern">A Redis glob (see <see cref="Glob"/>), or <see langword="null"/> for every key.</param>
    /// <param name="count">The amount of work per call: about this many keys are examined (matched or not).</param>
    /// <returns>The next cursor and the matching keys of this page.</returns>
    public ScanResult Scan(long cursor, string? pattern = null, int count = 10)
    {
        ThrowIfDisposed();
        if (cursor < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(cursor), cursor, "A scan cursor is 0 or a value returned by Scan.");
        }

        if (count <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(count), count, "The scan count must be positive.");
        }

        // Cursor layout: the low bits pick the stripe, the rest is that stripe's reverse-binary bucket cursor.
        int stripeBits = 32 - _segmentShift;
        int stripe = (int)(cursor & (_segments.Length - 1));
        ulong bucketCursor = (ulong)cursor >> stripeBits;
        bool matchAll = Glob.MatchesEverything(pattern);
        long now = _clock.NowMilliseconds();
        var keys = new List<string>();
        int examined = 0;
        long bucketBudget = (long)count * ScanBucketsPerKey;

        while (true)
        {
            Bucket<TValue>[] buckets = _segments[stripe].Buckets;
            ulong mask = (ulong)BucketArray<TValue>.Capacity(buckets) - 1;
            for (Node<TValue>? node = Volatile.Read(ref buckets[(int)(bucketCursor & mask)].Head); node is not null; node = Volatile.Read(ref node.Next))
            {
                if (!node.IsExpired(now))
                {
                    examined++;
                    if (matchAll || Glob.IsMatch(pattern, node.Key))
                    {
                        keys.Add(node.Key);
                    }
                }
            }

            bucketCursor = NextBucketCursor(bucketCursor, mask);
            if (bucketCursor == 0 && ++stripe == _segments.Length)
            {
                return new ScanResult(0, keys);
            }

            if (examined >= count || --bucketBudget <= 0)
            {
                return new ScanResult((long)(bucketCursor << stripeBits) | (uint)stripe, keys);
            }
        }
    }

    /// <summary>
    /// Enumerates the keys matching <paramref name="pattern"/> through <see cref="Scan"/>: it never holds a lock
    /// between pages, sees every key present for the whole enumeration, and may yield a key twice if the cache grows
    /// meanwhile.
    /// </summary>
    /// <param name="pattern">A Redis glob, or <see langword="null"/> for every key.</param>
    /// <returns>The matching keys.</returns>
    public IEnumerable<string> Keys(string? pattern = null)
    {
        ThrowIfDisposed();
        return Enumerate(pattern);

        IEnumerable<string> Enumerate(string? pattern)
        {
            long cursor = 0;
            do
            {
                ScanResult page = Scan(cursor, pattern, 256);
                foreach (string key in page.Keys)
                {
                    yield return key;
                }

                cursor = page.NextCursor;
            }
            while (cursor != 0);
        }
    }

    /// <summary>
    /// Removes every key matching <paramref name="pattern"/>, a page of a scan at a time, so writers are never held
    /// up for longer than one key's removal. Keys written while it runs may or may not be removed.
    /// </summary>
    /// <param name="pattern">A Redis glob; <c>*</c> removes everything.</param>
    /// <returns>The number of entries removed.</returns>
    public int RemoveByPattern(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        int removed = 0;
        foreach (string key in Keys(pattern))
        {
            if (Remove(key))
            {
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Returns a snapshot of the cache's counters.</summary>
    /// <returns>The counters.</returns>
    public CacheStatistics GetStatistics()
    {
        long sets = 0, removals = 0, evictions = 0, expirations = 0;
        foreach (Segment<TValue> segment in _segments)
        {
            sets += Volatile.Read(ref segment.Sets);
            removals += Volatile.Read(ref segment.Removals);
            evictions += Volatile.Read(ref segment.Evictions);
            expirations += Volatile.Read(ref segment.Expirations);
        }

        return new CacheStatistics
        {
            Hits = _hits.Sum(),
            Misses = _misses.Sum(),
            Sets = sets,
            Removals = removals,
            Evictions = evictions,
            Expirations = expirations,
            CallbackErrors = Volatile.Read(ref _callbackErrors),
            Count = Count,
            Weight = Volatile.Read(ref _weight),
        };
    }

    /// <summary>Stops the background expiry timer. Any later call throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _disposed = true;
        _sweepTimer.Dispose();
    }

    /// <summary>
    /// Advances every stripe's timer wheel to now and removes the entries that are due. The timer calls this every
    /// second; tests call it directly.
    /// </summary>
    /// <returns>The number of entries reclaimed.</returns>
    internal int SweepExpired()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) != 0)
        {
            return 0; // a slow sweep is still running; the next tick catches up
        }

        try
        {
            int reclaimed = 0;
            foreach (Segment<TValue> segment in _segments)
            {
                Node<TValue>? due;
                long now = _clock.NowMilliseconds(); // before the lock: see FindLive
                lock (segment.Lock)
                {
                    due = segment.Wheel.Advance(now);
                    for (Node<TValue>? node = due; node is not null; node = node.Links.WheelNext)
                    {
                        Unlink(segment, node);
                        segment.Expirations++;
                        reclaimed++;
                    }
                }

                if (_onRemoved is not null)
                {
                    for (Node<TValue>? node = due; node is not null; node = node.Links.WheelNext)
                    {
                        Notify(node.Key, node.Value, RemovalReason.Expired);
                    }
                }
            }

            return reclaimed;
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

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

    /// <summary>Raises the removal callback, reporting rather than propagating what it throws.</summary>
    internal void Notify(string key, TValue value, RemovalReason reason)
    {
        Action<string, TValue, RemovalReason>? onRemoved = _onRemoved;
        if (onRemoved is null)
        {
            return;
        }

        try
        {
            onRemoved(key, value, reason);
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _callbackErrors);
            try
            {
                _onCallbackError?.Invoke(ex);
            }
            catch (Exception)
            {
                // The error sink itself failed; the failure is already counted in CallbackErrors.
            }
        }
    }

    private enum WriteMode
    {
        Upsert,
        AddOnly,
    }

    private static bool IsWriteAtomic()
    {
        // The same rule the runtime's ConcurrentDictionary applies to update values in place.
        if (!typeof(TValue).IsValueType || typeof(TValue) == typeof(IntPtr) || typeof(TValue) == typeof(UIntPtr))
        {
            return true;
        }

        if (typeof(TValue) == typeof(bool) || typeof(TValue) == typeof(byte) || typeof(TValue) == typeof(sbyte) ||
            typeof(TValue) == typeof(char) || typeof(TValue) == typeof(short) || typeof(TValue) == typeof(ushort) ||
            typeof(TValue) == typeof(int) || typeof(TValue) == typeof(uint) || typeof(TValue) == typeof(float))
        {
            return true;
        }

        return IntPtr.Size == 8 &&
            (typeof(TValue) == typeof(long) || typeof(TValue) == typeof(ulong) || typeof(TValue) == typeof(double));
    }

    private static long ToMilliseconds(TimeSpan timeToLive, string paramName)
    {
        if (timeToLive == Timeout.InfiniteTimeSpan)
        {
            return NoTimeToLive;
        }

        if (timeToLive <= TimeSpan.Zero)
        {
            ThrowHelper.ThrowArgumentOutOfRange(paramName, timeToLive, "A time to live must be positive, or Timeout.InfiniteTimeSpan for no expiry.");
        }

        // Round up so that an entry never expires before the time it was given (without overflowing near MaxValue).
        long milliseconds = timeToLive.Ticks / TimeSpan.TicksPerMillisecond;
        return timeToLive.Ticks % TimeSpan.TicksPerMillisecond == 0 ? milliseconds : milliseconds + 1;
    }

    /// <summary>The deadline <paramref name="timeToLive"/> milliseconds after <paramref name="now"/>, saturating far in the future.</summary>
    private static long DeadlineAfter(long now, long timeToLive) =>
        timeToLive >= Node<TValue>.NoDeadline - 1 - now ? Node<TValue>.NoDeadline - 1 : now + timeToLive;

    private static ulong NextBucketCursor(ulong cursor, ulong mask)
    {
        // Redis's reverse-binary increment: count up in the high bits first, so that the buckets already visited
        // in a smaller table map to buckets already visited in a larger one.
        cursor |= ~mask;
        cursor = ReverseBits(cursor);
        cursor++;
        return ReverseBits(cursor);
    }

    private static ulong ReverseBits(ulong v)
    {
        v = ((v >> 1) & 0x5555555555555555UL) | ((v & 0x5555555555555555UL) << 1);
        v = ((v >> 2) & 0x3333333333333333UL) | ((v & 0x3333333333333333UL) << 2);
        v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((v & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return BinaryPrimitives.ReverseEndianness(v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Segment<TValue> SegmentFor(int hash) => _segments[SegmentIndex(hash)];

    /// <summary>The bucket array of the stripe for <paramref name="hash"/>, with acquire semantics.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Bucket<TValue>[] TableFor(int hash) => Volatile.Read(ref _tables[SegmentIndex(hash)]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool CountRead(Node<TValue>? node, [MaybeNullWhen(false)] out TValue value)
    {
        if (node is not null)
        {
            long deadline = node.Deadline;
            if (deadline == Node<TValue>.NoDeadline || deadline > _clock.NowMilliseconds())
            {
                value = node.Value; // after the acquire load of the deadline: see Node's remarks
                if (node.Visited == 0)
                {
                    node.Visited = 1; // test before store: a hot entry's line is not written on every read
                }

                _hits.Increment();
                return true;
            }
        }

        value = default;
        _misses.Increment();
        return false;
    }

    private bool IsLive(Node<TValue>? node)
    {
        if (node is null)
        {
            return false;
        }

        long deadline = node.Deadline;
        return deadline == Node<TValue>.NoDeadline || deadline > _clock.NowMilliseconds();
    }

    private TimeSpan? TimeToLiveOf(Node<TValue>? node)
    {
        if (node is null)
        {
            return null;
        }

        long deadline = node.Deadline;
        if (deadline == Node<TValue>.NoDeadline)
        {
            return Timeout.InfiniteTimeSpan;
        }

        long remaining = deadline - _clock.NowMilliseconds();
        return remaining > 0 ? TimeSpan.FromMilliseconds(remaining) : null;
    }

    private void ValidateKey(string key)
    {
        if (key is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(key));
        }

        ThrowIfDisposed();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            ThrowHelper.ThrowObjectDisposed(nameof(LocalCache<TValue>));
        }
    }

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

    /// <summary>Finds the live node for a key under the lock, reclaiming it first if it has expired.</summary>
    /// <remarks>
    /// <paramref name="now"/> is read by the caller before it takes the lock, as is every clock reading: a stripe lock
    /// is never held across a call into the <see cref="TimeProvider"/>. A provider may run due timer callbacks on the
    /// thread that reads it (<c>FakeTimeProvider</c> does), which would run the expiry sweep inside the write holding
    /// the lock (it is re-entrant) and unlink the very node the write is working on. The long soak found exactly that.
    /// </remarks>
    private Node<TValue>? FindLive(Segment<TValue> segment, string key, int hash, long now, ref PendingRemovals<TValue> pending)
    {
        Node<TValue>? node = segment.Find(key, hash);
        if (node is not null && node.HasDeadline && node.Deadline <= now)
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

    private bool Write(string key, TValue value, long timeToLive, WriteMode mode)
    {
        long weight = Weigh(key, value);
        long now = _clock.NowMilliseconds(); // before the lock: see FindLive
        long deadline = timeToLive == NoTimeToLive ? Node<TValue>.NoDeadline : DeadlineAfter(now, timeToLive);
        int hash = KeyHash.Fast(key);
        Segment<TValue> segment = SegmentFor(hash);
        var pending = default(PendingRemovals<TValue>);
        Node<TValue>? inserted = null;
        lock (segment.Lock)
        {
            Node<TValue>? node = FindLive(segment, key, hash, now, ref pending);
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
                inserted = segment.Insert(new Node<TValue>(key, BucketArray<TValue>.HashOf(segment.Buckets, key, hash), value, deadline, weight, ++segment.Stamp));
                Interlocked.Increment(ref _count);
                AddWeight(weight);
            }

            if (IsOverBound())
            {
                EvictOne(segment, inserted, ref pending);
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
        long stamp = ++segment.Stamp;
        if (_writesInPlace)
        {
            node.Value = value;
            node.Links.Stamp = stamp;
            segment.Weight += weight - node.Links.Weight;
            AddWeight(weight - node.Links.Weight);
            node.Links.Weight = weight;
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
            segment.Replace(node, new Node<TValue>(node.Key, node.Hash, value, deadline, weight, stamp));
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
            long stamp;
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
                stamp = node.Links.Stamp;
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

                if (node.Links.Stamp == stamp)
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SegmentIndex(int hash) => (int)((ulong)(uint)hash >> _segmentShift); // a 64-bit shift: 32 yields 0

    /// <summary>
    /// The background expiry timer. It holds the cache weakly, so a cache that is dropped without being disposed can
    /// still be collected; the timer then stops itself on its next tick.
    /// </summary>
    private sealed class SweepTimer
    {
        private readonly WeakReference<LocalCache<TValue>> _cache;
        private ITimer? _timer;

        private SweepTimer(LocalCache<TValue> cache) => _cache = new WeakReference<LocalCache<TValue>>(cache);

        internal static ITimer Start(LocalCache<TValue> cache, TimeProvider timeProvider, TimeSpan interval)
        {
            var state = new SweepTimer(cache);
            // Do not capture the creator's ExecutionContext (AsyncLocals) into a timer that lives as long as the cache.
            bool restoreFlow = !ExecutionContext.IsFlowSuppressed();
            AsyncFlowControl flow = restoreFlow ? ExecutionContext.SuppressFlow() : default;
            try
            {
                state._timer = timeProvider.CreateTimer(static s => ((SweepTimer)s!).Tick(), state, interval, interval);
            }
            finally
            {
                if (restoreFlow)
                {
                    flow.Undo();
                }
            }

            return state._timer;
        }

        private void Tick()
        {
            if (_cache.TryGetTarget(out LocalCache<TValue>? cache))
            {
                cache.SweepExpired();
            }
            else
            {
                _timer?.Dispose();
            }
        }
    }
}
