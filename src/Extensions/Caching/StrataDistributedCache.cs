using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Distributed;
using Strata.Tiering;

namespace Strata.Extensions;

/// <summary>
/// An <see cref="IDistributedCache"/> over a <see cref="TieredCache"/>: code written for <see cref="IDistributedCache"/>
/// reads from L1 without a round trip and stays coherent across instances through the backplane.
/// </summary>
/// <remarks>
/// <para>
/// Each value is stored as raw bytes (no serializer) behind a 17-byte header: a version byte, the sliding window and
/// the absolute expiry in milliseconds. The entry's time to live is the shorter of what is left of the absolute
/// expiration and the sliding window; with neither, the cache's <see cref="TieredCacheOptions.DefaultTimeToLive"/>
/// applies (none by default, as in other implementations).
/// </para>
/// <para>
/// Sliding expiration: a read (or <see cref="Refresh"/>) of an entry with a sliding window gives it a new time to
/// live, never past its absolute expiration; that costs a Redis round trip on every such read, as it does in
/// Microsoft's Redis implementation. The synchronous methods block on Redis when L1 cannot answer; prefer the
/// asynchronous ones.
/// </para>
/// <para>
/// <see cref="IBufferDistributedCache"/>: <see cref="TryGetAsync"/> writes the stored bytes straight into the caller's
/// writer (from L1 on a hit: no array is made), and <see cref="SetAsync(string, ReadOnlySequence{byte}, DistributedCacheEntryOptions, CancellationToken)"/>
/// copies the sequence once, into the entry it stores. Argument exceptions name the parameters Microsoft's
/// implementations name.
/// </para>
/// </remarks>
#pragma warning disable RS0026 // overloads with optional parameters: the implemented members are the interfaces' own
public sealed class StrataDistributedCache : IBufferDistributedCache
{
    private const byte FormatVersion = 1;
    private const int HeaderLength = 17;

    private readonly TieredCache _cache;
    private readonly TimeProvider _time;

    /// <summary>Creates the adapter.</summary>
    /// <param name="cache">The cache that holds the values.</param>
    /// <param name="timeProvider">The clock for absolute expirations; null for the system clock.</param>
    public StrataDistributedCache(TieredCache cache, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    public byte[]? Get(string key) => Wait(GetAsync(key));

    /// <inheritdoc/>
    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        byte[]? stored = await ReadAndSlideAsync(key, token).ConfigureAwait(false);
        return stored?.AsSpan(HeaderLength).ToArray();
    }

    /// <inheritdoc/>
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => Wait(SetAsync(key, value, options));

    /// <inheritdoc/>
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        return StoreAsync(key, new ReadOnlySequence<byte>(value), options, token).AsTask();
    }

    /// <inheritdoc/>
    public bool TryGet(string key, IBufferWriter<byte> destination) => TryGetAsync(key, destination).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(destination);
        byte[]? stored = await ReadAndSlideAsync(key, token).ConfigureAwait(false);
        if (stored is null)
        {
            return false;
        }

        destination.Write(stored.AsSpan(HeaderLength));
        return true;
    }

    /// <inheritdoc/>
    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) =>
        SetAsync(key, value, options).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(options);
        return StoreAsync(key, value, options, token);
    }

    /// <summary>Stores the header and <paramref name="value"/> in one array: the only copy of the caller's bytes.</summary>
    private async ValueTask StoreAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token)
    {
        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset? absolute = AbsoluteExpiration(options, now);
        long sliding = 0;
        if (options.SlidingExpiration is { } window)
        {
            if (window <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(options), window, "The sliding expiration must be positive.");
            }

            sliding = (long)Math.Ceiling(window.TotalMilliseconds);
        }

        var stored = new byte[checked(HeaderLength + (int)value.Length)];
        stored[0] = FormatVersion;
        BinaryPrimitives.WriteInt64LittleEndian(stored.AsSpan(1), sliding);
        BinaryPrimitives.WriteInt64LittleEndian(stored.AsSpan(9), absolute?.ToUnixTimeMilliseconds() ?? 0);
        value.CopyTo(stored.AsSpan(HeaderLength));
        await _cache.SetAsync(key, stored, TimeToLive(sliding, absolute, now), token).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Refresh(string key) => Wait(RefreshAsync(key));

    /// <inheritdoc/>
    public async Task RefreshAsync(string key, CancellationToken token = default) =>
        _ = await ReadAndSlideAsync(key, token).ConfigureAwait(false);

    /// <inheritdoc/>
    public void Remove(string key) => Wait(RemoveAsync(key));

    /// <inheritdoc/>
    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        await _cache.RemoveAsync(key, token).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads an entry (header included) and, when it has a sliding window, gives it a new time to live: what both a read
    /// and a refresh do. Null when missing or not written by this adapter.
    /// </summary>
    private async ValueTask<byte[]?> ReadAndSlideAsync(string key, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(key);
        CacheResult<byte[]> stored = await _cache.GetAsync<byte[]>(key, token).ConfigureAwait(false);
        if (!stored.HasValue || !TryReadHeader(stored.Value, out long sliding, out long absolute))
        {
            return null;
        }

        if (sliding > 0)
        {
            await SlideAsync(key, sliding, absolute, token).ConfigureAwait(false);
        }

        return stored.Value;
    }

    private async ValueTask SlideAsync(string key, long sliding, long absoluteUnixMilliseconds, CancellationToken token)
    {
        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset? absolute = absoluteUnixMilliseconds == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(absoluteUnixMilliseconds);
        if (TimeToLive(sliding, absolute, now) is { } ttl)
        {
            await _cache.SetTimeToLiveAsync(key, ttl, token).ConfigureAwait(false);
        }
    }

    private static DateTimeOffset? AbsoluteExpiration(DistributedCacheEntryOptions options, DateTimeOffset now)
    {
        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            if (relative <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(options), relative, "The relative expiration must be positive.");
            }

            return now + relative;
        }

        if (options.AbsoluteExpiration is { } absolute && absolute <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(options), absolute, "The absolute expiration must be in the future.");
        }

        return options.AbsoluteExpiration;
    }

    /// <summary>The shorter of the sliding window and what is left before the absolute expiry; null for neither.</summary>
    private static TimeSpan? TimeToLive(long slidingMilliseconds, DateTimeOffset? absolute, DateTimeOffset now)
    {
        TimeSpan? ttl = slidingMilliseconds > 0 ? TimeSpan.FromMilliseconds(slidingMilliseconds) : null;
        if (absolute is { } end)
        {
            TimeSpan left = end - now;
            if (left <= TimeSpan.Zero)
            {
                left = TimeSpan.FromMilliseconds(1); // expiring: the shortest time Redis takes
            }

            ttl = ttl is { } s && s < left ? s : left;
        }

        return ttl;
    }

    private static bool TryReadHeader(byte[]? stored, out long sliding, out long absolute)
    {
        if (stored is null || stored.Length < HeaderLength || stored[0] != FormatVersion)
        {
            sliding = absolute = 0;
            return false; // not written by this adapter
        }

        sliding = BinaryPrimitives.ReadInt64LittleEndian(stored.AsSpan(1));
        absolute = BinaryPrimitives.ReadInt64LittleEndian(stored.AsSpan(9));
        return true;
    }

    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private static void Wait(Task task) => task.GetAwaiter().GetResult();
}
