using System;
using System.Buffers;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MemoryPack;
using Xunit;

namespace Strata.Tiering.Tests.Serialization;

[MemoryPackable]
public sealed partial record Profile(int Id, string Name);

public class CacheEnvelopeTests
{
    private const long Expiry = 0x0102030405060708; // distinct bytes, so byte order shows in the golden output

    // Golden bytes: the format of DESIGN.md, pinned. A failure here means the stored format changed; that needs a
    // new version number, not a new expectation.
    [Fact]
    public void Write_String_MatchesGoldenBytes() =>
        Assert.Equal("A5-02-02-08-07-06-05-04-03-02-01-68-C3-A9", Encode("hé"));

    [Fact]
    public void Write_Indexed_SetsBit6AndReadsBack()
    {
        var writer = new ArrayBufferWriter<byte>();
        CacheEnvelope.Write(writer, "hé", Expiry, MemoryPackCacheSerializer.Instance, indexed: true);
        Assert.Equal("A5-02-42-08-07-06-05-04-03-02-01-68-C3-A9", BitConverter.ToString(writer.WrittenSpan.ToArray()));
        Assert.Equal(EnvelopeStatus.Ok, CacheEnvelope.TryRead(writer.WrittenSpan, MemoryPackCacheSerializer.Instance, out string? value, out long expiry));
        Assert.Equal(("hé", Expiry), (value, expiry));
    }

    [Fact]
    public void Write_NullString_MatchesGoldenBytes() =>
        Assert.Equal("A5-02-0A-08-07-06-05-04-03-02-01", Encode<string?>(null));

    [Fact]
    public void Write_ByteArrayAndMemory_MatchGoldenBytes()
    {
        Assert.Equal("A5-02-01-08-07-06-05-04-03-02-01-00-FF-10", Encode(new byte[] { 0x00, 0xFF, 0x10 }));
        Assert.Equal("A5-02-01-08-07-06-05-04-03-02-01-00-FF-10", Encode(new ReadOnlyMemory<byte>([0x00, 0xFF, 0x10])));
    }

    [Fact]
    public void Write_IntThroughMemoryPack_MatchesGoldenBytes() =>
        Assert.Equal("A5-02-10-08-07-06-05-04-03-02-01-3A-02-2D-F9-2B-1F-61-D6-2A-00-00-00", Encode(42)); // tag, CRC-32C, int

    [Fact]
    public void Write_NoExpiry_WritesZero() =>
        Assert.Equal("A5-02-02-00-00-00-00-00-00-00-00-78", Encode("x", expiry: 0));

    [Fact]
    public void Write_MemoryPackableRecord_MatchesGoldenBytes()
    {
        // The payload is MemoryPack's own format behind the guard, so this pins our header, the guard and that the rest
        // is exactly MemoryPack's.
        string encoded = Encode(new Profile(7, "ab"));
        byte[] bytes = Convert.FromHexString(encoded.Replace("-", "", StringComparison.Ordinal));
        byte[] memoryPack = MemoryPackSerializer.Serialize(new Profile(7, "ab"));
        Assert.StartsWith("A5-02-10-08-07-06-05-04-03-02-01-", encoded, StringComparison.Ordinal);
        Assert.Equal(TypeTag<Profile>.Value, BitConverter.ToUInt32(bytes, CacheEnvelope.HeaderSize));
        Assert.Equal(Crc32C.Compute(memoryPack), BitConverter.ToUInt32(bytes, CacheEnvelope.HeaderSize + 4));
        Assert.Equal(memoryPack, bytes[(CacheEnvelope.HeaderSize + CacheEnvelope.GuardSize)..]);
    }

    [Fact]
    public void RoundTrip_EveryPayloadKind_ReturnsValueAndExpiry()
    {
        AssertRoundTrip("hello ✓");
        AssertRoundTrip(string.Empty);
        AssertRoundTrip<string?>(null);
        AssertRoundTrip(new Profile(1, "x"));
        AssertRoundTrip(123.5);
        AssertRoundTrip(new[] { 1, 2, 3 });
        Assert.Equal([1, 2], Decode<byte[]>(Bytes(new byte[] { 1, 2 })));
        Assert.Equal([1, 2], Decode<ReadOnlyMemory<byte>>(Bytes(new ReadOnlyMemory<byte>([1, 2]))).ToArray());
        Assert.Null(Decode<byte[]?>(Bytes<byte[]?>(null)));
    }

    [Property(MaxTest = 300)]
    public void RoundTrip_RandomStringsAndBytes(string text, byte[] bytes, long expiry)
    {
        Assert.Equal(text, Decode<string?>(Bytes<string?>(text, expiry), expectedExpiry: expiry));
        Assert.Equal(bytes, Decode<byte[]?>(Bytes<byte[]?>(bytes, expiry), expectedExpiry: expiry));
    }

