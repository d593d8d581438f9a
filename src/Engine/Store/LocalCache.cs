using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Strata.Engine;

/// <summary>
/// An in-process cache of string keys: lock-free, allocation-free reads; striped writes; per-entry time to live
/// reclaimed by a timer wheel; an optional bound on entries or weight enforced by SIEVE
/// eviction with TinyLFU-style frequency admission; Redis-compatible
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
/// victim from its own stripe under the lock it already holds, and only if that is not enough visits the other
/// stripes one lock at a time. Removal callbacks are collected under the lock and raised after it is released.
/// </para>
/// <para>
/// Not provided: a read never extends a time to live (no sliding expiration); <see cref="Count"/> includes expired
/// entries the wheel has not reclaimed yet (at most about one second).
/// </para>
/// </remarks>
public sealed partial class LocalCache<TValue> : IDisposable
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

    // The eviction policy of a bounded cache (see LocalCache.Bound): null when unbounded, which evicts nothing.
    internal const double InitialClimbStep = 0.0625;
    private readonly FrequencySketch? _sketch;
    private readonly long _climbSample;   // reads per step of the window's hill climb: ten capacities
    // The climb is looked at every (mask + 1) evictions, at least 16: in a cache of one entry, looking at every
    // eviction (two counter sums) was 8 % of a cold GetManyAsync's time in its L1 fills, in a perf profile.
    private readonly int _climbCheckMask;
    private double _windowShare = 0.01;
    private double _climbRate = -1;
    private double _climbStep = InitialClimbStep;
    private int _climbDirection = 1;
    private bool _climbStarted; // whether the climb has taken its first reading, at the first evictions
    private long _climbHits;
    private long _climbReads;
    private int _climbTicks;
    private int _climbing;

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
        if (options.MaxEntries is not null || options.MaxWeight is not null)
        {
            // Sized by the entry bound; a cache bounded by weight alone is sized as for 65,536 entries.
            long capacity = options.MaxEntries ?? 65_536;
            _sketch = new FrequencySketch(capacity);
            _climbSample = 10 * capacity;
            _climbCheckMask = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(capacity / 8, 16, 256)) - 1;
        }

        int stripes = (int)BitOperations.RoundUpToPowerOf2((uint)(options.ConcurrencyLevel ?? DefaultStripes(options.MaxEntries)));
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

    /// <summary>
    /// The default stripes per processor. With four, writers on different cores met on one stripe often, and each
    /// write moves that stripe's lock word and counters to its own core: in a 50/50 Zipf(0.99) mix over 100,000 keys
    /// the cache lost 11 % from two threads to four, where <c>FastConcurrentLru</c>, which locks per entry, lost none.
    /// Each stripe costs about 2 KB: its lock, first buckets and timer wheel's slots. Figures in bench/RESULTS.md.
    /// </summary>
    internal const int StripesPerProcessor = 16;

    /// <summary>
    /// <see cref="StripesPerProcessor"/> stripes per processor, but at most one per
    /// <see cref="LocalCacheOptions{TValue}.MinEntriesPerStripe"/> entries of the entry bound: each stripe evicts from
    /// its own queues, and queues of a few entries each evict almost at random (on the recorded traces, a 50-entry
    /// cache in eight stripes lost up to 5 points of hit ratio).
    /// </summary>
    private static int DefaultStripes(long? maxEntries)
    {
        int stripes = Math.Min(LocalCacheOptions<TValue>.MaxConcurrencyLevel, Environment.ProcessorCount * StripesPerProcessor);
        return maxEntries is { } bound ? (int)Math.Clamp(bound / LocalCacheOptions<TValue>.MinEntriesPerStripe, 1, stripes) : stripes;
    }

    /// <summary>The number of stripes; for tests.</summary>
    internal int StripeCount => _segments.Length;

    /// <summary>The eviction window's share of the cache, as the climb left it; for tests.</summary>
    internal double WindowShare => Volatile.Read(ref _windowShare);

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

    /// <summary>
    /// Gets the value stored for <paramref name="key"/> like <see cref="TryGet(string, out TValue)"/>, but quietly: the
    /// look-up is counted neither as a hit nor as a miss, and does not mark the entry as recently used, so eviction
    /// treats it as unread. For bookkeeping reads of a layer built on the cache, which must not skew its hit ratio.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value when found; otherwise the default.</param>
    /// <returns><see langword="true"/> when a live entry exists.</returns>
    public bool TryPeek(string key, [MaybeNullWhen(false)] out TValue value)
    {
        if (key is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(key));
        }

        ThrowIfDisposed();
        int hash = KeyHash.Fast(key);
        Node<TValue>? node = BucketArray<TValue>.Find(TableFor(hash), key, hash);
        if (IsLive(node))
        {
            value = node!.Value; // after IsLive's acquire load of the deadline: see Node's remarks
            return true;
        }

        value = default;
        return false;
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

    /// <summary>Gets the remaining time to live of <paramref name="key"/> (Redis <c>PTTL</c>).</summary>
    /// <param name="key">The key.</param>
    /// <returns>
    /// <see langword="null"/> when the key is missing or expired, <see cref="Timeout.InfiniteTimeSpan"/> when it has
    /// no expiry, else the remaining time in whole milliseconds. Every time to live is kept to the millisecond (rounded
    /// up, like Redis's <c>PX</c>), so right after a write with <see cref="TimeSpan.MaxValue"/> the remaining time is
    /// past what a <see cref="TimeSpan"/> holds, where Redis's <c>PTTL</c> would answer 922,337,203,685,478: it reads as
    /// <see cref="TimeSpan.MaxValue"/>.
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
                    _sketch?.Increment(node.Hash); // once per visit, not per hit: see FrequencySketch
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

        // A deadline is in milliseconds, which reach past TimeSpan.MaxValue (a time to live of MaxValue is rounded up
        // to 922,337,203,685,478 ms, as Redis's PX would be): a remaining time beyond it reads as MaxValue.
        long remaining = deadline - _clock.NowMilliseconds();
        return remaining <= 0 ? null
            : remaining > TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMillisecond ? TimeSpan.MaxValue
            : TimeSpan.FromTicks(remaining * TimeSpan.TicksPerMillisecond);
    }

    private void ValidateKey(string key, string parameterName = "key")
    {
        if (key is null)
        {
            ThrowHelper.ThrowArgumentNull(parameterName);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SegmentIndex(int hash) => (int)((ulong)(uint)hash >> _segmentShift); // a 64-bit shift: 32 yields 0
}
