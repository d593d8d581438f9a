using System;
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using MemoryPack;

namespace Strata.Tiering;

/// <summary>
/// The default serializer: MemoryPack, which copies unmanaged types as they lie in memory and needs
/// <c>[MemoryPackable]</c> on user types (primitives, strings, arrays and the usual collections work as they are).
/// </summary>
public sealed class MemoryPackCacheSerializer : ICacheSerializer
{
    /// <summary>Gets the shared instance; the serializer has no state.</summary>
    public static MemoryPackCacheSerializer Instance { get; } = new();

    private MemoryPackCacheSerializer()
    {
    }

    /// <inheritdoc/>
    public byte Id => 1;

    /// <inheritdoc/>
    public void Serialize<T>(T value, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        MemoryPackSerializer.Serialize(destination, value);
    }

    /// <inheritdoc/>
    [UnconditionalSuppressMessage("Trimming", "IL2091", Justification = "MemoryPack asks for every member of T to be kept for its reflection fallback. The types it can read without one are the ones it serializes: [MemoryPackable] types, whose generated code registers their formatters, and its built-in types and collections of them; Serialize<T> asks for nothing. eng/aot-smoke reads such values back from Redis in a new Native AOT process.")]
    public T? Deserialize<T>(ReadOnlySpan<byte> source) => MemoryPackSerializer.Deserialize<T>(source);
}
