using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;
using Strata.Bench;
using Strata.Engine;
using Strata.Tiering;

namespace Strata.Throughput;

/// <summary>
/// The tiered scenarios (<c>--tiered</c>), measured in one run against one local redis-server: an L1 hit through
/// <see cref="TieredCache"/> next to <see cref="LocalCache{TValue}.TryGet(string, out TValue)"/>; <c>GetManyAsync</c>
/// of 100 L1-cold keys next to a raw StackExchange.Redis <c>StringGetAsync(RedisKey[])</c>; and the latency from one
/// instance's <c>SetAsync</c> to another instance receiving the invalidation.
/// </summary>
internal static class TieredScenarios
{
    private const int BatchSize = 100;
    private const int Windows = 100; // L1 holds one window, so the next window is always cold

    public static async Task RunAsync(bool quick)
    {
        using RedisServer redis = RedisServer.Start();
        Console.WriteLine($"Tiered scenarios against redis-server on {redis.Configuration} (loopback):");
        Console.WriteLine();
        await L1HitAsync(redis.Configuration, quick);
        await GetManyAsync(redis.Configuration, quick);
        await InvalidationLatencyAsync(redis.Configuration, quick ? 2_000 : 10_000);
        await TieredPeers.RunAsync(redis.Configuration, quick);
    }

