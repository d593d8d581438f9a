using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using Strata.Tiering;

namespace Strata.Extensions;

/// <summary>
/// A fixed-window <see cref="RateLimiter"/> for one partition (a user, an API key, ...) whose count lives in a
/// <see cref="TieredCache"/>: with Redis, every instance counts against the same number through
/// <see cref="CacheScope.IncrementAsync"/>, so the limit holds across the whole service, and most acquisitions make
/// no round trip: each instance reserves permits from the shared count in batches and grants them locally.
/// </summary>
/// <remarks>
/// <para>
/// <b>Allowances.</b> When its local allowance for the current window cannot cover a request, an instance adds a batch
/// to the window's counter in Redis (one round trip, which also gives the counter the window as its time to live) and
/// keeps the permits the new count shows are within the limit; concurrent requests wait for that one reservation
/// instead of making their own. The batch grows adaptively: it starts at one permit in every window and doubles with
/// each reservation in the same window (a partition that sends n requests in a window costs about log2 n round trips),
/// but never exceeds an eighth of the limit, nor half of what the last reservation saw left, so the last permits are
/// not stranded on one instance. Without Redis every reservation is of exactly the permits asked for.
/// </para>
/// <para>
/// <b>Overshoot.</b> While Redis answers there is none: a permit is granted only once the window's shared count, read
/// back from the same increment, shows it is within the limit, so across any number of instances the permits granted
/// in a window never exceed <see cref="StrataFixedWindowRateLimiterOptions.PermitLimit"/>. Windows are placed by each
/// instance's clock, so instances whose clocks differ by <c>s</c> may each spend a window's permits up to <c>s</c>
/// apart, as with any fixed window. The price of batching is the other way: permits reserved by one instance and not
/// used there (at most its last batch: an eighth of the limit, and at most half of what was left) are refused to
/// the others until the window ends.
/// </para>
/// <para>
/// <b>Redis unreachable.</b> An allowance already held is still granted. Beyond it, with
/// <see cref="StrataFixedWindowRateLimiterOptions.AllowWhenUnavailable"/> (the default) each instance goes on alone,
/// granting at most the limit per window itself, so the largest overshoot while Redis is down is
/// <c>(instances - 1) × PermitLimit</c> per window; without it, requests beyond the allowance are refused.
/// </para>
/// <para>
/// A refused lease carries <see cref="MetadataName.RetryAfter"/>: the time until the window ends. There is no queue:
/// a request over the limit is refused at once. <see cref="RateLimiter.AttemptAcquire(int)"/> decides at once when
/// the local allowance covers the request, when the window is known to be spent, or without Redis; otherwise it
/// returns a lease that is not acquired, without counting, and the caller is expected to use
/// <see cref="RateLimiter.AcquireAsync(int, CancellationToken)"/>, as ASP.NET Core's rate limiting middleware does when
/// the synchronous attempt fails.
/// </para>
/// <para>Use it per partition through <see cref="StrataRateLimitPartition.GetFixedWindowLimiter{TKey}"/>.</para>
/// </remarks>
public sealed class StrataFixedWindowRateLimiter : RateLimiter
{
    private static readonly RateLimitLease Acquired = new WindowLease(true, null);
    private static readonly RateLimitLease NotDecided = new WindowLease(false, null);

    private readonly TieredCache _cache;
    private readonly string _keyPrefix;
    private readonly int _permitLimit;
    private readonly int _largestBatch;
    private readonly long _windowMilliseconds;
    private readonly bool _allowWhenUnavailable;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    // The current window's state, under _gate.
    private long _window = -1;
    private int _allowance;     // permits reserved in Redis for this window and not granted yet
    private int _batch;         // the next reservation's size
    private long _spent;        // permits granted on this instance in this window
    private long _knownCount;   // the window's shared count as the last reservation saw it
    private Task<bool>? _reserving;   // the reservation in flight for this window, which concurrent requests wait for

    private long _lastUsed; // TimeProvider timestamp of the last acquisition, for IdleDuration
    private long _successfulLeases;
    private long _failedLeases;

