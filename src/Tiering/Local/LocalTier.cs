using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Strata.Engine;

namespace Strata.Tiering;

/// <summary>
/// The in-process tier of a <see cref="TieredCache"/>: a <see cref="LocalCache{TValue}"/> of <see cref="LocalEntry"/>,
/// the registry of which of its keys are in which index or tag (<see cref="LocalGroups"/>), and the fill-race versions
/// (<see cref="FillVersions"/>) that every change to it goes through.
/// </summary>
/// <remarks>
/// <para>
/// Every change that can race a fill from Redis is made here, so the coherence rule sits in one place: a change bumps
/// the versions before it touches L1 (<see cref="Invalidate"/>, <see cref="InvalidateMatching"/>,
/// <see cref="FillVersions.BeginWrite"/>), and a fill checks them after it installs its value (<see cref="Fill"/>).
/// </para>
/// <para>
/// An entry carries its freshness; past it, and until L1 drops the entry (the fail-safe window later), it serves only
/// fail-safe reads. L1 never keeps an entry longer than Redis keeps the value, and with
/// <see cref="TieredCacheOptions.LocalTimeToLive"/> may keep it less.
/// </para>
/// <para>
/// Statistics: the engine counts every <see cref="LocalCache{TValue}.TryGet(string, out TValue)"/> that finds an entry
/// as a hit. A caller's read that found only a stale entry, or one stored as another type, is a miss for this tier; it
/// is reported through <see cref="NotAHit"/> and moved from hits to misses in <see cref="GetStatistics"/>. Bookkeeping
/// look-ups use <see cref="LocalCache{TValue}.TryPeek"/>, which the engine does not count.
/// </para>
/// </remarks>
internal sealed class LocalTier : IDisposable
{
    private readonly TimeProvider _time;
    private readonly bool _failSafe;
    private readonly TimeSpan _failSafeWindow;
    private readonly TimeSpan? _cap;
    private long _notHits;

    /// <param name="options">The cache's settings.</param>
    /// <param name="tiered">Whether Redis stands behind this tier: only then does <see cref="TieredCacheOptions.LocalTimeToLive"/> apply.</param>
    internal LocalTier(TieredCacheOptions options, bool tiered)
    {
        _time = options.TimeProvider;
        _failSafe = options.FailSafeMaxDuration is not null;
        _failSafeWindow = options.FailSafeMaxDuration ?? TimeSpan.Zero;
        _cap = tiered ? options.LocalTimeToLive : null;
        Func<string, object?, long>? weigher = options.LocalWeigher;
        Cache = new LocalCache<LocalEntry>(new LocalCacheOptions<LocalEntry>
        {
            MaxEntries = options.LocalMaxEntries,
            MaxWeight = options.LocalMaxWeight,
            Weigher = weigher is null ? null : (key, entry) => weigher(key, entry.Value),
            ConcurrencyLevel = options.LocalConcurrencyLevel,
            TimeProvider = options.TimeProvider,
            OnRemoved = (key, entry, _) =>
            {
                if (entry is IndexedEntry indexed)
                {
                    Groups!.OnRemoved(key, indexed.Groups);
                }
            },
        });
        Groups = new LocalGroups(key => Cache.TryPeek(key, out LocalEntry? entry) ? entry as IndexedEntry : null);
    }

    /// <summary>Gets the store itself. Reads go to it directly; changes that can race a fill go through this class.</summary>
    internal LocalCache<LocalEntry> Cache { get; }

    /// <summary>Gets which keys of L1 were written into which index or tag.</summary>
    internal LocalGroups Groups { get; }

    /// <summary>Gets the fill-race versions.</summary>
    internal FillVersions Versions { get; } = new();

    /// <remarks>
    /// Without fail-safe, L1 keeps an entry exactly as long as it is fresh, so an entry L1 returns is fresh and the
    /// clock need not be read on the hit path; with fail-safe, L1 keeps it the window longer and the clock decides.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IsFresh(LocalEntry entry) =>
        !_failSafe || entry.FreshUntil == LocalEntry.Forever || entry.FreshUntil > _time.GetTimestamp();

    /// <summary>A bookkeeping look-up: the key's fresh entry, not counted as a read.</summary>
    internal bool TryPeekFresh(string key, out LocalEntry? entry)
    {
        if (Cache.TryPeek(key, out entry) && IsFresh(entry))
        {
            return true;
        }

        entry = null;
        return false;
    }

