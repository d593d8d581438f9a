using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using BitFaster.Caching.Lfu;
using BitFaster.Caching.Lru;
using Microsoft.Extensions.Caching.Memory;
using Strata.Bench;
using Strata.Engine;
using ZiggyCreatures.Caching.Fusion;

namespace Strata.Throughput;

/// <summary>
/// The throughput and hit-ratio harness. One run measures Strata's <c>LocalCache</c> against <c>ConcurrentDictionary</c>
/// and the peers (BitFaster <c>ConcurrentLru</c>, <c>FastConcurrentLru</c>, <c>ConcurrentLfu</c>, <c>MemoryCache</c>,
/// FusionCache and HybridCache with their memory tier): single-thread ns/op and bytes/op for hit, miss and overwrite;
/// Mops/s on Zipf(0.99) mixes, read-heavy (90 % reads) and write-heavy (50 %), at 1, 2 and 4 threads; and the hit
/// ratios of <see cref="HitRatioSimulator"/>. <c>--quick</c> (about a minute) runs shorter phases, 2 threads and one
/// trace; <c>--smoke</c> runs every phase for a moment (./test.sh); <c>--mixes</c> only the multi-threaded mixes, at
/// full length (for profiling a change to the write path); <c>--hit-ratio</c> only the synthetic hit-ratio traces; <c>--plots DIR</c> renders the figures with
/// ScottPlot. <c>--tiered</c> runs the Redis scenarios instead (see <see cref="TieredScenarios"/>), <c>--getorset</c>
/// the get-or-set hit path and stampede (see <see cref="GetOrSetScenarios"/>), <c>--http URL</c> cached and uncached
/// session reads through a running samples/SessionApi (see <see cref="HttpSessionReads"/>).
/// </summary>
internal static class Program
{
    private const int HotKeys = 1024;          // single-thread loops cycle through this many keys (fits in L2)
    private const int MixKeySpace = 100_000;   // keys of the multi-threaded mix, all present

    private static long s_sink; // results land here so the JIT cannot drop the measured work

