using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;

namespace Strata.Tiering;

/// <summary>
/// The outcome of a read: a miss, or a hit with its value, which may itself be a stored default (a null, a zero).
/// Made by <see cref="Hit"/> and <see cref="Miss"/> only, so a hit always has a value and a miss never has one.
/// </summary>
/// <typeparam name="T">The value's type.</typeparam>
public readonly struct CacheResult<T> : IEquatable<CacheResult<T>>
{
    private CacheResult(T value)
    {
        HasValue = true;
        Value = value;
    }

    /// <summary>Gets a miss.</summary>
    public static CacheResult<T> Miss => default;

    /// <summary>Gets whether the key held a value.</summary>
    public bool HasValue { get; }

    /// <summary>Gets the value on a hit; the default of <typeparamref name="T"/> on a miss.</summary>
    public T? Value { get; }

    /// <summary>Makes a hit.</summary>
    /// <param name="value">The value found.</param>
    /// <returns>A hit with <paramref name="value"/>.</returns>
    public static CacheResult<T> Hit(T value) => new(value);

    /// <summary>Tells whether two results are both misses, or both hits with equal values.</summary>
    public static bool operator ==(CacheResult<T> left, CacheResult<T> right) => left.Equals(right);

    /// <summary>Tells whether two results differ.</summary>
    public static bool operator !=(CacheResult<T> left, CacheResult<T> right) => !left.Equals(right);

    /// <summary>Gets the value of a hit.</summary>
    /// <param name="value">The value on a hit; the default on a miss.</param>
    /// <returns>Whether this is a hit.</returns>
    public bool TryGetValue([MaybeNullWhen(false)] out T value)
    {
        value = Value!;
        return HasValue;
    }

    /// <inheritdoc/>
    public bool Equals(CacheResult<T> other) => HasValue == other.HasValue && EqualityComparer<T?>.Default.Equals(Value, other.Value);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is CacheResult<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(HasValue, Value);

    /// <inheritdoc/>
    public override string ToString() => HasValue ? $"Hit({Value})" : "Miss";
}
