using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace Strata.Tiering;

/// <summary>
/// The format of a value in the Redis tier: an 11-byte header, then the payload (guarded when serialized).
/// </summary>
/// <remarks>
/// <code>
/// offset 0   magic 0xA5 (not a printable character, nor the first byte of JSON or of MemoryPack's usual output)
/// offset 1   format version, 2
/// offset 2   flags: bits 0-1 payload kind (0 serialized, 1 raw bytes, 2 UTF-8 string)
///                   bit 2 compressed: the payload below is stored as a little-endian int32 of its length, then
///                         its LZ4 block (<see cref="EnvelopeCompression"/>); readers before compression refuse it (a miss)
///                   bit 3 null (a null string or byte array; the payload is empty)
///                   bits 4-5 serializer id (1-3) for a serialized payload, else 0
///                   bit 6 indexed: the write that stored this value also recorded its index and tag memberships
///                         (the key's <c>__grp:</c> set); index queries trust a membership only when this is set
///                   bit 7 reserved, 0
/// offset 3   logical expiry: unix milliseconds, little-endian int64; 0 when the value never expires. Redis's own
///            PX expiry may run later than this, which is what keeps a stale copy available to fail-safe reads.
/// offset 11  payload; a serialized payload (kind 0) starts with an 8-byte guard:
///            offset 11  type tag, little-endian uint32 (<see cref="TypeTag{T}"/> of the type written)
///            offset 15  CRC-32C of the serializer's bytes, little-endian uint32
///            offset 19  the serializer's bytes
/// </code>
/// <para>
/// The guard exists because a serializer reading bytes it did not write can do worse than throw: MemoryPack reads a
/// string whose length runs past the buffer with unchecked memory access, and the runtime stops the process with an
/// <see cref="AccessViolationException"/> that no <c>catch</c> sees. A value
/// written as another type (a key whose type changed between two versions of a service) fails the tag, a corrupted or
/// truncated one the checksum, and the serializer never sees either. A writer that forges both can still reach it;
/// only code that can write to Redis can.
/// </para>
/// <para>Version 1 had no guard; a version 2 reader refuses a version 1 value (a miss), and the reverse.</para>
/// Golden-byte tests pin this layout, so any change to it is deliberate and comes with a new version number.
/// <see cref="TryRead{T}"/> never throws: every malformed input maps to an <see cref="EnvelopeStatus"/>.
/// </remarks>
internal static class CacheEnvelope
{
    internal const byte Magic = 0xA5;
    internal const byte Version = 2;
    internal const int HeaderSize = 11;

    /// <summary>The type tag and checksum in front of a serialized payload.</summary>
    internal const int GuardSize = 8;

    /// <summary>The uncompressed length in front of a compressed payload.</summary>
    internal const int LengthSize = 4;

    private const byte KindMask = 0b11;
    private const byte KindSerialized = 0;
    private const byte KindBytes = 1;
    private const byte KindString = 2;
    private const byte CompressedFlag = 1 << 2;
    private const byte NullFlag = 1 << 3;
    private const int SerializerShift = 4;
    private const byte ReservedMask = 0b1000_0000;

    /// <summary>Bit 6 of the flags: see the layout. Redis scripts test it as 64.</summary>
    internal const byte IndexedFlag = 1 << 6;