    private static async Task<int> Main(string[] args)
    {
        bool quick = args.Contains("--quick");
        int http = Array.IndexOf(args, "--http");
        if (http >= 0)
        {
            string? token = Environment.GetEnvironmentVariable("STRATA_BENCH_TOKEN");
            if (http + 1 >= args.Length || !Uri.TryCreate(args[http + 1], UriKind.Absolute, out Uri? service) || !service.IsLoopback || string.IsNullOrWhiteSpace(token))
            {
                Console.Error.WriteLine("usage: STRATA_BENCH_TOKEN=<an admin token of the service> Strata.Throughput --http http://127.0.0.1:5080 [--quick]");
                Console.Error.WriteLine("       (a running samples/SessionApi on loopback; the token: dotnet run --project samples/SessionApi -- token bench admin | tail -n 1)");
                return 2;
            }

            PrintHeader("session reads through HTTP", quick);
            await HttpSessionReads.RunAsync(service, token, quick);
            return 0;
        }

        int load = Array.IndexOf(args, "--load");
        if (load >= 0)
        {
            return await RunLoadAsync(args, load);
        }

        int traces = Array.IndexOf(args, "--traces");
        if (traces >= 0)
        {
            int tracePlots = Array.IndexOf(args, "--plots");
            if (traces + 1 >= args.Length || !Directory.Exists(args[traces + 1]) || (tracePlots >= 0 && tracePlots + 1 >= args.Length))
            {
                Console.Error.WriteLine("usage: Strata.Throughput --traces <folder with lirs/*.trace.gz and cache2k/*.trace.xz> (for example ../shared/traces) [--plots <dir>]");
                return 2;
            }

            string? plotDirectory = tracePlots >= 0 ? args[tracePlots + 1] : null;
            PrintHeader("hit ratio on recorded traces", quick: false);
            HitRatioSimulator.RunRecorded(args[traces + 1], plotDirectory);
            if (plotDirectory is not null)
            {
                Console.WriteLine($"Plots of hit ratio against capacity (2.5 to 40 % of each trace's keys) written to {Path.GetFullPath(plotDirectory)}.");
            }

            return 0;
        }

        if (args.Contains("--traces-selftest"))
        {
            return TraceReaderSelfTest.Run();
        }

        int plotsAt = Array.IndexOf(args, "--plots");
        if (args.Where((a, i) => i != plotsAt + 1 || plotsAt < 0).Any(a => a is not ("--quick" or "--smoke" or "--mixes" or "--hit-ratio" or "--tiered" or "--getorset" or "--plots")) || (plotsAt >= 0 && plotsAt + 1 >= args.Length))
        {
            Console.Error.WriteLine("usage: Strata.Throughput [--quick | --smoke | --mixes | --hit-ratio] [--plots <dir>] [--tiered | --getorset | --http <service url>]");
            Console.Error.WriteLine("       Strata.Throughput --load <service url> [--seconds 30] [--connections 32] [--mix 70,10,20] [--sessions 1000] [--acknowledged FILE]");
            Console.Error.WriteLine("       Strata.Throughput --traces <folder of recorded traces, e.g. ../shared/traces> [--plots <dir>] | --traces-selftest");
            return 2;
        }

        if (args.Contains("--getorset"))
        {
            PrintHeader("get-or-set scenarios", quick);
            await GetOrSetScenarios.RunAsync(quick);
            return 0;
        }

        if (args.Contains("--tiered"))
        {
            PrintHeader("tiered scenarios", quick);
            await TieredScenarios.RunAsync(quick);
            return 0;
        }

        // --smoke: every phase for a moment, so ./test.sh proves the harness still runs; its figures mean nothing.
        var settings = args.Contains("--smoke")
            ? new Settings(RoundMilliseconds: 5, Rounds: 1, MixSeconds: 0.2, MixThreads: [1, 2], TraceLength: 20_000)
            : quick
            ? new Settings(RoundMilliseconds: 40, Rounds: 7, MixSeconds: 2, MixThreads: [2], TraceLength: 3_000_000)
            : new Settings(RoundMilliseconds: 200, Rounds: 9, MixSeconds: 5, MixThreads: [1, 2, 4], TraceLength: 10_000_000);

        var clock = Stopwatch.StartNew();
        PrintHeader(args.Contains("--smoke") ? "throughput smoke" : "throughput", quick);

        const int Bound = MixKeySpace + HotKeys; // room for every key the run writes: bounds are checked, nothing is evicted
        Candidate[] candidates =
        [
            Candidate.Create(new LocalCacheAdapter(new LocalCache<string>(new LocalCacheOptions<string> { MaxEntries = Bound }))),
            Candidate.Create(new ConcurrentDictionaryAdapter(new ConcurrentDictionary<string, string>())),
            Candidate.Create(new ConcurrentLruAdapter(new ConcurrentLru<string, string>(Bound))),
            Candidate.Create(new FastConcurrentLruAdapter(new FastConcurrentLru<string, string>(Bound))),
            Candidate.Create(new ConcurrentLfuAdapter(new ConcurrentLfu<string, string>(Bound))),
            Candidate.Create(new MemoryCacheAdapter(new MemoryCache(new MemoryCacheOptions()))),
            Candidate.Create(new FusionCacheAdapter(new FusionCache(new FusionCacheOptions()))),
            Candidate.Create(new HybridCacheAdapter(HybridCacheAdapter.Create())),
        ];

        if (args.Contains("--hit-ratio"))
        {
            HitRatioSimulator.Print(HitRatioSimulator.Run(settings.TraceLength, HitRatioSimulator.Capacities, true), settings.TraceLength);
            return 0;
        }

        if (args.Contains("--mixes"))
        {
            foreach (int writePercent in new[] { 10, 50 })
            {
                foreach (int threads in settings.MixThreads)
                {
                    double[] mops = MixInterleaved(candidates, threads, settings.MixSeconds, writePercent);
                    Console.WriteLine($"{100 - writePercent}/{writePercent} at {threads} threads (Mops/s): " + string.Join(", ", candidates.Select((c, i) => $"{c.Name} {mops[i]:F1}")));
                }
            }

            return 0;
        }

        // Single-thread phases interleave the caches round by round, so a burst of noise on this shared machine
        // lands on all of them rather than on whichever happened to be measured at the time.
        var hit = MeasureInterleaved(settings, candidates.Select(c => c.Hit).ToArray());
        var miss = MeasureInterleaved(settings, candidates.Select(c => c.Miss).ToArray());
        var overwrite = MeasureInterleaved(settings, candidates.Select(c => c.Overwrite).ToArray());
        var readHeavy = settings.MixThreads.ToDictionary(t => t, t => MixInterleaved(candidates, t, settings.MixSeconds, writePercent: 10));
        var writeHeavy = settings.MixThreads.ToDictionary(t => t, t => MixInterleaved(candidates, t, settings.MixSeconds, writePercent: 50));
        var results = new List<Row>();
        for (int i = 0; i < candidates.Length; i++)
        {
            results.Add(new Row(
                candidates[i].Name, hit[i].Ns, hit[i].Bytes, miss[i].Ns, miss[i].Bytes, overwrite[i].Ns, overwrite[i].Bytes,
                settings.MixThreads.ToDictionary(t => t, t => readHeavy[t][i]),
                settings.MixThreads.ToDictionary(t => t, t => writeHeavy[t][i])));
        }

        PrintOperations(results, settings);
        bool allTraces = !quick && !args.Contains("--smoke");
        int[] capacities = allTraces ? HitRatioSimulator.Capacities : [1_000];
        List<HitRatioSimulator.Result> ratios = HitRatioSimulator.Run(settings.TraceLength, capacities, allTraces);
        HitRatioSimulator.Print(ratios, settings.TraceLength);

        Row strata = results[0], dictionary = results[1], lru = results[2], fastLru = results[3];
        int most = settings.MixThreads.Max();
        Console.WriteLine("Targets (ratios from this run):");
        Console.WriteLine($"- hit: Strata / ConcurrentDictionary = {strata.HitNs / dictionary.HitNs:F2}x (target <= 1.3x); Strata / ConcurrentLru = {strata.HitNs / lru.HitNs:F2}x (target < 1x)");
        Console.WriteLine($"- {most}-thread 90/10 mix: Strata / FastConcurrentLru = {strata.ReadHeavy[most] / fastLru.ReadHeavy[most]:F2}x (target >= 1x)");
        double worst = ratios.Min(r => r.Ratios[HitRatioSimulator.Policies[0]].Zip(r.Ratios["exact LRU"], (a, b) => a - b).Min());
        Console.WriteLine($"- hit ratio: Strata - exact LRU, worst trace and capacity = {worst * 100:+0.00;-0.00} points (target >= 0)");
        Console.WriteLine();
        if (plotsAt >= 0)
        {
            Plots.Write(args[plotsAt + 1], results, settings.MixThreads, ratios);
        }

        Console.WriteLine($"Finished in {clock.Elapsed.TotalSeconds:F1} s (checksum {s_sink}).");
        return 0;
    }

