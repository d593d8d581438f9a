using System;
using System.Collections.Generic;

namespace Strata.Tiering;

/// <summary>
/// How one value is cached: its time to live, the secondary indexes and tags it is listed under and, for
/// <see cref="CacheScope.GetOrSetAsync{T}(string, Func{string, CacheEntryContext, System.Threading.CancellationToken, System.Threading.Tasks.ValueTask{T}}, CacheEntryOptions?, System.Threading.CancellationToken)"/>, when it is refreshed early and whether a stale copy may stand in for a
/// failed factory. Settings are checked as they are set (indexes and tags when a write uses them), so one instance can
/// be shared by every call that caches the same kind of value.
/// </summary>
public sealed class CacheEntryOptions
{
    private readonly TimeSpan? _timeToLive;
    private readonly double? _eagerRefreshThreshold;
    private Dictionary<string, string>? _indexes;
    private HashSet<string>? _tags;
    private CacheEntryFlags _flags;
    private long? _maximumRemoteBytes;

    internal const CacheEntryFlags AllFlags = CacheEntryFlags.DisableLocal | CacheEntryFlags.DisableRemote | CacheEntryFlags.DisableCompression;

    /// <summary>
    /// Gets the time to live; <see langword="null"/> (the default) for the cache's or namespace's default.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? TimeToLive
    {
        get => _timeToLive;
        init => _timeToLive = TimeToLiveGuard.Positive(value, nameof(TimeToLive));
    }

    /// <summary>
    /// Gets the fraction of the time to live after which a hit still returns the cached value at once but also starts
    /// one background refresh through the factory, so that a hot key never expires in front of its readers; for
    /// example 0.8. <see langword="null"/> (the default) turns early refresh off. Applies to values with a time to live.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not strictly between 0 and 1.</exception>
    public double? EagerRefreshThreshold
    {
        get => _eagerRefreshThreshold;
        init
        {
            if (value is { } threshold && !(threshold > 0 && threshold < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(EagerRefreshThreshold), threshold, "The threshold is a fraction of the time to live, strictly between 0 and 1.");
            }

            _eagerRefreshThreshold = value;
        }
    }

    /// <summary>
    /// Gets whether a factory that throws is answered with the stale value, when one is still within
    /// <see cref="TieredCacheOptions.FailSafeMaxDuration"/>, instead of the exception. Default <see langword="true"/>;
    /// without a fail-safe window there is never a stale value and the exception always reaches the caller.
    /// </summary>
    public bool ServeStaleOnFactoryError { get; init; } = true;

    /// <summary>
    /// Gets the tiers this call leaves out (see <see cref="CacheEntryFlags"/>); <see cref="CacheEntryFlags.None"/> (the
    /// default) uses both.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value has a bit <see cref="CacheEntryFlags"/> does not define.</exception>
    public CacheEntryFlags Flags
    {
        get => _flags;
        init
        {
            if ((value & ~AllFlags) != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(Flags), value, "The flags have a bit CacheEntryFlags does not define.");
            }

            _flags = value;
        }
    }

    /// <summary>
    /// Gets the size, in bytes, of the largest envelope written to Redis; a larger value stays in this instance's L1,
    /// and the key's Redis value is removed, as for <see cref="CacheEntryFlags.DisableRemoteWrite"/>.
    /// <see langword="null"/> (the default) for no limit.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public long? MaximumRemoteBytes
    {
        get => _maximumRemoteBytes;
        init
        {
            if (value is <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(MaximumRemoteBytes), value, "The limit is a positive number of bytes.");
            }

            _maximumRemoteBytes = value;
        }
    }

    /// <summary>
    /// Gets the secondary indexes the value is listed under, name to value: with <c>Indexes = { ["user"] = "alice" }</c>
    /// the value comes back from <see cref="CacheScope.GetByIndexAsync{T}"/>("user", "alice") until it expires, is
    /// removed, or is overwritten without that index. A name is not empty and contains no <c>:</c>.
    /// </summary>
    public IDictionary<string, string> Indexes => _indexes ??= new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Gets the tags of the value, such as <c>org:7</c>: <see cref="CacheScope.RemoveByTagAsync"/> removes every value
    /// carrying a tag, on every instance. A tag is not empty.
    /// </summary>
    public ISet<string> Tags => _tags ??= new HashSet<string>(StringComparer.Ordinal);

    internal static CacheEntryOptions Default { get; } = new();

    /// <summary>Gets whether a fresh L1 value answers a get-or-set at once: L1 is read, and no early refresh is to be considered.</summary>
    internal bool AllowsPlainHit => _eagerRefreshThreshold is null && (_flags & CacheEntryFlags.DisableLocalRead) == 0;

    /// <summary>Gets whether a write with these options lists the value under any index or tag.</summary>
    internal bool HasGroups => _indexes is { Count: > 0 } || _tags is { Count: > 0 };

    /// <summary>The group names of a write in namespace <paramref name="scope"/>: see <see cref="EntryGroups"/>.</summary>
    internal string[] GroupNames(string scope)
    {
        var names = new string[(_indexes?.Count ?? 0) + (_tags?.Count ?? 0)];
        int i = 0;
        foreach (KeyValuePair<string, string> index in _indexes ?? [])
        {
            names[i++] = EntryGroups.Index(scope, index.Key, index.Value, nameof(Indexes));
        }

        foreach (string tag in _tags ?? [])
        {
            names[i++] = EntryGroups.Tag(scope, tag, nameof(Tags));
        }

        return names;
    }
}