    private static async Task L1HitAsync(string redis, bool quick)
    {
        await using var tiered = new TieredCache(new TieredCacheOptions { Redis = redis, KeyPrefix = "bench:hit:" });
        using var local = new LocalCache<string>();
        string[] keys = Enumerable.Range(0, 1024).Select(i => "key:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        foreach (string key in keys)
        {
            await tiered.SetAsync(key, "value");
            local.Set(key, "value");
        }

        var settings = new Program.Settings(quick ? 40 : 200, quick ? 7 : 9, 0, [], 0);
        var results = Program.MeasureInterleaved(settings,
        [
            n => LocalLoop(local, keys, n),
            n => TieredLoop(tiered, keys, n),
        ]);
        Console.WriteLine("| L1 hit | ns/op | B/op |");
        Console.WriteLine("| --- | ---: | ---: |");
        Console.WriteLine($"| LocalCache.TryGet | {results[0].Ns:F1} | {results[0].Bytes:F0} |");
        Console.WriteLine($"| TieredCache.GetAsync (L1 hit) | {results[1].Ns:F1} | {results[1].Bytes:F0} |");
        Console.WriteLine();
        Console.WriteLine($"- TieredCache L1 hit / LocalCache.TryGet = {results[1].Ns / results[0].Ns:F2}x (target <= 1.5x, 0 B)");
        Console.WriteLine();
    }

    private static long LocalLoop(LocalCache<string> cache, string[] keys, int iterations)
    {
        long hits = 0;
        for (int i = 0; i < iterations; i++)
        {
            hits += cache.TryGet(keys[i & 1023], out _) ? 1 : 0;
        }

        return hits;
    }

    private static long TieredLoop(TieredCache cache, string[] keys, int iterations)
    {
        long hits = 0;
        for (int i = 0; i < iterations; i++)
        {
            ValueTask<CacheResult<string>> read = cache.GetAsync<string>(keys[i & 1023]);
            hits += read.IsCompletedSuccessfully && read.Result.HasValue ? 1 : 0;
        }

        return hits;
    }

    private static async Task GetManyAsync(string redis, bool quick)
    {
        await using var tiered = new TieredCache(new TieredCacheOptions { Redis = redis, KeyPrefix = "bench:many:", LocalMaxEntries = BatchSize });
        using ConnectionMultiplexer raw = await ConnectionMultiplexer.ConnectAsync(redis);
        IDatabase database = raw.GetDatabase();
        string[][] windows = Enumerable.Range(0, Windows)
            .Select(w => Enumerable.Range(0, BatchSize).Select(i => $"k:{w}:{i}").ToArray()).ToArray();
        RedisKey[][] rawWindows = windows.Select(w => w.Select(k => (RedisKey)("bench:many:" + k)).ToArray()).ToArray();
        foreach (string[] window in windows)
        {
            await tiered.SetManyAsync(window.Select(k => new KeyValuePair<string, string>(k, "value-" + k)).ToList());
        }

        int rounds = quick ? 5 : 9;
        int batchesPerRound = quick ? 400 : 2000;
        var strata = new List<double>();
        var baseline = new List<double>();
        for (int round = -1; round < rounds; round++) // round -1 warms both up
        {
            var watch = Stopwatch.StartNew();
            for (int b = 0; b < batchesPerRound; b++)
            {
                CacheResult<string>[] results = await tiered.GetManyAsync<string>(windows[b % Windows]);
                if (!results[0].HasValue)
                {
                    throw new InvalidOperationException("GetManyAsync missed a key that is in Redis.");
                }
            }

            double strataMicros = watch.Elapsed.TotalMicroseconds / batchesPerRound;
            watch.Restart();
            for (int b = 0; b < batchesPerRound; b++)
            {
                RedisValue[] values = await database.StringGetAsync(rawWindows[b % Windows]);
                if (values[0].IsNull)
                {
                    throw new InvalidOperationException("MGET missed a key.");
                }
            }

            double rawMicros = watch.Elapsed.TotalMicroseconds / batchesPerRound;
            if (round >= 0)
            {
                strata.Add(strataMicros);
                baseline.Add(rawMicros);
            }
        }

        double s = Median(strata), r = Median(baseline);
        TieredCacheStatistics stats = tiered.GetStatistics();
        Console.WriteLine($"| batch of {BatchSize} L1-cold keys | µs/batch |");
        Console.WriteLine("| --- | ---: |");
        Console.WriteLine($"| raw StackExchange.Redis StringGetAsync(RedisKey[]) (MGET) | {r:F1} |");
        Console.WriteLine($"| TieredCache.GetManyAsync (MGET, decodes, fills L1) | {s:F1} |");
        Console.WriteLine();
        Console.WriteLine($"- GetManyAsync / raw MGET = {s / r:F2}x (target <= 1.2x); L1 hits during the run: {stats.Local.Hits} (0 means every batch was cold)");
        Console.WriteLine();
    }

    private static async Task InvalidationLatencyAsync(string redis, int writes)
    {
        await using var a = new TieredCache(new TieredCacheOptions { Redis = redis, KeyPrefix = "bench:inv:" });
        await using var b = new TieredCache(new TieredCacheOptions { Redis = redis, KeyPrefix = "bench:inv:" });
        var latencies = new double[writes];
        for (int i = -100; i < writes; i++) // the first hundred warm up
        {
            long before = b.GetStatistics().InvalidationsReceived;
            long start = Stopwatch.GetTimestamp();
            await a.SetAsync("hot", i);
            var spin = new SpinWait();
            while (b.GetStatistics().InvalidationsReceived == before)
            {
                spin.SpinOnce();
                if (Stopwatch.GetElapsedTime(start) > TimeSpan.FromSeconds(5))
                {
                    throw new TimeoutException("An invalidation did not arrive within 5 s.");
                }
            }

            if (i >= 0)
            {
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }

        Array.Sort(latencies);
        double p50 = latencies[writes / 2], p99 = latencies[(int)(writes * 0.99)];
        Console.WriteLine($"Invalidation latency, A.SetAsync to B receiving it, {writes:N0} writes: p50 {p50:F3} ms, p99 {p99:F3} ms, max {latencies[^1]:F3} ms (target p99 < 5 ms)");
        Console.WriteLine();
    }

    /// <summary>The median of a run's samples (sorts them in place).</summary>
    internal static double Median(List<double> samples)
    {
        samples.Sort();
        return samples[samples.Count / 2];
    }
}
