using System;
using System.Buffers;
using System.Linq;
using FsCheck.Xunit;
using Xunit;

namespace Strata.Tiering.Tests.Serialization;

/// <summary>Compressed envelopes (flags bit 2): the layout, the round trip of every payload kind, and malformed input.</summary>
public class CacheEnvelopeCompressionTests
{
    private const long Expiry = 0x0102030405060708;

    // Golden bytes: 1,024 'a's from the 1 KiB threshold: flags 0x06 (a compressed string), the length 1,024 as a
    // little-endian int32, then the LZ4 block.
    [Fact]
    public void Write_StringFromTheThreshold_IsCompressed_AndMatchesGoldenBytes()
    {
        byte[] written = Write(new string('a', 1024), compressFrom: 1024);

        Assert.Equal("A5-02-06-08-07-06-05-04-03-02-01-00-04-00-00-" + GoldenBlock, Hex(written));
        Assert.Equal(new string('a', 1024), Read<string>(written));
    }

    [Fact]
    public void Write_BelowTheThreshold_IsPlain()
    {
        byte[] written = Write(new string('a', 1023), compressFrom: 1024);

        Assert.Equal(0x02, written[2]);
        Assert.Equal(CacheEnvelope.HeaderSize + 1023, written.Length);
    }

    [Fact]
    public void RoundTrip_EveryPayloadKind_Compressed()
    {
        string text = string.Concat(Enumerable.Repeat("the cache keeps the value; ", 100));
        byte[] bytes = Enumerable.Range(0, 4000).Select(i => (byte)(i % 16)).ToArray();
        var profile = new Profile(7, text);

        foreach (byte[] written in new[] { Write(text), Write(bytes), Write(new ReadOnlyMemory<byte>(bytes)), Write(profile) })
        {
            Assert.NotEqual(0, written[2] & 0b100); // compressed
        }

        Assert.Equal(text, Read<string>(Write(text)));
        Assert.Equal(bytes, Read<byte[]>(Write(bytes)));
        Assert.Equal(bytes, Read<ReadOnlyMemory<byte>>(Write(new ReadOnlyMemory<byte>(bytes))).ToArray());
        Assert.Equal(profile, Read<Profile>(Write(profile)));
    }

    [Fact]
    public void IncompressibleValue_IsStoredPlain()
    {
        byte[] noise = new byte[4096];
        new Random(1).NextBytes(noise);

        byte[] written = Write(noise);

        Assert.Equal(0x01, written[2]);
        Assert.Equal(noise, Read<byte[]>(written));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    [InlineData(1_000_000)] // more than any block of this size could expand to
    [InlineData(1023)]      // one byte short of what the block holds
    [InlineData(1025)]      // one byte more
    public void CompressedPayload_WithALengthThatDoesNotMatch_IsBadPayload(int claimed)
    {
        byte[] written = Write(new string('a', 1024), compressFrom: 1024);
        BitConverter.TryWriteBytes(written.AsSpan(CacheEnvelope.HeaderSize), claimed);

        Assert.Equal(EnvelopeStatus.BadPayload, CacheEnvelope.TryRead(written, MemoryPackCacheSerializer.Instance, out string? value, out _));
        Assert.Null(value);
    }

    [Fact]
    public void CompressedPayload_Truncated_IsBadPayload()
    {
        byte[] written = Write(string.Concat(Enumerable.Repeat("abcdefgh", 500)));
        for (int cut = CacheEnvelope.HeaderSize; cut < written.Length; cut += 7)
        {
            Assert.Equal(EnvelopeStatus.BadPayload, CacheEnvelope.TryRead(written.AsSpan(0, cut), MemoryPackCacheSerializer.Instance, out string? _, out _));
        }
    }

    [Property(MaxTest = 300)]
    public void RoundTrip_RandomStringsAndBytes_WithATinyThreshold(string text, byte[] bytes)
    {
        Assert.Equal(text, Read<string?>(Write<string?>(text, compressFrom: 1)));
        Assert.Equal(bytes, Read<byte[]?>(Write<byte[]?>(bytes, compressFrom: 1)));
    }

    [Property(MaxTest = 1000)]
    public void TryRead_NoiseBehindACompressedHeader_NeverThrows(byte[] data)
    {
        data ??= [];
        byte[] asString = [0xA5, CacheEnvelope.Version, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, .. data];
        byte[] asProfile = [0xA5, CacheEnvelope.Version, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, .. data];
        CacheEnvelope.TryRead<string>(asString, MemoryPackCacheSerializer.Instance, out _, out _);
        CacheEnvelope.TryRead<Profile>(asProfile, MemoryPackCacheSerializer.Instance, out _, out _);
    }

    // The LZ4 block of 1,024 'a's: one literal 'a', then a match of 1,023 at offset 1 (its length spilled over 255-byte
    // extension bytes), then the five literals LZ4 always ends a block with.
    private const string GoldenBlock = "1F-61-01-00-FF-FF-FF-EA-50-61-61-61-61-61";

    private static byte[] Write<T>(T value, int compressFrom = 1024)
    {
        var writer = new ArrayBufferWriter<byte>();
        CacheEnvelope.Write(writer, value, Expiry, MemoryPackCacheSerializer.Instance, compressFrom: compressFrom);
        return writer.WrittenSpan.ToArray();
    }

    private static T? Read<T>(byte[] data)
    {
        Assert.Equal(EnvelopeStatus.Ok, CacheEnvelope.TryRead(data, MemoryPackCacheSerializer.Instance, out T? value, out long expiry));
        Assert.Equal(Expiry, expiry);
        return value;
    }

    private static string Hex(byte[] bytes) => BitConverter.ToString(bytes);
}
