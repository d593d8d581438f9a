using System;
using System.Buffers;
using System.Collections.Generic;
using System.ComponentModel;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Tiering;

namespace Strata.Extensions;

#pragma warning disable RS0026 // overloads with optional parameters: the overridden members are HybridCache's own

/// <summary>
/// A <see cref="HybridCache"/> over a <see cref="TieredCache"/>: the same two tiers, stampede protection and tags,
/// with Strata's L1 (no serialization on a hit of an immutable type), its backplane and its fail-safe. Register it with
/// <see cref="StrataBuilder.AddHybridCache()"/>.
/// </summary>
/// <remarks>
/// It behaves as Microsoft's default implementation documents, with these readings:
/// <list type="bullet">
/// <item>A mutable type (anything but a value type, a <see cref="string"/>, or a sealed type marked
/// <c>[ImmutableObject(true)]</c>) reaches each caller as its own copy, made by a serialize and deserialize round trip
/// through the cache's serializer for the type (<see cref="CacheScope.GetSerializer{T}"/>); so does the copy L1 keeps.
/// An immutable type is shared, and its hit allocates nothing.</item>
/// <item><see cref="HybridCacheEntryOptions.Expiration"/> is the value's time to live (null: the default entry options',
/// else the cache's default); <see cref="HybridCacheEntryOptions.LocalCacheExpiration"/> is not used: L1 keeps a value
/// as long as Redis does, and the backplane removes it when it changes (<see cref="TieredCacheOptions.LocalTimeToLive"/>
/// bounds it for all values).</item>
/// <item>Every <see cref="HybridCacheEntryFlags"/> flag is honoured (see <see cref="CacheEntryFlags"/>); a write that
/// leaves a tier out removes the key's older value from it, so no tier serves a value older than the last write.</item>
/// <item><see cref="HybridCacheOptions.MaximumPayloadBytes"/>: a larger value stays in L1 and is kept out of Redis
/// (Redis's older value is removed). <see cref="HybridCacheOptions.MaximumKeyLength"/>: a longer key, or a null, empty,
/// white-space key, one with a control character, or one Strata cannot store (<see cref="TieredCache.IsValidKey"/>),
/// is not cached: the factory runs for each call and nothing throws. <see cref="HybridCacheOptions.DisableCompression"/>
/// is honoured. <see cref="HybridCacheOptions.ReportTagMetrics"/> and
/// <see cref="HybridCacheOptions.DistributedCacheServiceKey"/> do not apply: Strata's metrics are its own, and its
/// Redis tier is the <see cref="TieredCache"/>'s.</item>
/// <item>Tags are Strata tags (see <see cref="CacheEntryOptions.Tags"/>); <see cref="RemoveByTagAsync(string, CancellationToken)"/>
/// with <c>*</c> clears the whole cache, as <see cref="HybridCache"/> documents. Tags need a single Redis server or
/// L1 alone: on a Redis Cluster, tagged writes throw <see cref="NotSupportedException"/>.</item>
/// <item>The factory's token is cancelled when every caller waiting for the value has cancelled (or the cache is
/// disposed); a caller whose token cannot be cancelled keeps the run going, and a caller that cancels gets an
/// <see cref="OperationCanceledException"/> carrying its own token.</item>
/// <item>A value the serializer refuses throws to the caller and is not cached. An immutable value is serialized only
/// on its way to Redis, so with L1 alone it is never refused.</item>
/// </list>
/// </remarks>
public sealed partial class StrataHybridCache : HybridCache
{
    /// <summary>The tag that <see cref="RemoveByTagAsync(string, CancellationToken)"/> reads as "everything".</summary>
    private const string Everything = "*";

    /// <summary>Copy buffers larger than this are not kept for the next copy on the thread.</summary>
    private const int KeptBufferBytes = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_copyBuffer;

    private readonly TieredCache _cache;
    private readonly HybridCacheOptions _options;
    private readonly ILogger _log;
    private readonly int _maximumKeyLength;

    /// <summary>The options of a call without options or tags: the default entry options and the payload limit.</summary>
    private readonly CacheEntryOptions _defaults;

    // Untagged calls usually pass one shared options instance: its translation is made once.
    private readonly ConditionalWeakTable<HybridCacheEntryOptions, CacheEntryOptions> _translated = [];
    private readonly ConditionalWeakTable<HybridCacheEntryOptions, CacheEntryOptions>.CreateValueCallback _translate;

    // The serialized bytes of each mutable instance L1 holds, which nobody else can change: see Keep.
    private readonly ConditionalWeakTable<object, byte[]> _snapshots = [];

    /// <summary>Creates the adapter with Microsoft's default <see cref="HybridCacheOptions"/>.</summary>
    /// <param name="cache">The cache that holds the values.</param>
    public StrataHybridCache(TieredCache cache)
        : this(cache, new HybridCacheOptions())
    {
    }