    /// <summary>Reports that a counted look-up found an entry the caller could not use (stale, or another type): a miss.</summary>
    internal void NotAHit() => Interlocked.Increment(ref _notHits);

    /// <summary>The engine's counters, with the look-ups reported by <see cref="NotAHit"/> moved from hits to misses.</summary>
    internal CacheStatistics GetStatistics()
    {
        CacheStatistics statistics = Cache.GetStatistics();
        long notHits = Volatile.Read(ref _notHits);
        return statistics with { Hits = statistics.Hits - notHits, Misses = statistics.Misses + notHits };
    }

    /// <summary>
    /// Writes an entry for <paramref name="life"/> (null: no expiry), or for <see cref="TieredCacheOptions.LocalTimeToLive"/>
    /// when that is shorter. The caller has bumped the versions (a write) or checks them next (a fill).
    /// </summary>
    internal void Set(string key, LocalEntry entry, TimeSpan? life)
    {
        if (_cap is { } cap && (life is null || life > cap))
        {
            life = cap;
        }

        if (life is { } l)
        {
            Cache.Set(key, entry, l);
        }
        else
        {
            Cache.Set(key, entry);
        }
    }

    /// <summary>
    /// Installs a value read from Redis (or produced for it), then takes it out again if a change for the key landed
    /// since <paramref name="before"/> was noted: what the read fetched may be older than that change.
    /// </summary>
    internal void Fill(string key, LocalEntry fill, TimeSpan? life, FillMark before)
    {
        Set(key, fill, life);
        if (Versions.Filled(before))
        {
            Cache.Remove(key);
        }
    }

    /// <summary>Runs once a write's Redis half has succeeded: see <see cref="FillVersions.Settle"/>.</summary>
    internal void Settle(string key, WriteMark mark)
    {
        if (Versions.Settle(key, mark))
        {
            Cache.Remove(key);
        }
    }

    /// <summary>Removes a key that changed elsewhere (another instance, or Redis), bumping its slot first.</summary>
    internal bool Invalidate(string key)
    {
        Versions.Bump(key);
        return Cache.Remove(key);
    }

    /// <summary>Removes the keys matching a glob (null: every key), moving the epoch first; returns how many were removed.</summary>
    internal int InvalidateMatching(string? pattern)
    {
        Versions.BumpEpoch();
        if (pattern is not null)
        {
            return Cache.RemoveByPattern(pattern);
        }

        int count = Cache.Count;
        Cache.Clear();
        return count;
    }

    /// <summary>The entry's remaining freshness, or null once it has none (L1 may hold it a fraction of a millisecond longer).</summary>
    internal TimeSpan? TimeToLive(string key, LocalEntry entry)
    {
        if (entry is CounterEntry)
        {
            return Cache.GetTimeToLive(key);
        }

        if (entry.FreshUntil == LocalEntry.Forever)
        {
            return Timeout.InfiniteTimeSpan;
        }

        if (entry.FreshUntil == LocalEntry.FarFuture)
        {
            // Freshness beyond a timestamp's reach: the entry's L1 life (milliseconds, which reach far enough) is its
            // freshness plus the fail-safe window, unless that sum was cut at TimeSpan.MaxValue.
            return Cache.GetTimeToLive(key) is { } life && life != Timeout.InfiniteTimeSpan
                ? (life == TimeSpan.MaxValue ? life : life - _failSafeWindow)
                : null;
        }

        TimeSpan remaining = _time.GetElapsedTime(_time.GetTimestamp(), entry.FreshUntil);
        return remaining > TimeSpan.Zero ? remaining : null;
    }

    /// <summary>The fresh entries listed in <paramref name="group"/> whose current write put them there; unlists the others.</summary>
    internal List<(string Key, LocalEntry Entry)> Members(string group)
    {
        var members = new List<(string, LocalEntry)>();
        foreach (string key in Groups.Members(group))
        {
            if (Cache.TryPeek(key, out LocalEntry? entry) && entry is IndexedEntry indexed && indexed.IsIn(group))
            {
                if (IsFresh(entry))
                {
                    members.Add((key, entry));
                }
            }
            else
            {
                Groups.Prune(group, key);
            }
        }

        return members;
    }

    /// <inheritdoc/>
    public void Dispose() => Cache.Dispose();
}