    /// <summary>Creates the limiter of one partition.</summary>
    /// <param name="cache">The cache that holds the counts.</param>
    /// <param name="partitionKey">The partition: every limiter with the same key and prefix shares one count per window.</param>
    /// <param name="options">The limit and the window.</param>
    /// <exception cref="ArgumentException">An argument is null or empty, or a setting is out of range; the message names it.</exception>
    public StrataFixedWindowRateLimiter(TieredCache cache, string partitionKey, StrataFixedWindowRateLimiterOptions options)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentException.ThrowIfNullOrEmpty(partitionKey);
        ArgumentNullException.ThrowIfNull(options);
        if (options.PermitLimit <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.PermitLimit, $"{nameof(options.PermitLimit)} must be positive.");
        }

        if (options.Window < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Window, $"{nameof(options.Window)} must be at least a millisecond.");
        }

        if (string.IsNullOrEmpty(options.KeyPrefix))
        {
            throw new ArgumentException($"{nameof(options.KeyPrefix)} must not be empty.", nameof(options));
        }

        _cache = cache;
        _keyPrefix = CacheKey.Join(options.KeyPrefix, partitionKey) + CacheKey.Separator;
        _permitLimit = options.PermitLimit;
        _largestBatch = Math.Max(1, options.PermitLimit / 8);
        _windowMilliseconds = (long)Math.Ceiling(options.Window.TotalMilliseconds);
        _allowWhenUnavailable = options.AllowWhenUnavailable;
        _time = options.TimeProvider ?? TimeProvider.System;
        _lastUsed = _time.GetTimestamp();
    }

    /// <inheritdoc/>
    public override TimeSpan? IdleDuration => _time.GetElapsedTime(Volatile.Read(ref _lastUsed));

    /// <inheritdoc/>
    /// <remarks>
    /// <see cref="RateLimiterStatistics.CurrentAvailablePermits"/> is what the window's shared count had left when this
    /// instance last reserved, plus its own allowance: other instances may have taken some since.
    /// </remarks>
    public override RateLimiterStatistics GetStatistics()
    {
        long available;
        lock (_gate)
        {
            available = Math.Max(0, _permitLimit - _knownCount) + _allowance;
        }

        return new()
        {
            CurrentAvailablePermits = available,
            CurrentQueuedCount = 0,
            TotalSuccessfulLeases = Volatile.Read(ref _successfulLeases),
            TotalFailedLeases = Volatile.Read(ref _failedLeases),
        };
    }

    /// <inheritdoc/>
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        CheckPermitCount(permitCount);
        Volatile.Write(ref _lastUsed, _time.GetTimestamp());
        while (true)
        {
            // Without Redis a reservation completes at once; with it, a round trip is needed and AcquireAsync decides.
            if (DecideOrReserve(permitCount, reserve: _cache.State == TieredCacheState.LocalOnly, out Task<bool>? reserving) is { } decided)
            {
                return decided;
            }

            if (reserving is not { IsCompleted: true })
            {
                return NotDecided;
            }

            if (!reserving.GetAwaiter().GetResult()) // completed: this does not block
            {
                return DecideAlone(permitCount);
            }
        }
    }

    /// <inheritdoc/>
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        CheckPermitCount(permitCount);
        Volatile.Write(ref _lastUsed, _time.GetTimestamp());
        while (true)
        {
            if (DecideOrReserve(permitCount, reserve: true, out Task<bool>? reserving) is { } decided)
            {
                return decided;
            }

            if (!await reserving!.WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                return DecideAlone(permitCount);
            }
        }
    }

    /// <summary>
    /// Decides from what this instance knows, or, when a reservation must decide and <paramref name="reserve"/> allows,
    /// gives the one to wait for (starting it if none is in flight).
    /// </summary>
    private RateLimitLease? DecideOrReserve(int permitCount, bool reserve, out Task<bool>? reserving)
    {
        lock (_gate)
        {
            if (TryDecide(permitCount, out RateLimitLease? decided, out TimeSpan untilNextWindow))
            {
                reserving = null;
                return decided;
            }

            reserving = reserve ? StartReserving(permitCount, untilNextWindow) : null;
            return null;
        }
    }

    /// <summary>Under the gate: grants or refuses from what this instance knows, or returns false when a reservation must decide.</summary>
    private bool TryDecide(int permitCount, [NotNullWhen(true)] out RateLimitLease? lease, out TimeSpan untilNextWindow)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long window = now / _windowMilliseconds;
        if (window > _window)
        {
            _window = window;
            _allowance = 0;
            _batch = 1;
            _spent = 0;
            _knownCount = 0;
            _reserving = null; // one for the last window may still be in flight: it finds the window changed and keeps nothing
        }

        // A clock set back stays in the window it had reached rather than counting an old window's key again.
        untilNextWindow = TimeSpan.FromMilliseconds(Math.Max(1, ((_window + 1) * _windowMilliseconds) - now));
        if (permitCount == 0)
        {
            lease = _allowance > 0 || _knownCount < _permitLimit ? Succeed(0) : Refused(untilNextWindow); // counts nothing
            return true;
        }

        if (_allowance >= permitCount)
        {
            _allowance -= permitCount;
            lease = Succeed(permitCount);
            return true;
        }

        if (_knownCount >= _permitLimit)
        {
            lease = Refused(untilNextWindow); // the shared count is spent: nothing more this window
            return true;
        }

        lease = null;
        return false;
    }

    /// <summary>Under the gate: the reservation in flight, or a new one sized for this request and the window's pace.</summary>
    private Task<bool> StartReserving(int permitCount, TimeSpan untilNextWindow)
    {
        if (_reserving is { } inFlight)
        {
            return inFlight;
        }

        int needed = permitCount - _allowance;
        int batch = _cache.State == TieredCacheState.LocalOnly
            ? needed // one instance: nothing to save, so reserve exactly
            : (int)Math.Max(needed, Math.Min(Math.Min(_batch, _largestBatch), Math.Max(1, (_permitLimit - _knownCount) / 2)));
        Task<bool> started = ReserveAsync(_window, batch, untilNextWindow);
        if (!started.IsCompleted)
        {
            _reserving = started; // a reservation that completed at once has already applied its result
        }

        return started;
    }

    /// <summary>Adds a batch to the window's shared count and keeps what is within the limit; false when Redis cannot be reached.</summary>
    private async Task<bool> ReserveAsync(long window, int batch, TimeSpan untilNextWindow)
    {
        long? count = null;
        try
        {
            count = await _cache.IncrementAsync(_keyPrefix + window.ToString(CultureInfo.InvariantCulture), batch, untilNextWindow).ConfigureAwait(false);
            return count is not null;
        }
        finally
        {
            lock (_gate)
            {
                if (window == _window)
                {
                    _reserving = null;
                    if (count is { } value)
                    {
                        _knownCount = value;
                        _allowance += (int)Math.Clamp(_permitLimit - (value - batch), 0, batch); // the part of the batch within the limit
                        _batch = (int)Math.Min(_largestBatch, 2L * batch);
                    }
                }
            }
        }
    }

    /// <summary>After a reservation found Redis unreachable: grants within this instance's own count, or refuses.</summary>
    private RateLimitLease DecideAlone(int permitCount)
    {
        lock (_gate)
        {
            if (TryDecide(permitCount, out RateLimitLease? decided, out TimeSpan untilNextWindow))
            {
                return decided; // an allowance arrived meanwhile, or the window is known to be spent
            }

            return _allowWhenUnavailable && _spent + _allowance + permitCount <= _permitLimit ? Succeed(permitCount) : Refused(untilNextWindow);
        }
    }

    private RateLimitLease Succeed(int permitCount)
    {
        _spent += permitCount;
        Interlocked.Increment(ref _successfulLeases);
        return Acquired;
    }

    private WindowLease Refused(TimeSpan retryAfter)
    {
        Interlocked.Increment(ref _failedLeases);
        return new WindowLease(false, retryAfter);
    }

    private void CheckPermitCount(int permitCount)
    {
        if (permitCount < 0 || permitCount > _permitLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(permitCount), permitCount, $"The permit count must be between 0 and the limit, {_permitLimit}.");
        }
    }

    private sealed class WindowLease(bool isAcquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired { get; } = isAcquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (retryAfter is { } value && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = value;
                return true;
            }

            metadata = null;
            return false;
        }
    }
}
