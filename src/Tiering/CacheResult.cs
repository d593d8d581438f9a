namespace Strata.Tiering;

/// <summary>The outcome of a read: a miss, or a hit with its value (which may itself be a stored default).</summary>
/// <typeparam name="T">The value's type.</typeparam>
/// <param name="HasValue">Whether the key held a value.</param>
/// <param name="Value">The value on a hit; the default on a miss.</param>
public readonly record struct CacheResult<T>(bool HasValue, T? Value)
{
    /// <summary>Gets a miss.</summary>
    public static CacheResult<T> Miss => default;
}
