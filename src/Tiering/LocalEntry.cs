namespace Strata.Tiering;

/// <summary>
/// A value in the in-process tier: the value itself (boxed when it is a struct) and the timestamp until which it is
/// fresh. Past that, and until L1 drops it, it serves only fail-safe reads.
/// </summary>
internal sealed class LocalEntry(object? value, long freshUntil)
{
    /// <summary>A <see cref="FreshUntil"/> that never comes.</summary>
    internal const long Forever = long.MaxValue;

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
}
