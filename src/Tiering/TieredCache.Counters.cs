using System;
using System.Buffers.Text;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>Counters: atomic increments whose time to live is set when they are created (the rate-limit pattern).</summary>
public sealed partial class TieredCache
{
    // INCRBY, and PEXPIRE only when the counter is new, atomically. The count comes back as the string Redis stores:
    // Lua numbers are doubles and would round counts past 2^53.
    private const string IncrementScript = """
        local created = redis.call('EXISTS', KEYS[1]) == 0
        redis.call('INCRBY', KEYS[1], ARGV[1])
        if created and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return redis.call('GET', KEYS[1])
        """;

    /// <summary>
    /// Adds <paramref name="delta"/> to a counter and returns the new count; a missing counter starts at zero and gets
    /// <paramref name="timeToLiveWhenCreated"/>, which later increments leave alone (a fixed rate-limit window).
    /// </summary>
    /// <remarks>
    /// Tiered, the counter lives in Redis only (<c>INCRBY</c> and <c>PEXPIRE</c> in one script), so counts are exact
    /// across instances and no L1 serves a stale one; <see cref="GetAsync{T}"/> with <see cref="long"/> reads it there.
    /// L1-only, it is an entry updated atomically in L1. <see cref="SetTimeToLiveAsync"/>,
    /// <see cref="GetTimeToLiveAsync"/> and <see cref="RemoveAsync"/> work on counters as on values.
    /// </remarks>
    /// <param name="key">The key.</param>
    /// <param name="delta">What to add; negative to count down.</param>
    /// <param name="timeToLiveWhenCreated">Positive, or null for <see cref="TieredCacheOptions.DefaultTimeToLive"/>.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The new count; null when the cache is tiered and Redis cannot be reached (nothing was counted).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeToLiveWhenCreated"/> is zero or negative, or longer than <see cref="TieredCache.MaxTimeToLive"/>.</exception>
    /// <exception cref="InvalidOperationException">The key holds a value that is not a counter.</exception>
    /// <exception cref="OverflowException">The count would leave the range of <see cref="long"/>.</exception>
    public ValueTask<long?> IncrementAsync(string key, long delta = 1, TimeSpan? timeToLiveWhenCreated = null, CancellationToken cancellationToken = default)
    {
        TimeSpan? timeToLive = TimeToLiveGuard.Positive(timeToLiveWhenCreated, nameof(timeToLiveWhenCreated)) ?? _defaultTimeToLive;
        return IncrementChecked(key, delta, timeToLive, cancellationToken);
    }

    /// <summary>The increment of the cache and of its namespaces; <paramref name="timeToLive"/> is resolved (null: none).</summary>
    internal ValueTask<long?> IncrementChecked(string key, long delta, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        KeyGuard.NotReserved(key, nameof(key));
        cancellationToken.ThrowIfCancellationRequested();
        if (_database is null)
        {
            return new ValueTask<long?>(IncrementLocal(key, delta, timeToLive));
        }

        return IsRemoteUsable() ? IncrementRemoteAsync(key, delta, timeToLive, cancellationToken) : new ValueTask<long?>((long?)null);
    }

    private long IncrementLocal(string key, long delta, TimeSpan? timeToLive)
    {
        while (true)
        {
            if (_local.TryGet(key, out LocalEntry? entry))
            {
                if (entry is not CounterEntry)
                {
                    throw NotACounter(key);
                }

                long count = 0;
                if (_local.TryUpdate(key, current => current is CounterEntry counter ? new CounterEntry(count = checked(counter.Count + delta)) : throw NotACounter(key)))
                {
                    return count;
                }

                continue; // it expired or was removed meanwhile: start a new counter
            }

            var created = new CounterEntry(delta);
            if (timeToLive is { } ttl ? _local.TryAdd(key, created, ttl) : _local.TryAdd(key, created))
            {
                return delta;
            }
        }
    }

    private async ValueTask<long?> IncrementRemoteAsync(string key, long delta, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        long px = Milliseconds(timeToLive); // -1: none (the script sets a PX only when it is positive)
        RedisResult reply;
        RemoteCall call = BeginRemote(RemoteOperation.Increment);
        try
        {
            reply = await _database!.ScriptEvaluateAsync(IncrementScript, [RemoteKey(key)], [delta, px]).WaitAsync(cancellationToken).ConfigureAwait(false);
            OnRemoteSuccess(call);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("overflow", StringComparison.Ordinal))
        {
            OnRemoteSuccess(call); // Redis answered: the failure is the caller's
            throw new OverflowException($"Counter '{key}' would leave the range of a 64-bit integer.", ex);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("not an integer", StringComparison.Ordinal) || ex.Message.Contains("WRONGTYPE", StringComparison.Ordinal))
        {
            OnRemoteSuccess(call);
            throw NotACounter(key, ex);
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            OnRemoteFailure(ex, call);
            return null;
        }

        return long.Parse((string)reply!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }

    /// <summary>Reads a counter as Redis stores it: the decimal digits of a 64-bit integer.</summary>
    private static bool TryReadCounter(ReadOnlySpan<byte> bytes, out long count) =>
        Utf8Parser.TryParse(bytes, out count, out int used) && used == bytes.Length && bytes.Length > 0;

    private static InvalidOperationException NotACounter(string key, Exception? inner = null) =>
        new($"Key '{key}' holds a value that is not a counter; IncrementAsync counts only keys it created.", inner);
}
