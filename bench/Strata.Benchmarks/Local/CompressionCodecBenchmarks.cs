using System;
using System.Buffers;
using System.IO;
using System.IO.Compression;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using K4os.Compression.LZ4;
using MemoryPack;
using Strata.Benchmarks.Payloads;

namespace Strata.Benchmarks.Local;

/// <summary>
/// The candidate codecs for values in Redis, on the payloads Strata stores (<see cref="RealisticPayloads"/>, as their
/// serializer writes them): compress and decompress time per value. The sizes each codec reaches are printed by
/// <c>dotnet run -c Release --project bench/Strata.Benchmarks -- compression-sizes</c>.
/// </summary>
[MemoryDiagnoser]
public class CompressionCodecBenchmarks
{
    private byte[] _raw = null!;
    private byte[] _destination = null!;
    private byte[] _lz4 = null!;
    private byte[] _zstd = null!;
    private byte[] _brotli = null!;
    private byte[] _deflate = null!;
    private ZstdSharp.Compressor _zstdCompressor = null!;
    private ZstdSharp.Decompressor _zstdDecompressor = null!;

    [Params("session-100", "profile-10k")]
    public string Payload { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _raw = Serialized(Payload);
        _destination = new byte[_raw.Length * 2 + 1024];
        _zstdCompressor = new ZstdSharp.Compressor(1);
        _zstdDecompressor = new ZstdSharp.Decompressor();
        _lz4 = Codecs.Lz4(_raw);
        _zstd = _zstdCompressor.Wrap(_raw).ToArray();
        _brotli = Codecs.Brotli(_raw);
        _deflate = Codecs.Deflate(_raw);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _zstdCompressor.Dispose();
        _zstdDecompressor.Dispose();
    }

    /// <summary>The bytes Strata's serializer writes for a payload.</summary>
    public static byte[] Serialized(string payload) => payload == "session-100"
        ? MemoryPackSerializer.Serialize(RealisticPayloads.Session())
        : JsonSerializer.SerializeToUtf8Bytes(RealisticPayloads.Profile());

    [Benchmark(Baseline = true)]
    public int Lz4Compress() => LZ4Codec.Encode(_raw, _destination, LZ4Level.L00_FAST);

    [Benchmark]
    public int Lz4Decompress() => LZ4Codec.Decode(_lz4, _destination);

    [Benchmark]
    public int ZstdCompress() => _zstdCompressor.Wrap(_raw, _destination);

    [Benchmark]
    public int ZstdDecompress() => _zstdDecompressor.Unwrap(_zstd, _destination);

    [Benchmark]
    public int BrotliCompress() => BrotliEncoder.TryCompress(_raw, _destination, out int written, quality: 1, window: 22) ? written : -1;

    [Benchmark]
    public int BrotliDecompress() => BrotliDecoder.TryDecompress(_brotli, _destination, out int written) ? written : -1;

    [Benchmark]
    public int DeflateCompress() => Codecs.Deflate(_raw).Length;

    [Benchmark]
    public int DeflateDecompress() => Codecs.Inflate(_deflate, _destination);
}

/// <summary>One call per codec, as the measurements use them.</summary>
internal static class Codecs
{
    public static byte[] Lz4(byte[] raw)
    {
        var target = new byte[LZ4Codec.MaximumOutputSize(raw.Length)];
        return target.AsSpan(0, LZ4Codec.Encode(raw, target, LZ4Level.L00_FAST)).ToArray();
    }

    public static byte[] Brotli(byte[] raw)
    {
        var target = new byte[BrotliEncoder.GetMaxCompressedLength(raw.Length)];
        return BrotliEncoder.TryCompress(raw, target, out int written, quality: 1, window: 22) ? target.AsSpan(0, written).ToArray() : throw new InvalidOperationException();
    }

    public static byte[] Deflate(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(raw);
        }

        return output.ToArray();
    }

    public static int Inflate(byte[] compressed, byte[] destination)
    {
        using var inflate = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress);
        int total = 0, read;
        while ((read = inflate.Read(destination, total, destination.Length - total)) > 0)
        {
            total += read;
        }

        return total;
    }
}

/// <summary>The size each candidate codec reaches on each payload (<c>-- compression-sizes</c>).</summary>
internal static class CompressionSizes
{
    public static void Print()
    {
        Console.WriteLine("| payload | serialized | LZ4 fast | zstd 1 | Brotli 1 | Deflate fastest |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (string payload in new[] { "session-100", "profile-10k" })
        {
            byte[] raw = CompressionCodecBenchmarks.Serialized(payload);
            using var zstd = new ZstdSharp.Compressor(1);
            Console.WriteLine($"| {payload} | {raw.Length} | {Codecs.Lz4(raw).Length} | {zstd.Wrap(raw).Length} | {Codecs.Brotli(raw).Length} | {Codecs.Deflate(raw).Length} |");
        }
    }
}

/// <summary>Where compression starts to pay (<c>-- compression-sizes</c>): LZ4 on prefixes of the profile's JSON.</summary>
internal static class CompressionThreshold
{
    public static void Print()
    {
        byte[] json = CompressionCodecBenchmarks.Serialized("profile-10k");
        byte[] session = CompressionCodecBenchmarks.Serialized("session-100");
        Console.WriteLine();
        Console.WriteLine("| prefix bytes | profile JSON: LZ4 bytes | saved | session MemoryPack: LZ4 bytes | saved | compress ns (JSON) | decompress ns (JSON) |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var target = new byte[LZ4Codec.MaximumOutputSize(8192)];
        var back = new byte[8192];
        foreach (int size in new[] { 128, 256, 512, 1024, 2048, 4096, 8192 })
        {
            ReadOnlySpan<byte> part = json.AsSpan(0, size);
            int packed = LZ4Codec.Encode(part, target, LZ4Level.L00_FAST);
            int packedSession = Codecs.Lz4(session.AsSpan(0, size).ToArray()).Length;
            const int rounds = 20_000;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < rounds; i++)
            {
                LZ4Codec.Encode(part, target, LZ4Level.L00_FAST);
            }

            double compressNs = watch.Elapsed.TotalNanoseconds / rounds;
            watch.Restart();
            for (int i = 0; i < rounds; i++)
            {
                LZ4Codec.Decode(target.AsSpan(0, packed), back.AsSpan(0, size));
            }

            double decompressNs = watch.Elapsed.TotalNanoseconds / rounds;
            Console.WriteLine($"| {size} | {packed} | {100 - 100 * packed / size}% | {packedSession} | {100 - 100 * packedSession / size}% | {compressNs:F0} | {decompressNs:F0} |");
        }
    }
}
