using System;
using System.Buffers;

namespace Strata.Tiering;

/// <summary>
/// How one scope (the cache, or a namespace with a serializer of its own) turns values into envelopes and back: which
/// serializer a type goes through, then <see cref="CacheEnvelope"/>.
/// </summary>
/// <remarks>
/// With no serializer configured, a type MemoryPack knows (<see cref="MemoryPackTypes{T}"/>) goes through MemoryPack,
/// every other through System.Text.Json; a configured serializer takes every type. The choice for a type is fixed, so
/// the envelope's serializer id tells a reader whether it may read a value: a value written by another serializer (the
/// same key written by another version of the code) is a counted miss.
/// </remarks>
internal sealed class ValueCodec
{
    private readonly ICacheSerializer? _serializer;
    private readonly ICacheSerializer _json;
    private readonly int _compressFrom;

    /// <param name="serializer">The serializer for every type; null for MemoryPack or System.Text.Json by type.</param>
    /// <param name="json">The System.Text.Json fallback; null for its defaults.</param>
    /// <param name="compressionThreshold">The payload size from which values are compressed; null for never.</param>
    internal ValueCodec(ICacheSerializer? serializer, SystemTextJsonCacheSerializer? json, int? compressionThreshold = TieredCacheOptions.DefaultCompressionThreshold)
    {
        _serializer = serializer;
        _json = json ?? s_defaultJson;
        _compressFrom = compressionThreshold ?? int.MaxValue;
    }

    /// <summary>Returns a codec like this one whose values all go through <paramref name="serializer"/>.</summary>
    internal ValueCodec With(ICacheSerializer serializer) =>
        new(serializer, _json as SystemTextJsonCacheSerializer, _compressFrom == int.MaxValue ? null : _compressFrom);

    /// <summary>Gets the serializer <typeparamref name="T"/> goes through.</summary>
    internal ICacheSerializer For<T>() => _serializer ?? (MemoryPackTypes<T>.Known ? MemoryPackCacheSerializer.Instance : _json);

    /// <summary>Writes the envelope of <paramref name="value"/>; throws what the serializer throws, having written nothing usable.</summary>
    /// <param name="destination">Where the envelope goes.</param>
    /// <param name="value">The value.</param>
    /// <param name="logicalExpiryUnixMilliseconds">The logical expiry; 0 for none.</param>
    /// <param name="indexed">Whether the write records the key's index and tag memberships.</param>
    /// <param name="compress">False when the call leaves compression out (<see cref="CacheEntryFlags.DisableCompression"/>).</param>
    internal void Write<T>(IBufferWriter<byte> destination, T value, long logicalExpiryUnixMilliseconds, bool indexed = false, bool compress = true) =>
        CacheEnvelope.Write(destination, value, logicalExpiryUnixMilliseconds, For<T>(), indexed, compress ? _compressFrom : int.MaxValue);

    /// <summary>Reads an envelope written for <typeparamref name="T"/>. Never throws.</summary>
    internal EnvelopeStatus TryRead<T>(ReadOnlySpan<byte> source, out T? value, out long logicalExpiryUnixMilliseconds) =>
        CacheEnvelope.TryRead(source, For<T>(), out value, out logicalExpiryUnixMilliseconds);

    private static readonly SystemTextJsonCacheSerializer s_defaultJson = new();
}
