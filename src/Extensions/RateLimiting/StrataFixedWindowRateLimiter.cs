using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using Strata.Tiering;

namespace Strata.Extensions;

/// <summary>
/// A fixed-window <see cref="RateLimiter"/> for one partition (a user, an API key, ...) whose count lives in a
/// <see cref="TieredCache"/>: with Redis, every instance counts against the same number through
/// <see cref="CacheScope.IncrementAsync"/>, so the limit holds across the whole service, exactly.
/// </summary>
/// <remarks>
/// <para>
/// Each acquisition adds its permits to the window's counter (one Redis round trip, which also gives the counter the
/// window as its time to live when it creates it) and succeeds when the new count is within the limit. A refused lease
/// carries <see cref="MetadataName.RetryAfter"/>: the time until the window ends. There is no queue: a request over the
/// limit is refused at once.
/// </para>
/// <para>
/// With Redis configured, <see cref="RateLimiter.AttemptAcquire(int)"/> cannot know the count without a round trip and
/// never blocks for one: it returns a lease that is not acquired, without counting, and the caller is expected to use
/// <see cref="RateLimiter.AcquireAsync(int, CancellationToken)"/>, as ASP.NET Core's rate limiting middleware does when
/// the synchronous attempt fails. Without Redis, both decide at once.
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
    private readonly long _windowMilliseconds;
    private readonly bool _allowWhenUnavailable;
    private readonly TimeProvider _time;
    private long _lastUsed; // TimeProvider timestamp of the last acquisition, for IdleDuration
    private long _lastCount;
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
        _windowMilliseconds = (long)Math.Ceiling(options.Window.TotalMilliseconds);
        _allowWhenUnavailable = options.AllowWhenUnavailable;
        _time = options.TimeProvider ?? TimeProvider.System;
        _lastUsed = _time.GetTimestamp();
    }

    /// <inheritdoc/>
    public override TimeSpan? IdleDuration => _time.GetElapsedTime(Volatile.Read(ref _lastUsed));

    /// <inheritdoc/>
    public override RateLimiterStatistics GetStatistics() => new()
    {
        CurrentAvailablePermits = Math.Max(0, _permitLimit - Volatile.Read(ref _lastCount)),
        CurrentQueuedCount = 0,
        TotalSuccessfulLeases = Volatile.Read(ref _successfulLeases),
        TotalFailedLeases = Volatile.Read(ref _failedLeases),
    };

    /// <inheritdoc/>
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        CheckPermitCount(permitCount);
        if (_cache.State != TieredCacheState.LocalOnly)
        {
            return NotDecided; // a round trip is needed: AcquireAsync decides
        }

        ValueTask<RateLimitLease> lease = AcquireAsyncCore(permitCount, CancellationToken.None);
        return lease.IsCompletedSuccessfully ? lease.Result : NotDecided;
    }

    /// <inheritdoc/>
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        CheckPermitCount(permitCount);
        Volatile.Write(ref _lastUsed, _time.GetTimestamp());
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long window = now / _windowMilliseconds;
        TimeSpan untilNextWindow = TimeSpan.FromMilliseconds(((window + 1) * _windowMilliseconds) - now);
        string key = _keyPrefix + window.ToString(CultureInfo.InvariantCulture);
        if (permitCount == 0)
        {
            return CheckAsync(key, untilNextWindow, cancellationToken); // asks whether any permit is left, counting nothing
        }

        ValueTask<long?> counting = _cache.IncrementAsync(key, permitCount, untilNextWindow, cancellationToken);
        return counting.IsCompletedSuccessfully
            ? new ValueTask<RateLimitLease>(Decide(counting.Result, untilNextWindow))
            : DecideAsync(counting, untilNextWindow);
    }

    private async ValueTask<RateLimitLease> DecideAsync(ValueTask<long?> counting, TimeSpan untilNextWindow) =>
        Decide(await counting.ConfigureAwait(false), untilNextWindow);

    private async ValueTask<RateLimitLease> CheckAsync(string key, TimeSpan untilNextWindow, CancellationToken cancellationToken)
    {
        CacheResult<long> count = await _cache.GetAsync<long>(key, cancellationToken).ConfigureAwait(false);
        return count.Value < _permitLimit ? Acquired : Refused(untilNextWindow);
    }

    private RateLimitLease Decide(long? count, TimeSpan untilNextWindow)
    {
        if (count is not { } value)
        {
            return _allowWhenUnavailable ? Succeed() : Refused(untilNextWindow); // Redis unreachable: nothing was counted
        }

        Volatile.Write(ref _lastCount, value);
        return value <= _permitLimit ? Succeed() : Refused(untilNextWindow);
    }

    private RateLimitLease Succeed()
    {
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