    /// <summary><c>--load URL [--seconds N] [--connections N] [--mix R,M,A] [--sessions N] [--acknowledged FILE]</c>: a mixed load on a running samples/SessionApi.</summary>
    private static async Task<int> RunLoadAsync(string[] args, int at)
    {
        string? token = Environment.GetEnvironmentVariable("STRATA_BENCH_TOKEN");
        string? Option(string name, string? fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        int[] mix = Option("--mix", "70,10,20")!.Split(',').Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1).ToArray();
        bool parsed = int.TryParse(Option("--seconds", "30"), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) & seconds > 0
            & int.TryParse(Option("--connections", "32"), NumberStyles.None, CultureInfo.InvariantCulture, out int connections) & connections > 0
            & int.TryParse(Option("--sessions", "1000"), NumberStyles.None, CultureInfo.InvariantCulture, out int sessions) & sessions > 0;
        if (at + 1 >= args.Length || !Uri.TryCreate(args[at + 1], UriKind.Absolute, out Uri? service) || !service.IsLoopback || string.IsNullOrWhiteSpace(token)
            || !parsed || mix.Length != 3 || mix.Any(p => p < 0) || mix.Sum() != 100)
        {
            Console.Error.WriteLine("usage: STRATA_BENCH_TOKEN=<an admin token of the service> Strata.Throughput --load http://127.0.0.1:5080 [--seconds 30] [--connections 32] [--mix 70,10,20] [--sessions 1000] [--acknowledged FILE]");
            Console.Error.WriteLine("       (the mix: percent session reads, message reads, appends; run the service with RateLimit__PermitLimit and Sessions__MaxMessages above the run's requests)");
            return 2;
        }

        return await SessionLoad.RunAsync(new SessionLoadSettings(service, token, seconds, connections, (mix[0], mix[1], mix[2]), sessions, Option("--acknowledged", null)));
    }

