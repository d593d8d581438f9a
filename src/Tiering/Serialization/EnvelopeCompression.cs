using System;
using K4os.Compression.LZ4;

namespace Strata.Tiering;

/// <summary>
/// The codec of compressed envelope payloads: LZ4 blocks at the fast level.
/// </summary>
/// <remarks>
/// Chosen by measurement (bench/RESULTS.md, "Compression"): on a 100-message session (24.6 KB) and a 10 KB profile,
/// LZ4 compressed in 24 and 7.2 µs and decompressed in 6.5 and 1.6 µs, allocating nothing, to 52% and 43% of the
/// size. zstd at level 1 reached 34% and 29% but took 1.8 to 2.2 times as long to compress and 2.9 to 4.1 times as long
/// to decompress; the BCL's Brotli (quality 1) and Deflate (fastest) decompressed slower than zstd and stored more, and
/// Deflate allocated. A value is decompressed on every read from Redis, so the cheapest decompression won.
/// </remarks>
internal static class EnvelopeCompression
{
    /// <summary>The largest payload a compressed envelope may claim: Redis's largest string.</summary>
    internal const int MaximumExpandedLength = 512 * 1024 * 1024;

    /// <summary>The most an LZ4 block can expand, per byte of block (its format caps a match's run).</summary>
    private const int MaximumRatio = 255;

    internal static int MaximumCompressedLength(int length) => LZ4Codec.MaximumOutputSize(length);

    /// <summary>Compresses <paramref name="source"/> into <paramref name="target"/>; the block's length, or 0 or less when it did not fit.</summary>
    internal static int Compress(ReadOnlySpan<byte> source, Span<byte> target) => LZ4Codec.Encode(source, target, LZ4Level.L00_FAST);

    /// <summary>Whether a block of <paramref name="blockLength"/> bytes could decompress to <paramref name="length"/>: a claim beyond that is refused before any buffer is rented.</summary>
    internal static bool CouldExpand(int blockLength, int length) =>
        length > 0 && length <= MaximumExpandedLength && length <= (long)blockLength * MaximumRatio + 16;

    /// <summary>Decompresses a block into <paramref name="target"/>, sized to the length the envelope claims; the length decompressed, or less than 0 for a malformed block.</summary>
    internal static int Decompress(ReadOnlySpan<byte> block, Span<byte> target) => LZ4Codec.Decode(block, target);
}
