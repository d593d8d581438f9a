using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Strata.Tiering;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Serialization;

using Strata.Bench;

namespace Strata.Throughput;

/// <summary>
/// The same get/set workload through Strata's <see cref="TieredCache"/>, FusionCache and <see cref="HybridCache"/>,
/// the last two over Microsoft's Redis <see cref="IDistributedCache"/>, in one run against one redis-server; a raw
/// StackExchange.Redis <c>GET</c> is the round-trip reference. Rounds interleave the libraries so noise on this shared
/// machine lands on all of them.
/// </summary>
internal static class TieredPeers
{
    private static readonly TimeSpan s_timeToLive = TimeSpan.FromMinutes(10);

    public static async Task RunAsync(string redis, bool quick)
    {
        int warmOps = quick ? 50_000 : 200_000, coldKeys = quick ? 500 : 2_000, rounds = quick ? 3 : 7;
        string value = new('v', 100);
        var peers = new (string Name, Func<string, ITieredPeer> Create)[]
        {
            ("Strata TieredCache (backplane on)", prefix => new StrataPeer(redis, prefix, s_timeToLive)),
            ("FusionCache 2.9 + RedisCache (no backplane)", prefix => new FusionPeer(redis, prefix, s_timeToLive)),
            ("HybridCache 10.11 + RedisCache", prefix => new HybridPeer(redis, prefix, s_timeToLive)),
        };

        using ConnectionMultiplexer raw = await ConnectionMultiplexer.ConnectAsync(redis);
        IDatabase database = raw.GetDatabase();
        await database.StringSetAsync("bench:peers:raw", value);

        var warm = new List<double>[peers.Length];
        var cold = new List<double>[peers.Length];
        var set = new List<double>[peers.Length];
        var roundTrip = new List<double>();
        for (int p = 0; p < peers.Length; p++)
        {
            (warm[p], cold[p], set[p]) = ([], [], []);
        }

        string[] hotKeys = Enumerable.Range(0, 1000).Select(i => "hot:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        for (int round = -1; round < rounds; round++) // round -1 warms everything up
        {
            for (int p = 0; p < peers.Length; p++)
            {
                string prefix = $"bench:peers:{p}:{round + 1}:";
                await using ITieredPeer writer = peers[p].Create(prefix);
                await using ITieredPeer reader = peers[p].Create(prefix);
                string[] keys = Enumerable.Range(0, coldKeys).Select(i => "k:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();

                // Set: L1 and Redis (and, for Strata, the invalidation message pipelined with it).
                long start = Stopwatch.GetTimestamp();
                foreach (string key in keys)
                {
                    await writer.SetAsync(key, value);
                }

                double setMicros = Stopwatch.GetElapsedTime(start).TotalMicroseconds / keys.Length;
                await Task.Delay(200); // let the writer's invalidations reach the reader before it is measured

                // Cold get: the reader has never seen these keys, so each read misses L1 and reads Redis.
                start = Stopwatch.GetTimestamp();
                foreach (string key in keys)
                {
                    if (await reader.GetAsync(key) is null)
                    {
                        throw new InvalidOperationException($"{peers[p].Name} missed a key its writer set.");
                    }
                }

                double coldMicros = Stopwatch.GetElapsedTime(start).TotalMicroseconds / keys.Length;

                // Warm get: the same keys again and again from the reader's L1.
                foreach (string key in hotKeys)
                {
                    await reader.SetAsync(key, value);
                }

                start = Stopwatch.GetTimestamp();
                for (int i = 0; i < warmOps; i++)
                {
                    if (await reader.GetAsync(hotKeys[i % hotKeys.Length]) is null)
                    {
                        throw new InvalidOperationException($"{peers[p].Name} missed a warm key.");
                    }
                }

                double warmMicros = Stopwatch.GetElapsedTime(start).TotalMicroseconds / warmOps;
                if (round >= 0)
                {
                    set[p].Add(setMicros);
                    cold[p].Add(coldMicros);
                    warm[p].Add(warmMicros);
                }
            }

            long rawStart = Stopwatch.GetTimestamp();
            for (int i = 0; i < coldKeys; i++)
            {
                await database.StringGetAsync("bench:peers:raw");
            }

            if (round >= 0)
            {
                roundTrip.Add(Stopwatch.GetElapsedTime(rawStart).TotalMicroseconds / coldKeys);
            }
        }

        double redisGet = TieredScenarios.Median(roundTrip);
        Console.WriteLine($"Peers, same workload (100-char string values, TTL 10 min; median of {rounds} interleaved rounds; a writer and a reader instance per library):");
        Console.WriteLine();
        Console.WriteLine("| library | get, L1 warm (µs) | get, L1 cold: Redis hit (µs) | set: L1 + Redis (µs) | warm get vs a Redis GET |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        for (int p = 0; p < peers.Length; p++)
        {
            double w = TieredScenarios.Median(warm[p]);
            Console.WriteLine($"| {peers[p].Name} | {w:F3} | {TieredScenarios.Median(cold[p]):F1} | {TieredScenarios.Median(set[p]):F1} | {redisGet / w:F0}x faster |");
        }

        Console.WriteLine($"| raw StackExchange.Redis GET (reference) | | {redisGet:F1} | | |");
        Console.WriteLine();
    }
}