    /// <summary>Prints a run's title, date and machine: every mode's output starts this way.</summary>
    private static void PrintHeader(string what, bool quick)
    {
        Console.WriteLine($"# Strata {what} ({(quick ? "quick" : "full")} run)");
        Console.WriteLine();
        Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd}, {Describe()}");
        Console.WriteLine();
    }

    /// <summary>
    /// Calibrates an iteration count per loop to the round length, warms every loop up through the JIT tiers, then
    /// runs the rounds interleaved (loop 0, 1, 2, 0, 1, 2, ...) and reports each loop's median ns/op and the bytes this
    /// thread allocated per op.
    /// </summary>
    internal static (double Ns, double Bytes)[] MeasureInterleaved(Settings settings, Func<int, long>[] loops)
    {
        var watch = new Stopwatch();
        var iterations = new int[loops.Length];
        for (int l = 0; l < loops.Length; l++)
        {
            int n = 1 << 14;
            while (true)
            {
                watch.Restart();
                s_sink += loops[l](n);
                if (watch.Elapsed.TotalMilliseconds >= settings.RoundMilliseconds / 4.0 || n >= 1 << 28)
                {
                    break;
                }

                n *= 2;
            }

            iterations[l] = (int)Math.Min(int.MaxValue, n * (settings.RoundMilliseconds / Math.Max(1, watch.Elapsed.TotalMilliseconds)));
            for (int i = 0; i < 3; i++)
            {
                s_sink += loops[l](iterations[l]); // reach tier 1 with PGO before measuring
            }
        }

        var samples = new double[loops.Length][];
        var allocated = new long[loops.Length];
        for (int l = 0; l < loops.Length; l++)
        {
            samples[l] = new double[settings.Rounds];
        }

        for (int round = 0; round < settings.Rounds; round++)
        {
            for (int l = 0; l < loops.Length; l++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                watch.Restart();
                s_sink += loops[l](iterations[l]);
                watch.Stop();
                allocated[l] += GC.GetAllocatedBytesForCurrentThread() - before;
                samples[l][round] = watch.Elapsed.TotalNanoseconds / iterations[l];
            }
        }

        return Enumerable.Range(0, loops.Length).Select(l =>
        {
            Array.Sort(samples[l]);
            return (samples[l][settings.Rounds / 2], (double)allocated[l] / ((long)iterations[l] * settings.Rounds));
        }).ToArray();
    }

    private static long ReadLoop<TCache>(TCache cache, string[] keys, int iterations)
        where TCache : struct, ICacheUnderTest
    {
        long hits = 0;
        for (int i = 0; i < iterations; i++)
        {
            if (cache.TryGet(keys[i & (HotKeys - 1)], out _))
            {
                hits++;
            }
        }

        return hits;
    }

    private static long WriteLoop<TCache>(TCache cache, string[] keys, string[] values, int iterations)
        where TCache : struct, ICacheUnderTest
    {
        for (int i = 0; i < iterations; i++)
        {
            cache.Set(keys[i & (HotKeys - 1)], values[(i >> 10) & 1]);
        }

        return iterations;
    }

    /// <summary>
    /// Runs the 90 % read / 10 % write Zipf(0.99) mix on <paramref name="threads"/> threads for every cache, in slices
    /// that alternate between the caches (so noise on the machine lands on all of them alike), after one warm-up slice
    /// each; returns each cache's Mops/s.
    /// </summary>
    private static double[] MixInterleaved(Candidate[] candidates, int threads, double seconds, int writePercent)
    {
        const int TraceLength = 1 << 20;
        const int Slices = 8;
        var zipf = new Zipf(MixKeySpace, 0.99);
        int[][] traces = Enumerable.Range(0, threads).Select(t => zipf.Trace(TraceLength, 1000 + t)).ToArray();
        foreach (Candidate candidate in candidates)
        {
            candidate.Mix(traces, seconds / Slices, writePercent); // warm-up: reach tier 1
        }

        var ops = new double[candidates.Length];
        var elapsed = new double[candidates.Length];
        for (int slice = 0; slice < Slices; slice++)
        {
            for (int turn = 0; turn < candidates.Length; turn++)
            {
                // Each slice starts the round with another cache, so no cache always follows the same one: the ones
                // that allocate on a write (MemoryCache, FusionCache, HybridCache) leave garbage and background work
                // behind. A collection before each slice keeps that garbage off the next cache's cores too.
                int c = (turn + slice) % candidates.Length;
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var (count, time) = candidates[c].Mix(traces, seconds / Slices, writePercent);
                ops[c] += count;
                elapsed[c] += time;
            }
        }

        return Enumerable.Range(0, candidates.Length).Select(c => ops[c] / elapsed[c] / 1e6).ToArray();
    }

    /// <summary>Runs the mix for about <paramref name="seconds"/>; returns the operations done and the seconds taken.</summary>
    private static (long Ops, double Seconds) RunMix<TCache>(TCache cache, string[] keys, string[] values, int[][] traces, double seconds, int writePercent)
        where TCache : struct, ICacheUnderTest
    {
        int threads = traces.Length;
        var counts = new long[threads * 16];
        int stop = 0;
        using var start = new Barrier(threads + 1);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                int[] trace = traces[id];
                long ops = 0;
                uint state = (uint)(id + 1) * 2654435761u;
                start.SignalAndWait();
                while (Volatile.Read(ref stop) == 0)
                {
                    for (int i = 0; i < 1024; i++)
                    {
                        int rank = trace[(int)(ops & (trace.Length - 1))];
                        state ^= state << 13;
                        state ^= state >> 17;
                        state ^= state << 5;
                        if (state % 100 < (uint)writePercent)
                        {
                            cache.Set(keys[rank], values[ops & 1]);
                        }
                        else
                        {
                            cache.TryGet(keys[rank], out _);
                        }

                        ops++;
                    }
                }

                counts[id * 16] = ops;
            })
            { IsBackground = true };
            workers[t].Start();
        }

        start.SignalAndWait();
        var watch = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        Volatile.Write(ref stop, 1);
        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        watch.Stop();
        return (counts.Sum(), watch.Elapsed.TotalSeconds);
    }

    private static void PrintOperations(List<Row> rows, Settings settings)
    {
        Console.WriteLine("Single thread (median of the rounds), then Zipf(0.99) mixes over 100,000 present keys on 1 or more threads (Mops/s):");
        Console.WriteLine();
        string threads = string.Concat(settings.MixThreads.Select(t => $" 90/10 {t}T |")) + string.Concat(settings.MixThreads.Select(t => $" 50/50 {t}T |"));
        Console.WriteLine($"| cache | hit ns | hit B | miss ns | miss B | overwrite ns | overwrite B |{threads}");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |" + string.Concat(settings.MixThreads.Select(_ => " ---: | ---: |")));
        foreach (Row row in rows)
        {
            string mops = string.Concat(settings.MixThreads.Select(t => $" {row.ReadHeavy[t]:F1} |")) + string.Concat(settings.MixThreads.Select(t => $" {row.WriteHeavy[t]:F1} |"));
            Console.WriteLine($"| {row.Name} | {row.HitNs:F1} | {row.HitBytes:F0} | {row.MissNs:F1} | {row.MissBytes:F0} | {row.SetNs:F1} | {row.SetBytes:F0} |{mops}");
        }

        Console.WriteLine();
    }

    private static string Describe()
    {
        string cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }

        return $"{RuntimeInformation.OSDescription}, {cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}";
    }

    /// <summary>One cache's measured loops, specialised for its adapter type.</summary>
    private sealed record Candidate(string Name, Func<int, long> Hit, Func<int, long> Miss, Func<int, long> Overwrite, Func<int[][], double, int, (long Ops, double Seconds)> Mix)
    {
        public static Candidate Create<TCache>(TCache cache)
            where TCache : struct, ICacheUnderTest
        {
            string[] present = Enumerable.Range(0, HotKeys).Select(i => "key:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            string[] absent = Enumerable.Range(0, HotKeys).Select(i => "missing:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            string[] mixKeys = Enumerable.Range(0, MixKeySpace).Select(i => "mix:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            string[] values = ["value-a", "value-b"];
            foreach (string key in present.Concat(mixKeys))
            {
                cache.Set(key, values[0]);
            }

            return new Candidate(
                cache.Name,
                n => ReadLoop(cache, present, n),
                n => ReadLoop(cache, absent, n),
                n => WriteLoop(cache, present, values, n),
                (traces, seconds, writePercent) => RunMix(cache, mixKeys, values, traces, seconds, writePercent));
        }
    }

    internal sealed record Settings(int RoundMilliseconds, int Rounds, double MixSeconds, int[] MixThreads, int TraceLength);

    internal sealed record Row(string Name, double HitNs, double HitBytes, double MissNs, double MissBytes, double SetNs, double SetBytes, Dictionary<int, double> ReadHeavy, Dictionary<int, double> WriteHeavy);
}
