using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;

namespace Strata.Tiering;

/// <summary>What a repair removes from Redis once it answers again.</summary>
internal enum RepairKind : byte
{
    /// <summary>One key (<see cref="RemoteRepair.Name"/>).</summary>
    Key,

    /// <summary>An index or tag (<see cref="RemoteRepair.Name"/>) of namespace <see cref="RemoteRepair.Scope"/>.</summary>
    Group,

    /// <summary>The keys matching a glob (<see cref="RemoteRepair.Name"/>).</summary>
    Pattern,

    /// <summary>Every key of the cache's prefix.</summary>
    All,
}

/// <summary>A removal Redis missed while it could not be reached.</summary>
internal readonly record struct RemoteRepair(RepairKind Kind, string Name, string Scope = "");

/// <summary>
/// The removals Redis owes this instance: for every write or removal whose Redis half failed or was skipped while the
/// circuit was open, the key (or group, or pattern) to remove from both tiers on every instance once Redis answers again.
/// </summary>
/// <remarks>
/// <para>
/// Why removals, even for a write: while Redis is unreachable a write lands in L1 alone, and Redis keeps whatever it held
/// before (an older value, or a value this instance removed). Serving that after the outage would be a stale read on
/// every instance. Removing the key everywhere makes the next read a miss, which is always correct for a cache, and it
/// needs no copy of the value: replaying the write itself could put back a value another instance has since replaced.
/// </para>
/// <para>
/// Bounded: past <see cref="MaxPending"/> distinct repairs the set collapses into one <see cref="RepairKind.All"/>, which
/// clears the prefix in Redis once it answers. Thread-safe; the set is drained by one task at a time.
/// </para>
/// </remarks>
internal sealed class RemoteRepairs
{
    /// <summary>The number of distinct repairs kept before they collapse into one clear.</summary>
    internal const int MaxPending = 100_000;

    private static readonly RemoteRepair s_all = new(RepairKind.All, string.Empty);
    // Each pending repair with the generation of its latest Add: the drain forgets a repair only at the generation it
    // replayed, so a failure recorded again while the replay ran is not lost.
    private readonly ConcurrentDictionary<RemoteRepair, long> _pending = new();
    private long _generation;
    private long _replays; // repairs carried out (or about to be): see Mark
    private int _count; // mirrors _pending.Count without its locks: read by every Redis read (Covers)
    private int _wide;  // pending repairs that are not one key (clear, pattern, group)
    private int _draining;

    /// <summary>Gets whether any repair is pending (a volatile read).</summary>
    internal bool Any => Volatile.Read(ref _count) != 0;

    /// <summary>Gets the number of pending repairs.</summary>
    internal int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Tells whether what Redis holds for <paramref name="key"/> may be older than this instance's last write or removal:
    /// the key has a pending repair, or a clear, pattern or group removal is pending (which may cover it). A read treats
    /// Redis's answer for such a key as a miss until the drain has removed it.
    /// </summary>
    internal bool Covers(string key) =>
        Volatile.Read(ref _count) != 0 && (Volatile.Read(ref _wide) != 0 || _pending.ContainsKey(new RemoteRepair(RepairKind.Key, key)));

    /// <summary>Gets a mark of the repairs carried out so far, noted before a Redis read for <see cref="Covers(string, long)"/>.</summary>
    internal long Mark => Volatile.Read(ref _replays);

    /// <summary>
    /// <see cref="Covers(string)"/> after a Redis read that began at <paramref name="mark"/>, which also holds when any
    /// repair was carried out meanwhile: the reply may have been read before the repair's removal reached Redis and be
    /// checked only after the repair was forgotten (on a starved thread pool). Such a
    /// read is then a miss, which costs a round trip only while a drain runs.
    /// </summary>
    internal bool Covers(string key, long mark) => Covers(key) || Volatile.Read(ref _replays) != mark;

    /// <summary>Records a repair; past the bound, the whole set becomes one clear.</summary>
    internal void Add(RemoteRepair repair)
    {
        if (_pending.ContainsKey(s_all))
        {
            return; // a clear covers everything
        }

        if (Volatile.Read(ref _count) >= MaxPending)
        {
            repair = s_all;
        }

        long generation = Interlocked.Increment(ref _generation);
        while (true)
        {
            if (_pending.TryAdd(repair, generation))
            {
                if (repair.Kind != RepairKind.Key)
                {
                    Interlocked.Increment(ref _wide);
                }

                Interlocked.Increment(ref _count);
                break;
            }

            // Still pending (or being replayed): a newer generation, so that the replay does not forget this one. Only
            // an update of the entry seen: had the drain removed it in between, an unconditional store would put it back
            // uncounted and the counts would drift; the loop adds it again instead.
            if (_pending.TryGetValue(repair, out long seen) && _pending.TryUpdate(repair, generation, seen))
            {
                break;
            }
        }

        if (repair.Kind == RepairKind.All)
        {
            foreach (RemoteRepair other in _pending.Keys)
            {
                if (other.Kind != RepairKind.All)
                {
                    Forget(other);
                }
            }
        }
    }

    /// <summary>Tells whether a repair is pending.</summary>
    internal bool Contains(RemoteRepair repair) => _pending.ContainsKey(repair);

    /// <summary>Drops a repair the drain has carried out, unless it was recorded again after <paramref name="generation"/>.</summary>
    internal void Forget(RemoteRepair repair, long generation)
    {
        Interlocked.Increment(ref _replays); // before the removal: a read that no longer sees the repair sees this
        if (_pending.TryRemove(new KeyValuePair<RemoteRepair, long>(repair, generation)))
        {
            Counted(repair);
        }
    }

    /// <summary>Drops a repair whatever its generation (a clear now covers it).</summary>
    private void Forget(RemoteRepair repair)
    {
        Interlocked.Increment(ref _replays); // as above (this one's clear covers everything anyway)
        if (_pending.TryRemove(repair, out _))
        {
            Counted(repair);
        }
    }

    /// <summary>Takes a removed repair off the counts.</summary>
    private void Counted(RemoteRepair repair)
    {
        if (repair.Kind != RepairKind.Key)
        {
            Interlocked.Decrement(ref _wide);
        }

        Interlocked.Decrement(ref _count);
    }

    /// <summary>A snapshot of the pending repairs with their generations, a clear first.</summary>
    internal List<KeyValuePair<RemoteRepair, long>> Snapshot()
    {
        // Enumerated, not copied: List's copy constructor sizes its array from Count and then asks the dictionary to fill
        // it, which throws when an Add lands in between.
        var repairs = new List<KeyValuePair<RemoteRepair, long>>();
        foreach (KeyValuePair<RemoteRepair, long> pending in _pending)
        {
            repairs.Add(pending);
        }

        repairs.Sort(static (a, b) => b.Key.Kind.CompareTo(a.Key.Kind)); // All, then patterns and groups, then keys
        return repairs;
    }

    /// <summary>Claims the drain; false when another drain runs.</summary>
    internal bool TryBeginDrain() => Interlocked.CompareExchange(ref _draining, 1, 0) == 0;

    /// <summary>
    /// Releases the drain. A full fence, not a volatile write: the caller reads <see cref="Any"/> next, and a recorder
    /// increments the count and then tries to claim the drain, so with a release-only write both could read the other's
    /// old value (the write still in the store buffer) and leave a repair pending with no drain to run it.
    /// </summary>
    internal void EndDrain() => Interlocked.Exchange(ref _draining, 0);
}
