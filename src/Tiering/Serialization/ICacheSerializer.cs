using System;
using System.Buffers;

namespace Strata.Tiering;

/// <summary>
/// Turns cached values into bytes for the Redis tier and back. <c>byte[]</c>, <see cref="ReadOnlyMemory{T}"/> of
/// bytes and <see cref="string"/> never reach a serializer: the cache stores them as they are (strings as UTF-8).
/// </summary>
/// <remarks>
/// Implementations must be thread-safe. <see cref="Deserialize{T}"/> may throw on malformed input: the cache catches
/// the exception, counts a decode error and treats the value as a miss, so a bad payload never reaches the caller.
/// </remarks>
public interface ICacheSerializer
{
    /// <summary>Gets a small number (1 to 3) stored in every envelope, so a reader can tell which serializer wrote it.</summary>
    byte Id { get; }

    /// <summary>Writes <paramref name="value"/> to <paramref name="destination"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="destination">Where the bytes go.</param>
    void Serialize<T>(T value, IBufferWriter<byte> destination);

    /// <summary>Reads a value written by <see cref="Serialize{T}"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="source">Exactly the bytes <see cref="Serialize{T}"/> wrote.</param>
    /// <returns>The value.</returns>
    T? Deserialize<T>(ReadOnlySpan<byte> source);
}
