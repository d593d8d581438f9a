using System.Threading;

namespace Strata.Tiering;

/// <summary>
/// The versions that keep L1 from installing a value older than a change it has already seen: one of 1,024 slots per
/// key (by hash), an epoch for pattern removals, group removals and clears, and per slot the number of fills installed.
/// </summary>
/// <remarks>
/// <para>
/// The fill race: a read that fetched a value from Redis before an invalidation (or this instance's own write)
/// arrived must not leave that value in L1 afterwards. Every change bumps the key's slot (or the epoch) before it
/// touches L1; a read notes <see cref="Note"/> before it asks Redis, installs what it got, and takes it out again when
/// <see cref="Moved"/> says the versions changed meanwhile.
/// </para>
/// <para>
/// A local write spans a round trip, and a read may note the versions after the write's first bump and fetch the value
/// Redis held before the write reached it; nothing moves during that read, so it installs the older value. So a write
/// bumps its slot a second time once Redis has answered (<see cref="Settle"/>), which makes a read still in flight drop
/// what it fetched, and drops L1's copy itself when the slot, the epoch or the slot's fill count moved since it began:
/// another change raced it (the two may have reached L1 and Redis in opposite orders), or a fill landed in between.
/// </para>
/// <para>
/// Memory model: every bump and the fill count are interlocked (full fences); marks are taken with volatile reads. A fill
/// counts itself (a fence) before it compares, and a write bumps (a fence) before it reads the fill count, so of a
/// racing fill and settle at least one sees the other. Slots are shared by unrelated keys: a change to one key costs
/// the others on its slot an extra miss, never a stale read.
/// </para>
/// </remarks>
internal sealed class FillVersions
{
    internal const int Slots = 1024;

    private readonly long[] _slots = new long[Slots];
    private readonly long[] _fills = new long[Slots];
    private long _epoch;

    /// <summary>Notes the key's versions before a read of Redis (or a factory run) whose result may fill L1.</summary>
    /// <remarks>The mark carries the key's slot, so checking it later does not hash the key again.</remarks>
    internal FillMark Note(string key) => NoteSlot(SlotOf(key));

    /// <summary>Whether the versions of the key <paramref name="before"/> was noted for moved since then.</summary>
    internal bool Moved(FillMark before) => NoteSlot(before.Index) != before;

    /// <summary>Bumps the key's slot: a read in flight for it (or a key sharing the slot) will not keep its value.</summary>
    internal void Bump(string key) => Interlocked.Increment(ref _slots[SlotOf(key)]);

    /// <summary>Bumps the epoch: every read in flight drops what it fetched.</summary>
    internal void BumpEpoch() => Interlocked.Increment(ref _epoch);

    /// <summary>
    /// Bumps the key's slot for a write, before it touches L1, and notes what <see cref="Settle"/> compares once Redis has
    /// answered: the slot as this bump left it (not read back, which could already include another write's bump), the
    /// epoch, and the slot's fill count.
    /// </summary>
    internal WriteMark BeginWrite(string key)
    {
        int slot = SlotOf(key);
        long fills = Volatile.Read(ref _fills[slot]);
        return new WriteMark(Interlocked.Increment(ref _slots[slot]), Volatile.Read(ref _epoch), fills);
    }

    /// <summary>
    /// Runs once a write's Redis half has succeeded: bumps the key's slot again, and tells whether L1's copy must go,
    /// because since <paramref name="mark"/> the slot or the epoch moved or a fill landed on the slot (see the remarks).
    /// </summary>
    internal bool Settle(string key, WriteMark mark)
    {
        int slot = SlotOf(key);
        long now = Interlocked.Increment(ref _slots[slot]);
        return now != mark.Slot + 1 || Volatile.Read(ref _epoch) != mark.Epoch || Volatile.Read(ref _fills[slot]) != mark.Fills;
    }

    /// <summary>
    /// Counts a fill just installed for the key and tells whether it must come out again, because the versions moved
    /// since <paramref name="before"/>.
    /// </summary>
    internal bool Filled(FillMark before)
    {
        Interlocked.Increment(ref _fills[before.Index]); // a full fence: either a racing write's last bump is read below, or that write sees this count
        return Moved(before);
    }

    private static int SlotOf(string key) => key.GetHashCode() & (Slots - 1);

    private FillMark NoteSlot(int index) => new(index, Volatile.Read(ref _slots[index]), Volatile.Read(ref _epoch));
}

/// <summary>A key's versions as a read noted them: see <see cref="FillVersions.Note"/>.</summary>
internal readonly record struct FillMark(int Index, long Slot, long Epoch);

/// <summary>What a local write noted when it began: see <see cref="FillVersions.BeginWrite"/>.</summary>
internal readonly record struct WriteMark(long Slot, long Epoch, long Fills);
