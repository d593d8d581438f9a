using System.Threading;

namespace Strata.Engine;

/// <summary>
/// One cache entry. A node sits in three intrusive structures of its segment at once: a hash-bucket chain (read
/// without locks), the eviction list and, when it has a deadline, a timer-wheel slot. All three are changed only under
/// the segment's lock.
/// </summary>
/// <remarks>
/// Publication rules (readers take no lock):
/// <list type="bullet">
/// <item><see cref="Key"/> and <see cref="Hash"/> never change after construction.</item>
/// <item><see cref="Value"/> is written in place only when <typeparamref name="TValue"/> is written atomically
/// (a reference or a primitive of pointer size or less); otherwise an overwrite publishes a new node, so a reader can
/// never see a torn value.</item>
/// <item>A writer stores <see cref="Value"/> first and then <see cref="Deadline"/> with release semantics; a reader
/// loads <see cref="Deadline"/> with acquire semantics and then <see cref="Value"/>. A reader that sees a new deadline
/// therefore sees the value written with it, and a reader that sees an expired deadline reports a miss.</item>
/// <item><see cref="Next"/> is written with release semantics: a node is fully built before it is published, and an
/// unlinked node keeps its <see cref="Next"/> so a reader standing on it still reaches the rest of the chain.</item>
/// <item><see cref="Visited"/> is the only field readers write: a plain store of 1, racing only with the eviction
/// hand clearing it under the lock. Losing either store costs one decision of the policy, never correctness.</item>
/// </list>
/// </remarks>
internal sealed class Node<TValue>
{
    /// <summary>The deadline of an entry that never expires.</summary>
    internal const long NoDeadline = long.MaxValue;

    /// <summary>The wheel slot of a node that is not scheduled.</summary>
    internal const int Unscheduled = -1;

    // What a reader touches. The runtime lays out a class's references first, then its primitives, then embedded
    // structs; keeping the cold fields in one struct (Links) puts all of these within the node's first 48 bytes, so a
    // hit usually reads one cache line of the node rather than two (the node was 112 bytes with these spread out).
    internal readonly string Key;
    internal TValue Value;
    internal Node<TValue>? Next; // published with Volatile.Write, walked with Volatile.Read
    internal long DeadlineField;
    internal long Version; // under the segment lock: bumped by every write to the node, for optimistic updates
    internal readonly int Hash;
    internal byte Visited;
    internal bool IsUnlinked; // set once the node has left the table (under the segment lock)

    // Under the segment lock only: eviction order, wheel slot and weight.
    internal NodeLinks<TValue> Links;

    internal Node(string key, int hash, TValue value, long deadline, long weight, long version = 0)
    {
        Key = key;
        Hash = hash;
        Value = value;
        DeadlineField = deadline;
        Version = version;
        Links.Weight = weight;
        Links.WheelSlot = Unscheduled;
    }

    /// <summary>Gets the deadline in clock milliseconds, with acquire semantics (see the remarks on the type).</summary>
    internal long Deadline => Volatile.Read(ref DeadlineField);

    internal bool HasDeadline => Deadline != NoDeadline;

    internal bool IsExpired(long now) => Deadline <= now;

    /// <summary>Publishes a new deadline after the value it goes with (release semantics).</summary>
    internal void SetDeadline(long deadline) => Volatile.Write(ref DeadlineField, deadline);
}
