using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Strata.Bench;
using Strata.Engine;
using Strata.Tiering;
using ZiggyCreatures.Caching.Fusion;

namespace Strata.Throughput;

/// <summary>
/// The get-or-set scenarios (<c>--getorset</c>), in-process, every library with its memory tier only: the hit path of
/// <see cref="TieredCache.GetOrSetAsync{T}"/> next to <see cref="LocalCache{TValue}.TryGet(string, out TValue)"/> and
/// the peers' get-or-set; and a stampede: 1,000 callers ask for one cold key at once, the factory takes 10 ms, and we
/// count factory runs and each caller's latency.
/// </summary>
internal static class GetOrSetScenarios
{
    private const int Callers = 1000;
    private static readonly TimeSpan s_factoryTime = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan s_timeToLive = TimeSpan.FromMinutes(10);

    public static async Task RunAsync(bool quick)
    {
        HitPath(quick);
        await StampedeAsync(quick ? 5 : 20);
    }

    private static IGetOrSetPeer[] Peers(Func<CancellationToken, Task<string>> produce) =>
    [
        new StrataPeer(produce),
        new FusionPeer(produce),
        new HybridPeer(produce),
        new MemoryCachePeer(produce),
    ];

    private static void HitPath(bool quick)
    {
        // Two pairs, because a read of an entry with a time to live reads the clock and one without does not:
        // GetOrSetAsync is compared with LocalCache.TryGet on the same kind of entry.
        string[] keys = Enumerable.Range(0, 1024).Select(i => "key:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        using var local = new LocalCache<string>();
        using var localTtl = new LocalCache<string>();
        using var strata = new TieredCache(new TieredCacheOptions());
        using var strataTtl = new TieredCache(new TieredCacheOptions { DefaultTimeToLive = s_timeToLive });
        IGetOrSetPeer[] peers = Peers(static _ => Task.FromResult("value"));
        foreach (string key in keys)
        {
            local.Set(key, "value");
            localTtl.Set(key, "value", s_timeToLive);
            strata.SetAsync(key, "value").AsTask().GetAwaiter().GetResult();
            strataTtl.SetAsync(key, "value").AsTask().GetAwaiter().GetResult();
            foreach (IGetOrSetPeer peer in peers)
            {
                peer.GetOrSetAsync(key).AsTask().GetAwaiter().GetResult(); // the factory fills each peer once
            }
        }

        Func<string, CacheEntryContext, CancellationToken, ValueTask<string>> factory = static (_, _, _) => new ValueTask<string>("value");
        var settings = new Program.Settings(quick ? 40 : 200, quick ? 7 : 9, 0, [], 0);
        Func<int, long>[] loops =
        [
            n => LocalLoop(local, keys, n),
            n => StrataLoop(strata, factory, keys, n),
            n => LocalLoop(localTtl, keys, n),
            n => StrataLoop(strataTtl, factory, keys, n),
            .. peers.Select(peer => (Func<int, long>)(n => PeerLoop(peer, keys, n))),
        ];
        (double Ns, double Bytes)[] results = Program.MeasureInterleaved(settings, loops);

        Console.WriteLine("| get-or-set hit (L1) | ns/op | B/op |");
        Console.WriteLine("| --- | ---: | ---: |");
        Console.WriteLine($"| LocalCache.TryGet, entries without TTL (reference) | {results[0].Ns:F1} | {results[0].Bytes:F0} |");
        Console.WriteLine($"| TieredCache.GetOrSetAsync, entries without TTL | {results[1].Ns:F1} | {results[1].Bytes:F0} |");
        Console.WriteLine($"| LocalCache.TryGet, entries with a TTL (reference) | {results[2].Ns:F1} | {results[2].Bytes:F0} |");
        Console.WriteLine($"| TieredCache.GetOrSetAsync, entries with a TTL | {results[3].Ns:F1} | {results[3].Bytes:F0} |");
        for (int p = 0; p < peers.Length; p++)
        {
            Console.WriteLine($"| {peers[p].Name}, TTL, through the adapter | {results[p + 4].Ns:F1} | {results[p + 4].Bytes:F0} |");
        }

        Console.WriteLine();
        Console.WriteLine($"- GetOrSetAsync hit / LocalCache.TryGet = {results[1].Ns / results[0].Ns:F2}x without TTL, {results[3].Ns / results[2].Ns:F2}x with (target <= 1.5x, 0 B)");
        Console.WriteLine();
        foreach (IGetOrSetPeer peer in peers)
        {
            peer.Dispose();
        }
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

    private static long StrataLoop(TieredCache cache, Func<string, CacheEntryContext, CancellationToken, ValueTask<string>> factory, string[] keys, int iterations)
    {
        long hits = 0;
        for (int i = 0; i < iterations; i++)
        {
            ValueTask<string> read = cache.GetOrSetAsync(keys[i & 1023], factory);
            hits += read.IsCompletedSuccessfully ? 1 : 0;
        }

        return hits;
    }

    private static long PeerLoop(IGetOrSetPeer peer, string[] keys, int iterations)
    {
        long hits = 0;
        for (int i = 0; i < iterations; i++)
        {
            ValueTask<string> read = peer.GetOrSetAsync(keys[i & 1023]);
            hits += read.IsCompletedSuccessfully ? 1 : 0;
        }

        return hits;
    }

    private static async Task StampedeAsync(int rounds)
    {
        long runs = 0;
        async Task<string> Produce(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref runs);
            await Task.Delay(s_factoryTime, cancellationToken).ConfigureAwait(false);
            return "produced";
        }

        IGetOrSetPeer[] peers = Peers(Produce);
        var latencies = peers.Select(_ => new List<double>()).ToArray();
        var factoryRuns = peers.Select(_ => new List<long>()).ToArray();
        for (int round = -1; round < rounds; round++) // round -1 warms every path up and is not counted
        {
            for (int p = 0; p < peers.Length; p++) // interleaved: each round runs every library once
            {
                Interlocked.Exchange(ref runs, 0);
                string key = "stampede:" + round.ToString(CultureInfo.InvariantCulture);
                var callers = new Task<double>[Callers];
                for (int c = 0; c < Callers; c++)
                {
                    callers[c] = TimedAsync(peers[p], key);
                }

                double[] times = await Task.WhenAll(callers);
                if (round >= 0)
                {
                    latencies[p].AddRange(times);
                    factoryRuns[p].Add(Interlocked.Read(ref runs));
                }
            }
        }

        Console.WriteLine($"Stampede: {Callers:N0} callers on one cold key, a {s_factoryTime.TotalMilliseconds:F0} ms factory, {rounds} rounds per library (interleaved).");
        Console.WriteLine();
        Console.WriteLine("| library | factory runs per round | p50 ms | p99 ms | max ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        for (int p = 0; p < peers.Length; p++)
        {
            double[] sorted = [.. latencies[p].Order()];
            Console.WriteLine($"| {peers[p].Name} | {factoryRuns[p].Min()}-{factoryRuns[p].Max()} | {Percentile(sorted, 0.50):F2} | {Percentile(sorted, 0.99):F2} | {sorted[^1]:F2} |");
            peers[p].Dispose();
        }

        Console.WriteLine();
    }

    private static async Task<double> TimedAsync(IGetOrSetPeer peer, string key)
    {
        long start = Stopwatch.GetTimestamp();
        await peer.GetOrSetAsync(key).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static double Percentile(double[] sorted, double fraction) => sorted[Math.Min(sorted.Length - 1, (int)(fraction * sorted.Length))];

    /// <summary>One library's get-or-set of a string, with the factory given at construction: every peer does the same work.</summary>
    private interface IGetOrSetPeer : IDisposable
    {
        string Name { get; }

        ValueTask<string> GetOrSetAsync(string key);
    }

    private sealed class StrataPeer(Func<CancellationToken, Task<string>> produce) : IGetOrSetPeer
    {
        private readonly TieredCache _cache = new(new TieredCacheOptions { DefaultTimeToLive = s_timeToLive });
        private readonly Func<string, CacheEntryContext, CancellationToken, ValueTask<string>> _factory = (_, _, ct) => new ValueTask<string>(produce(ct));

        public string Name => "Strata TieredCache (L1 only)";

        public ValueTask<string> GetOrSetAsync(string key) => _cache.GetOrSetAsync(key, _factory);

        public void Dispose() => _cache.Dispose();
    }

    private sealed class FusionPeer(Func<CancellationToken, Task<string>> produce) : IGetOrSetPeer
    {
        private readonly FusionCache _cache = new(new FusionCacheOptions { DefaultEntryOptions = new FusionCacheEntryOptions { Duration = s_timeToLive } });
        private readonly Func<FusionCacheFactoryExecutionContext<string>, CancellationToken, Task<string>> _factory = (_, ct) => produce(ct);

        public string Name => "FusionCache 2.9 (memory)";

        public ValueTask<string> GetOrSetAsync(string key) => _cache.GetOrSetAsync<string>(key, _factory, default(MaybeValue<string>));

        public void Dispose() => _cache.Dispose();
    }

    private sealed class HybridPeer : IGetOrSetPeer
    {
        private static readonly HybridCacheEntryOptions s_entry = new() { Expiration = s_timeToLive, LocalCacheExpiration = s_timeToLive };
        private readonly ServiceProvider _services;
        private readonly HybridCache _cache;
        private readonly Func<CancellationToken, ValueTask<string>> _factory;

        public HybridPeer(Func<CancellationToken, Task<string>> produce)
        {
            var services = new ServiceCollection();
            services.AddHybridCache(options => options.DefaultEntryOptions = s_entry); // no IDistributedCache: memory only
            _services = services.BuildServiceProvider();
            _cache = _services.GetRequiredService<HybridCache>();
            _factory = ct => new ValueTask<string>(produce(ct));
        }

        public string Name => "HybridCache 10.11 (memory)";

        public ValueTask<string> GetOrSetAsync(string key) => _cache.GetOrCreateAsync(key, _factory, s_entry);

        public void Dispose() => _services.Dispose();
    }

    private sealed class MemoryCachePeer(Func<CancellationToken, Task<string>> produce) : IGetOrSetPeer
    {
        private readonly MemoryCache _cache = new(new MemoryCacheOptions());

        public string Name => "MemoryCache.GetOrCreateAsync 11.0";

        public ValueTask<string> GetOrSetAsync(string key) => new(_cache.GetOrCreateAsync(key, entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = s_timeToLive;
            return produce(CancellationToken.None);
        })!);

        public void Dispose() => _cache.Dispose();
    }
}