    /// <summary>Writes the envelope of <paramref name="value"/> to <paramref name="destination"/>.</summary>
    /// <param name="destination">Where the envelope goes.</param>
    /// <param name="value">The value.</param>
    /// <param name="logicalExpiryUnixMilliseconds">The logical expiry; 0 for none.</param>
    /// <param name="serializer">The serializer of a value that is not a string or bytes.</param>
    /// <param name="indexed">Whether the write also records the key's index and tag memberships.</param>
    /// <param name="compressFrom">The payload size, in bytes, from which the payload is compressed (when that makes it smaller); <see cref="int.MaxValue"/> for never.</param>
    internal static void Write<T>(IBufferWriter<byte> destination, T value, long logicalExpiryUnixMilliseconds, ICacheSerializer serializer, bool indexed = false, int compressFrom = int.MaxValue)
    {
        byte flags;
        if (typeof(T) == typeof(string))
        {
            flags = value is null ? (byte)(KindString | NullFlag) : KindString;
        }
        else if (typeof(T) == typeof(byte[]))
        {
            flags = value is null ? (byte)(KindBytes | NullFlag) : KindBytes;
        }
        else if (typeof(T) == typeof(ReadOnlyMemory<byte>))
        {
            flags = KindBytes;
        }
        else
        {
            if (serializer.Id is < 1 or > 3)
            {
                throw new InvalidOperationException($"Serializer {serializer.GetType().Name} has id {serializer.Id}; ids are 1 to 3.");
            }

            flags = (byte)(KindSerialized | (serializer.Id << SerializerShift));
        }

        if (indexed)
        {
            flags |= IndexedFlag;
        }

        if ((flags & NullFlag) != 0)
        {
            WriteHeader(destination, flags, logicalExpiryUnixMilliseconds);
            return;
        }

        // Strings and bytes too small ever to be compressed go straight to the destination, without a staging copy.
        if (typeof(T) == typeof(string) && Encoding.UTF8.GetMaxByteCount(((string)(object)value!).Length) < compressFrom)
        {
            WriteHeader(destination, flags, logicalExpiryUnixMilliseconds);
            Encoding.UTF8.GetBytes(((string)(object)value!).AsSpan(), destination);
            return;
        }

        if (typeof(T) == typeof(byte[]) && ((byte[])(object)value!).Length < compressFrom)
        {
            WriteHeader(destination, flags, logicalExpiryUnixMilliseconds);
            destination.Write((byte[])(object)value!);
            return;
        }

        if (typeof(T) == typeof(ReadOnlyMemory<byte>) && Unsafe.As<T, ReadOnlyMemory<byte>>(ref value).Length < compressFrom)
        {
            WriteHeader(destination, flags, logicalExpiryUnixMilliseconds);
            destination.Write(Unsafe.As<T, ReadOnlyMemory<byte>>(ref value).Span);
            return;
        }

        PooledBufferWriter payload = BufferWriterPool.Rent();
        try
        {
            if (typeof(T) == typeof(string))
            {
                Encoding.UTF8.GetBytes(((string)(object)value!).AsSpan(), payload);
            }
            else if (typeof(T) == typeof(byte[]))
            {
                payload.Write((byte[])(object)value!);
            }
            else if (typeof(T) == typeof(ReadOnlyMemory<byte>))
            {
                payload.Write(Unsafe.As<T, ReadOnlyMemory<byte>>(ref value).Span);
            }
            else
            {
                WriteGuarded(payload, value, serializer);
            }

            WritePayload(destination, flags, logicalExpiryUnixMilliseconds, payload.WrittenSpan, compressFrom);
        }
        finally
        {
            BufferWriterPool.Return(payload);
        }
    }

    private static void WriteHeader(IBufferWriter<byte> destination, byte flags, long logicalExpiryUnixMilliseconds)
    {
        Span<byte> header = destination.GetSpan(HeaderSize);
        header[0] = Magic;
        header[1] = Version;
        header[2] = flags;
        BinaryPrimitives.WriteInt64LittleEndian(header[3..], logicalExpiryUnixMilliseconds);
        destination.Advance(HeaderSize);
    }

    /// <summary>The header and the payload: compressed when it is at least <paramref name="compressFrom"/> bytes and compression makes it smaller.</summary>
    private static void WritePayload(IBufferWriter<byte> destination, byte flags, long logicalExpiryUnixMilliseconds, ReadOnlySpan<byte> payload, int compressFrom)
    {
        if (payload.Length >= compressFrom)
        {
            Span<byte> target = destination.GetSpan(HeaderSize + LengthSize + EnvelopeCompression.MaximumCompressedLength(payload.Length));
            int compressed = EnvelopeCompression.Compress(payload, target[(HeaderSize + LengthSize)..]);
            if (compressed > 0 && LengthSize + compressed < payload.Length)
            {
                target[0] = Magic;
                target[1] = Version;
                target[2] = (byte)(flags | CompressedFlag);
                BinaryPrimitives.WriteInt64LittleEndian(target[3..], logicalExpiryUnixMilliseconds);
                BinaryPrimitives.WriteInt32LittleEndian(target[HeaderSize..], payload.Length);
                destination.Advance(HeaderSize + LengthSize + compressed);
                return;
            }

            // Not smaller (already compressed data, random bytes): stored as it is.
        }

        WriteHeader(destination, flags, logicalExpiryUnixMilliseconds);
        destination.Write(payload);
    }