    [Theory]
    [InlineData("", nameof(EnvelopeStatus.Truncated))]
    [InlineData("A5-02-02-00-00-00-00-00-00-00", nameof(EnvelopeStatus.Truncated))]                 // ten header bytes
    [InlineData("7B-22-61-22-3A-31-7D-00-00-00-00", nameof(EnvelopeStatus.BadMagic))]             // JSON from an older writer
    [InlineData("A5-03-02-00-00-00-00-00-00-00-00", nameof(EnvelopeStatus.UnsupportedVersion))]
    [InlineData("A5-01-02-00-00-00-00-00-00-00-00", nameof(EnvelopeStatus.UnsupportedVersion))]     // version 1: no guard
    [InlineData("A5-02-06-00-00-00-00-00-00-00-00", nameof(EnvelopeStatus.BadPayload))]           // compressed, no length
    [InlineData("A5-02-0E-00-00-00-00-00-00-00-00", nameof(EnvelopeStatus.UnsupportedFlags))]     // compressed null
    [InlineData("A5-02-82-00-00-00-00-00-00-00-00", nameof(EnvelopeStatus.UnsupportedFlags))]     // reserved bit 7
    [InlineData("A5-02-03-00-00-00-00-00-00-00-00", nameof(EnvelopeStatus.UnsupportedFlags))]     // kind 3
    [InlineData("A5-02-00-00-00-00-00-00-00-00-00", nameof(EnvelopeStatus.UnsupportedFlags))]     // serialized, no serializer id
    [InlineData("A5-02-12-00-00-00-00-00-00-00-00", nameof(EnvelopeStatus.UnsupportedFlags))]     // a string with a serializer id
    [InlineData("A5-02-0A-00-00-00-00-00-00-00-00-41", nameof(EnvelopeStatus.UnsupportedFlags))]  // null with a payload
    [InlineData("A5-02-02-00-00-00-00-00-00-00-00-FF-FE", nameof(EnvelopeStatus.BadPayload))]     // not UTF-8
    [InlineData("A5-02-01-00-00-00-00-00-00-00-00-41", nameof(EnvelopeStatus.WrongType))]         // bytes read as a string
    public void TryRead_MalformedInput_ReportsStatusWithoutThrowing(string hex, string expected)
    {
        byte[] data = hex.Length == 0 ? [] : Convert.FromHexString(hex.Replace("-", "", StringComparison.Ordinal));
        Assert.Equal(Enum.Parse<EnvelopeStatus>(expected), CacheEnvelope.TryRead(data, MemoryPackCacheSerializer.Instance, out string? value, out _));
        Assert.Null(value);
    }

    [Fact]
    public void TryRead_WrongTypeOrCorruptMemoryPackPayload_IsAStatusNotAnException()
    {
        byte[] text = Bytes("hello");
        Assert.Equal(EnvelopeStatus.WrongType, CacheEnvelope.TryRead<byte[]>(text, MemoryPackCacheSerializer.Instance, out _, out _));
        Assert.Equal(EnvelopeStatus.WrongType, CacheEnvelope.TryRead<int>(text, MemoryPackCacheSerializer.Instance, out _, out _));

        byte[] otherSerializer = Convert.FromHexString("A5022000000000000000002A000000"); // serializer id 2
        Assert.Equal(EnvelopeStatus.OtherSerializer, CacheEnvelope.TryRead<int>(otherSerializer, MemoryPackCacheSerializer.Instance, out _, out _));

        byte[] profile = Bytes(new Profile(1, "abc"));
        Assert.Equal(EnvelopeStatus.BadPayload, CacheEnvelope.TryRead<Profile>(profile[..^2], MemoryPackCacheSerializer.Instance, out _, out _));
        Assert.Equal(EnvelopeStatus.WrongType, CacheEnvelope.TryRead<string>(profile, MemoryPackCacheSerializer.Instance, out _, out _));
    }

    [Fact]
    public void TryRead_ValueWrittenAsAnotherType_IsWrongTypeBeforeTheSerializerReadsIt()
    {
        byte[] profile = Bytes(new Profile(1, "abc"));

        Assert.Equal(EnvelopeStatus.WrongType, CacheEnvelope.TryRead<int[]>(profile, MemoryPackCacheSerializer.Instance, out _, out _));
        Assert.Equal(EnvelopeStatus.WrongType, CacheEnvelope.TryRead<(long, string)>(profile, MemoryPackCacheSerializer.Instance, out _, out _));
        Assert.Equal(EnvelopeStatus.Ok, CacheEnvelope.TryRead<Profile>(profile, MemoryPackCacheSerializer.Instance, out Profile? read, out _));
        Assert.Equal(new Profile(1, "abc"), read);
    }

    [Fact]
    public void TryRead_AnyPayloadByteChanged_IsBadPayload()
    {
        byte[] profile = Bytes(new Profile(1, "abc"));
        for (int i = CacheEnvelope.HeaderSize + 4; i < profile.Length; i++)
        {
            byte[] corrupted = (byte[])profile.Clone();
            corrupted[i] ^= 0x10;
            Assert.Equal(EnvelopeStatus.BadPayload, CacheEnvelope.TryRead<Profile>(corrupted, MemoryPackCacheSerializer.Instance, out _, out _));
        }
    }