    /// <summary>Creates the adapter.</summary>
    /// <param name="cache">The cache that holds the values.</param>
    /// <param name="options">The options Microsoft's <c>AddHybridCache</c> configures; see the remarks for how each applies.</param>
    /// <param name="logger">Where keys that cannot be cached are reported; null for nowhere.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="HybridCacheOptions.MaximumKeyLength"/> or <see cref="HybridCacheOptions.MaximumPayloadBytes"/> is zero or negative.</exception>
    public StrataHybridCache(TieredCache cache, HybridCacheOptions options, ILogger<StrataHybridCache>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaximumKeyLength, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaximumPayloadBytes, nameof(options));
        _cache = cache;
        _options = options;
        _log = logger ?? (ILogger)NullLogger.Instance;
        _maximumKeyLength = Math.Min(options.MaximumKeyLength, TieredCache.MaxKeyLength);
        _defaults = Translate(null);
        _translate = Translate;
    }

    /// <inheritdoc/>
    public override ValueTask<T> GetOrCreateAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (!IsCacheable(key))
        {
            return factory(state, cancellationToken); // not cached, as Microsoft's does with such a key
        }

        CacheEntryOptions translated = Options(options, tags);
        if ((Flags(options) & HybridCacheEntryFlags.DisableUnderlyingData) != 0)
        {
            return ReadOnlyAsync<T>(key, translated.Flags, cancellationToken);
        }

        if (Immutable<T>.Value)
        {
            return _cache.GetOrSetAsync(key, (State: state, Factory: factory), static (_, s, _, token) => s.Factory(s.State, token), translated, cancellationToken);
        }

        // L1 keeps a private copy of the factory's value (so the factory cannot change it afterwards, and a value the
        // serializer refuses fails the run rather than being cached), and each caller gets a copy of that.
        ValueTask<T> pending = _cache.GetOrSetAsync(
            key,
            (State: state, Factory: factory, Self: this),
            static async (_, s, _, token) => s.Self.Keep(await s.Factory(s.State, token).ConfigureAwait(false)),
            translated,
            cancellationToken);
        return pending.IsCompletedSuccessfully ? new ValueTask<T>(CopyOfCached(pending.Result)) : CopyWhenDoneAsync(pending);
    }

    /// <inheritdoc/>
    public override async ValueTask SetAsync<T>(string key, T value, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        if (!IsCacheable(key))
        {
            return;
        }

        await _cache.SetAsync(key, Immutable<T>.Value ? value : Keep(value), Options(options, tags), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        if (IsCacheable(key))
        {
            await _cache.RemoveAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override async ValueTask RemoveAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        if (keys is null)
        {
            return; // documented: null is empty
        }

        List<string> cached = [];
        foreach (string key in keys)
        {
            if (IsCacheable(key))
            {
                cached.Add(key);
            }
        }

        if (cached.Count > 0)
        {
            await _cache.RemoveManyAsync([.. cached], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override async ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (tag == Everything)
        {
            await _cache.ClearAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await _cache.RemoveByTagAsync(tag, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async ValueTask RemoveByTagAsync(IEnumerable<string> tags, CancellationToken cancellationToken = default)
    {
        if (tags is null)
        {
            return; // documented: null is empty
        }

        foreach (string tag in tags)
        {
            await RemoveByTagAsync(tag, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The instance L1 keeps of a mutable value: a copy made by a serialize and deserialize round trip through the
    /// serializer the cache uses for <typeparamref name="T"/>, which nobody else holds; its bytes are kept beside it
    /// (for as long as it lives), so the copy each hit hands out is a deserialization alone. A value read from Redis gets
    /// its bytes on its first hit (<see cref="CopyOfCached"/>). A value the serializer refuses throws here, before
    /// anything is cached.
    /// </summary>
    private T Keep<T>(T value)
    {
        if (value is null)
        {
            return value;
        }

        byte[] snapshot = Snapshot(value);
        T kept = _cache.GetSerializer<T>().Deserialize<T>(snapshot)!;
        _snapshots.AddOrUpdate(kept, snapshot);
        return kept;
    }

    /// <summary>A caller's copy of the instance L1 holds: from its snapshot, made now if it has none yet.</summary>
    private T CopyOfCached<T>(T cached)
    {
        if (cached is null)
        {
            return cached;
        }

        if (!_snapshots.TryGetValue(cached, out byte[]? snapshot))
        {
            snapshot = Snapshot(cached);
            _snapshots.AddOrUpdate(cached, snapshot);
        }

        return _cache.GetSerializer<T>().Deserialize<T>(snapshot)!;
    }

    private byte[] Snapshot<T>(T value)
    {
        ArrayBufferWriter<byte> buffer = t_copyBuffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        try
        {
            _cache.GetSerializer<T>().Serialize(value, buffer);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (buffer.Capacity > KeptBufferBytes)
            {
                t_copyBuffer = null; // a rare large value: its buffer goes with it
            }
        }
    }

    private async ValueTask<T> CopyWhenDoneAsync<T>(ValueTask<T> pending) => CopyOfCached(await pending.ConfigureAwait(false));

    private async ValueTask<T> ReadOnlyAsync<T>(string key, CacheEntryFlags flags, CancellationToken cancellationToken)
    {
        CacheResult<T> found = await _cache.GetAsync<T>(key, flags, cancellationToken).ConfigureAwait(false);
        if (!found.HasValue)
        {
            return default!;
        }

        return Immutable<T>.Value ? found.Value! : CopyOfCached(found.Value!);
    }

    /// <summary>
    /// Whether Strata caches values under <paramref name="key"/>: Microsoft's rules (not null, empty or white space, at
    /// most <see cref="HybridCacheOptions.MaximumKeyLength"/>, no control character) and Strata's own
    /// (<see cref="TieredCache.IsValidKey"/>). A key that fails is logged, and its call is not cached.
    /// </summary>
    private bool IsCacheable(string? key)
    {
        if (key is not null && key.Length <= _maximumKeyLength && !string.IsNullOrWhiteSpace(key) && !HasControlCharacter(key) && TieredCache.IsValidKey(key))
        {
            return true;
        }

        LogKeyNotCached(_log, key is null ? "(null)" : key.Length <= 64 ? key : string.Concat(key.AsSpan(0, 61), "..."), key?.Length ?? 0, _maximumKeyLength);
        return false;
    }

    private static bool HasControlCharacter(string key)
    {
        foreach (char c in key)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The flags of a call: its own, else the default entry options'.</summary>
    private HybridCacheEntryFlags Flags(HybridCacheEntryOptions? options) =>
        options?.Flags ?? _options.DefaultEntryOptions?.Flags ?? HybridCacheEntryFlags.None;

    /// <summary>Strata options for a call: shared for the defaults, cached per options instance when untagged.</summary>
    private CacheEntryOptions Options(HybridCacheEntryOptions? options, IEnumerable<string>? tags)
    {
        if (tags is null)
        {
            return options is null ? _defaults : _translated.GetValue(options, _translate);
        }

        CacheEntryOptions translated = Translate(options);
        foreach (string tag in tags)
        {
            if (tag is null)
            {
                throw new ArgumentException("A tag is null.", nameof(tags));
            }

            if (tag == Everything)
            {
                throw new ArgumentException($"'{Everything}' is reserved: removing it removes everything, so no entry can carry it.", nameof(tags));
            }

            translated.Tags.Add(tag);
        }

        return translated;
    }

    private CacheEntryOptions Translate(HybridCacheEntryOptions? options)
    {
        HybridCacheEntryFlags flags = Flags(options);
        CacheEntryFlags tiers = CacheEntryFlags.None;
        if ((flags & HybridCacheEntryFlags.DisableLocalCacheRead) != 0)
        {
            tiers |= CacheEntryFlags.DisableLocalRead;
        }

        if ((flags & HybridCacheEntryFlags.DisableLocalCacheWrite) != 0)
        {
            tiers |= CacheEntryFlags.DisableLocalWrite;
        }

        if ((flags & HybridCacheEntryFlags.DisableDistributedCacheRead) != 0)
        {
            tiers |= CacheEntryFlags.DisableRemoteRead;
        }

        if ((flags & HybridCacheEntryFlags.DisableDistributedCacheWrite) != 0)
        {
            tiers |= CacheEntryFlags.DisableRemoteWrite;
        }

        if ((flags & HybridCacheEntryFlags.DisableCompression) != 0 || _options.DisableCompression)
        {
            tiers |= CacheEntryFlags.DisableCompression;
        }

        return new CacheEntryOptions
        {
            TimeToLive = options?.Expiration ?? _options.DefaultEntryOptions?.Expiration,
            Flags = tiers,
            MaximumRemoteBytes = _options.MaximumPayloadBytes,
        };
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Key '{Key}' ({Length} characters) is not cached: it is null, empty or white space, longer than {MaximumKeyLength}, has a control character, or is one Strata cannot store. The factory runs on every call.")]
    private static partial void LogKeyNotCached(ILogger logger, string key, int length, int maximumKeyLength);

    /// <summary>Microsoft's rule for a type whose instances may be shared: a value type, a string, or a sealed type marked <c>[ImmutableObject(true)]</c>.</summary>
    private static class Immutable<T>
    {
        internal static readonly bool Value = Of(typeof(T));

        private static bool Of(Type type) =>
            type.IsValueType
            || type == typeof(string)
            || (type.IsSealed && type.GetCustomAttribute<ImmutableObjectAttribute>() is { Immutable: true });
    }
}
