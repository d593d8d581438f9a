using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using StackExchange.Redis;
using Strata.Bench;
using Strata.Benchmarks.Payloads;
using Strata.Sessions;
using Strata.Tiering;

namespace Strata.Benchmarks.Tiered;

/// <summary>
/// Compression on the payloads Strata stores (<see cref="RealisticPayloads"/>), with it (LZ4 from 1 KiB, the default)
/// and without: the envelope's encode and decode (serializer included), and the tiered read end to end (a Redis
/// round trip and the decode, L1 left out). The bytes each takes in Redis are printed by
/// <c>dotnet run -c Release --project bench/Strata.Benchmarks -- compression-memory</c>.
/// </summary>
[MemoryDiagnoser]
public class CompressionBenchmarks
{
    private static readonly CacheEntryFlags RedisOnly = CacheEntryFlags.DisableLocal;

    private readonly ArrayBufferWriter<byte> _writer = new(64 * 1024);
    private RedisServer _server = null!;
    private TieredCache _cache = null!;
    private SessionWithMessages _session = null!;
    private UserProfile _profile = null!;
    private byte[] _encoded = null!;
    private ValueCodec _codec = null!;

    [Params("session-100", "profile-10k")]
    public string Payload { get; set; } = "";

    [Params(false, true)]
    public bool Compressed { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _server = RedisServer.Start();
        int? threshold = Compressed ? TieredCacheOptions.DefaultCompressionThreshold : null;
        _cache = new TieredCache(new TieredCacheOptions { Redis = _server.Configuration, KeyPrefix = $"bench:{Guid.NewGuid():N}:", CompressionThreshold = threshold });
        _codec = new ValueCodec(null, null, threshold);
        _session = RealisticPayloads.Session();
        _profile = RealisticPayloads.Profile();
        if (Payload == "session-100")
        {
            await _cache.SetAsync("value", _session);
        }
        else
        {
            await _cache.SetAsync("value", _profile);
        }

        Encode();
        _encoded = _writer.WrittenSpan.ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cache.Dispose();
        _server.Dispose();
    }

    [Benchmark]
    public int Encode()
    {
        _writer.ResetWrittenCount();
        if (Payload == "session-100")
        {
            _codec.Write(_writer, _session, 0);
        }
        else
        {
            _codec.Write(_writer, _profile, 0);
        }

        return _writer.WrittenCount;
    }

    [Benchmark]
    public object? Decode() => Payload == "session-100"
        ? _codec.TryRead(_encoded, out SessionWithMessages? session, out _) == EnvelopeStatus.Ok ? session : null
        : _codec.TryRead(_encoded, out UserProfile? profile, out _) == EnvelopeStatus.Ok ? profile : null;

    [Benchmark]
    public async Task<object?> TieredRead() => Payload == "session-100"
        ? (await _cache.GetAsync<SessionWithMessages>("value", RedisOnly)).Value
        : (await _cache.GetAsync<UserProfile>("value", RedisOnly)).Value;
}

/// <summary>What each payload takes in Redis, with compression and without (<c>-- compression-memory</c>): INFO memory's used_memory over 1,000 copies.</summary>
internal static class CompressionMemory
{
    private const int Copies = 1000;

    public static async Task PrintAsync()
    {
        using RedisServer server = RedisServer.Start();
        await using ConnectionMultiplexer raw = await ConnectionMultiplexer.ConnectAsync(server.Configuration + ",allowAdmin=true");
        IServer admin = raw.GetServer(raw.GetEndPoints()[0]);
        Console.WriteLine("| payload | compression | STRLEN of one value | used_memory per value |");
        Console.WriteLine("| --- | --- | ---: | ---: |");
        foreach (string payload in new[] { "session-100", "profile-10k" })
        {
            foreach (bool compressed in new[] { false, true })
            {
                await admin.FlushDatabaseAsync();
                long before = await UsedMemoryAsync(admin);
                string prefix = $"mem:{payload}:{compressed}:";
                using var cache = new TieredCache(new TieredCacheOptions { Redis = server.Configuration, KeyPrefix = prefix, CompressionThreshold = compressed ? TieredCacheOptions.DefaultCompressionThreshold : null });
                object value = payload == "session-100" ? RealisticPayloads.Session() : RealisticPayloads.Profile();
                for (int i = 0; i < Copies; i++)
                {
                    if (value is SessionWithMessages session)
                    {
                        await cache.SetAsync("k" + i, session);
                    }
                    else
                    {
                        await cache.SetAsync("k" + i, (UserProfile)value);
                    }
                }

                long after = await UsedMemoryAsync(admin);
                long length = await raw.GetDatabase().StringLengthAsync(prefix + "k0");
                Console.WriteLine($"| {payload} | {(compressed ? "LZ4 from 1 KiB" : "off")} | {length} | {(after - before) / Copies} |");
            }
        }
    }

    private static async Task<long> UsedMemoryAsync(IServer admin)
    {
        foreach (IGrouping<string, KeyValuePair<string, string>> group in await admin.InfoAsync("memory"))
        {
            foreach (KeyValuePair<string, string> pair in group)
            {
                if (pair.Key == "used_memory")
                {
                    return long.Parse(pair.Value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        throw new InvalidOperationException("INFO memory has no used_memory.");
    }
}