    [Fact]
    public void TryRead_MemoryPackStringLengthPastTheEnd_IsBadPayloadNotAProcessCrash()
    {
        // The envelope fuzz target's find: read as (long, string), this payload makes MemoryPack read past the buffer and
        // the runtime stops the process. With the guard in front (here a right tag and a wrong checksum), it never gets there.
        byte[] payload = Convert.FromHexString("0300710045000100000080FEFFFFFF03000000");
        byte[] envelope = [0xA5, CacheEnvelope.Version, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, .. BitConverter.GetBytes(TypeTag<(long, string)>.Value), 0, 0, 0, 0, .. payload];

        Assert.Equal(EnvelopeStatus.BadPayload, CacheEnvelope.TryRead<(long, string)>(envelope, MemoryPackCacheSerializer.Instance, out _, out _));
    }

    [Fact]
    public void TypeTag_NamesTypesWithoutAssemblyVersions()
    {
        Assert.Equal("System.ValueTuple`2[System.Int64,System.String]", TypeTags.StableName(typeof((long, string))));
        Assert.Equal("System.Int32[]", TypeTags.StableName(typeof(int[])));
        Assert.Equal("System.Collections.Generic.Dictionary`2[System.String,System.Int32[]]", TypeTags.StableName(typeof(System.Collections.Generic.Dictionary<string, int[]>)));
        Assert.NotEqual(TypeTag<int>.Value, TypeTag<long>.Value);
    }

    [Fact]
    public void Crc32C_KnownVector() => Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Property(MaxTest = 300)]
    public void Crc32C_FastPath_AgreesWithTheBitByBitDefinition(byte[] data)
    {
        data ??= [];
        Assert.Equal(Crc32CBitByBit(data), Crc32C.Compute(data));
    }

    /// <summary>The definition, one bit at a time (reflected Castagnoli polynomial): the reference for the fast path.</summary>
    private static uint Crc32CBitByBit(byte[] data)
    {
        uint crc = uint.MaxValue;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }

    [Property(MaxTest = 1000)]
    public void TryRead_ArbitraryBytes_NeverThrows(byte[] data)
    {
        data ??= [];
        CacheEnvelope.TryRead<Profile>(data, MemoryPackCacheSerializer.Instance, out _, out _);
        CacheEnvelope.TryRead<string>(data, MemoryPackCacheSerializer.Instance, out _, out _);
        CacheEnvelope.TryRead<int[]>(data, MemoryPackCacheSerializer.Instance, out _, out _);

        // And with a valid header in front, so the payload decoders themselves see the noise.
        byte[] withHeader = [0xA5, CacheEnvelope.Version, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, .. data];
        CacheEnvelope.TryRead<Profile>(withHeader, MemoryPackCacheSerializer.Instance, out _, out _);
        CacheEnvelope.TryRead<int[]>(withHeader, MemoryPackCacheSerializer.Instance, out _, out _);
    }

    [Fact]
    public void PooledWriter_GrowsPastItsFirstBuffer_AndKeepsEveryByte()
    {
        PooledBufferWriter writer = BufferWriterPool.Rent();
        try
        {
            byte[] large = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
            CacheEnvelope.Write(writer, large, 0, MemoryPackCacheSerializer.Instance);
            Assert.Equal(CacheEnvelope.HeaderSize + large.Length, writer.WrittenSpan.Length);
            Assert.Equal(large, writer.WrittenSpan[CacheEnvelope.HeaderSize..].ToArray());
        }
        finally
        {
            BufferWriterPool.Return(writer);
        }
    }

    [Fact]
    public void Write_ThroughAWarmPooledWriter_AllocatesNothing()
    {
        const int Iterations = 1000;
        var value = new Profile(7, "ab");
        WriteBoth(value); // warm-up: MemoryPack's formatter cache, the pool's first writer and buffer
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Iterations; i++)
        {
            WriteBoth(value);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        static void WriteBoth(Profile value)
        {
            PooledBufferWriter writer = BufferWriterPool.Rent();
            CacheEnvelope.Write(writer, value, Expiry, MemoryPackCacheSerializer.Instance);
            CacheEnvelope.Write(writer, "text", Expiry, MemoryPackCacheSerializer.Instance);
            BufferWriterPool.Return(writer);
        }
    }

    private static string Encode<T>(T value, long expiry = Expiry) => Convert.ToHexString(Bytes(value, expiry)).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + "-" + b);

    private static byte[] Bytes<T>(T value, long expiry = Expiry)
    {
        var writer = new ArrayBufferWriter<byte>();
        CacheEnvelope.Write(writer, value, expiry, MemoryPackCacheSerializer.Instance);
        return writer.WrittenSpan.ToArray();
    }

    private static T? Decode<T>(byte[] data, long expectedExpiry = Expiry)
    {
        Assert.Equal(EnvelopeStatus.Ok, CacheEnvelope.TryRead(data, MemoryPackCacheSerializer.Instance, out T? value, out long expiry));
        Assert.Equal(expectedExpiry, expiry);
        return value;
    }

    private static void AssertRoundTrip<T>(T value) => Assert.Equal(value, Decode<T>(Bytes(value)));
}
