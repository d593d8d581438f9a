namespace Strata.Tiering;

/// <summary>
/// A value in the in-process tier: the value itself (boxed when it is a struct) and the timestamp until which it is
/// fresh. Past that, and until L1 drops it, it serves only fail-safe reads.
/// </summary>
/// <remarks>
/// Two kinds derive from it: <see cref="IndexedEntry"/> (a value written with indexes or tags) and
/// <see cref="CounterEntry"/> (a counter of an L1-only cache). The hot path reads only the non-virtual members.
/// </remarks>
internal class LocalEntry(object? value, long freshUntil)
{
    /// <summary>A <see cref="FreshUntil"/> that never comes.</summary>
    internal const long Forever = long.MaxValue;

    /// <summary>
    /// A <see cref="FreshUntil"/> past what a timestamp can hold (see <see cref="Lifetimes.FreshAfter"/>): fresh for
    /// centuries, but not forever; <see cref="LocalTier.TimeToLive"/> reads its remaining time from the L1 life.
    /// </summary>
    internal const long FarFuture = long.MaxValue - 1;

    internal object? Value { get; } = value;

    /// <summary>Gets the <see cref="System.TimeProvider"/> timestamp past which the value is stale.</summary>
    internal long FreshUntil { get; } = freshUntil;

    /// <summary>Reads the value as <typeparamref name="T"/>; false when it was stored as another type.</summary>
    internal bool TryGet<T>(out T? value)
    {
        if (Value is T typed)
        {
            value = typed;
            return true;
        }

        value = default;
        return Value is null && default(T) is null; // a stored null reads as any reference or nullable type
    }

    /// <summary>The same value, of the same kind, fresh until <paramref name="freshUntil"/>.</summary>
    internal virtual LocalEntry WithFreshUntil(long freshUntil) => new(Value, freshUntil);

    /// <summary>The entry that replaces this one after an update: <paramref name="value"/>, of the same kind.</summary>
    internal virtual LocalEntry WithValue(object? value, long freshUntil) => new(value, freshUntil);
}

/// <summary>A counter of an L1-only cache (a tiered cache keeps counters in Redis only): never stale, only expired.</summary>
internal sealed class CounterEntry(long count) : LocalEntry(count, Forever)
{
    internal long Count { get; } = count;

    internal override LocalEntry WithFreshUntil(long freshUntil) => this;
}

/// <summary>A value written with indexes or tags: it carries its groups, which is what L1 index queries trust.</summary>
internal sealed class IndexedEntry(object? value, long freshUntil, string[] groups) : LocalEntry(value, freshUntil)
{
    /// <summary>Gets the groups (see <see cref="EntryGroups"/>) the write listed the value under.</summary>
    internal string[] Groups { get; } = groups;

    internal bool IsIn(string group) => System.Array.IndexOf(Groups, group) >= 0;

    internal override LocalEntry WithFreshUntil(long freshUntil) => new IndexedEntry(Value, freshUntil, Groups);

    internal override LocalEntry WithValue(object? value, long freshUntil) => new IndexedEntry(value, freshUntil, Groups);
}