    /// <summary>Serializes into <paramref name="payload"/> behind a reserved guard, then fills the guard in (type tag, checksum).</summary>
    private static void WriteGuarded<T>(PooledBufferWriter payload, T value, ICacheSerializer serializer)
    {
        payload.GetSpan(GuardSize);
        payload.Advance(GuardSize);
        serializer.Serialize(value, payload);
        Span<byte> written = payload.Written;
        BinaryPrimitives.WriteUInt32LittleEndian(written, TypeTag<T>.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(written[4..], Crc32C.Compute(written[GuardSize..]));
    }

    /// <summary>Reads an envelope written for <typeparamref name="T"/>. Never throws.</summary>
    internal static EnvelopeStatus TryRead<T>(ReadOnlySpan<byte> source, ICacheSerializer serializer, out T? value, out long logicalExpiryUnixMilliseconds)
    {
        value = default;
        logicalExpiryUnixMilliseconds = 0;
        if (source.Length < HeaderSize)
        {
            return EnvelopeStatus.Truncated;
        }

        if (source[0] != Magic)
        {
            return EnvelopeStatus.BadMagic;
        }

        if (source[1] != Version)
        {
            return EnvelopeStatus.UnsupportedVersion;
        }

        byte flags = source[2];
        int kind = flags & KindMask;
        int serializerId = (flags >> SerializerShift) & 0b11;
        bool isNull = (flags & NullFlag) != 0;
        bool compressed = (flags & CompressedFlag) != 0;
        if ((flags & ReservedMask) != 0 || kind == KindMask
            || (kind == KindSerialized) == (serializerId == 0) || (isNull && (kind == KindSerialized || compressed)))
        {
            return EnvelopeStatus.UnsupportedFlags;
        }

        long expiry = BinaryPrimitives.ReadInt64LittleEndian(source[3..]);
        ReadOnlySpan<byte> payload = source[HeaderSize..];
        if (isNull && !payload.IsEmpty)
        {
            return EnvelopeStatus.UnsupportedFlags;
        }

        byte[]? expanded = null;
        try
        {
            if (compressed)
            {
                if (!TryExpand(payload, out expanded, out int length))
                {
                    return EnvelopeStatus.BadPayload;
                }

                payload = expanded.AsSpan(0, length);
            }

            EnvelopeStatus status = kind switch
            {
                KindString => ReadString(payload, isNull, out value),
                KindBytes => ReadBytes(payload, isNull, out value),
                _ => ReadSerialized(payload, serializer, serializerId, out value),
            };
            if (status == EnvelopeStatus.Ok)
            {
                logicalExpiryUnixMilliseconds = expiry;
            }

            return status;
        }
        finally
        {
            if (expanded is not null)
            {
                ArrayPool<byte>.Shared.Return(expanded);
            }
        }
    }

    /// <summary>
    /// Decompresses a compressed payload (length, then block) into a rented buffer; false, with nothing rented, for a
    /// length out of range or a block that does not decompress to exactly that length.
    /// </summary>
    private static bool TryExpand(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out byte[]? expanded, out int length)
    {
        expanded = null;
        length = payload.Length >= LengthSize ? BinaryPrimitives.ReadInt32LittleEndian(payload) : -1;
        if (!EnvelopeCompression.CouldExpand(payload.Length - LengthSize, length))
        {
            return false;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        if (EnvelopeCompression.Decompress(payload[LengthSize..], buffer.AsSpan(0, length)) != length)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return false;
        }

        expanded = buffer;
        return true;
    }

    private static EnvelopeStatus ReadString<T>(ReadOnlySpan<byte> payload, bool isNull, out T? value)
    {
        value = default;
        if (typeof(T) != typeof(string))
        {
            return EnvelopeStatus.WrongType;
        }

        if (isNull)
        {
            return EnvelopeStatus.Ok;
        }

        try
        {
            // Strict decoding: bytes that are not UTF-8 were not written by us, so they are a bad payload.
            value = (T)(object)s_strictUtf8.GetString(payload);
            return EnvelopeStatus.Ok;
        }
        catch (DecoderFallbackException)
        {
            return EnvelopeStatus.BadPayload;
        }
    }

    private static EnvelopeStatus ReadBytes<T>(ReadOnlySpan<byte> payload, bool isNull, out T? value)
    {
        value = default;
        if (typeof(T) == typeof(byte[]))
        {
            value = isNull ? default : (T)(object)payload.ToArray();
            return EnvelopeStatus.Ok;
        }

        if (typeof(T) == typeof(ReadOnlyMemory<byte>) && !isNull)
        {
            // A copy: the source is the network layer's buffer, which the caller must not keep.
            var memory = new ReadOnlyMemory<byte>(payload.ToArray());
            value = Unsafe.As<ReadOnlyMemory<byte>, T>(ref memory);
            return EnvelopeStatus.Ok;
        }

        return EnvelopeStatus.WrongType;
    }

    private static EnvelopeStatus ReadSerialized<T>(ReadOnlySpan<byte> payload, ICacheSerializer serializer, int serializerId, out T? value)
    {
        value = default;
        if (typeof(T) == typeof(string) || typeof(T) == typeof(byte[]) || typeof(T) == typeof(ReadOnlyMemory<byte>))
        {
            return EnvelopeStatus.WrongType; // those types are always stored raw, never through a serializer
        }

        if (serializerId != serializer.Id)
        {
            return EnvelopeStatus.OtherSerializer;
        }

        if (payload.Length < GuardSize)
        {
            return EnvelopeStatus.BadPayload;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(payload) != TypeTag<T>.Value)
        {
            return EnvelopeStatus.WrongType; // written as another type: the serializer must not read it
        }

        ReadOnlySpan<byte> bytes = payload[GuardSize..];
        if (BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]) != Crc32C.Compute(bytes))
        {
            return EnvelopeStatus.BadPayload; // corrupted or truncated: the serializer must not read it either
        }

        try
        {
            value = serializer.Deserialize<T>(bytes);
            return EnvelopeStatus.Ok;
        }
        catch (Exception)
        {
            // Any failure of a serializer on bytes we did not expect is a bad payload: counted, never thrown.
            return EnvelopeStatus.BadPayload;
        }
    }

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
