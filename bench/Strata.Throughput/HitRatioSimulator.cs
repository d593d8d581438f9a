using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using BitFaster.Caching.Lfu;
using BitFaster.Caching.Lru;
using BitFaster.Caching.Scheduler;
using Strata.Bench;
using Strata.Engine;

namespace Strata.Throughput;

/// <summary>
/// Replays synthetic traces through each eviction policy at several capacities and reports the hit ratio: a read that
/// misses admits the key, as a get-or-set would. The traces stress what policies differ on: skew (Zipf 0.7, 0.9,
/// 1.1), a loop larger than the cache (LRU's worst case), one-off scans mixed into a Zipf stream (scan resistance), and
/// a hot set that moves (recency). Two reference lines: exact LRU, and a perfect-frequency bound that keeps the
/// trace's most frequent keys from the start (every access to them but the first is a hit), which no online policy
/// beats by much on these traces.
/// </summary>
internal static class HitRatioSimulator
{
    private const int KeySpace = 100_000;

    /// <summary>Cache sizes as entries: 0.5 % to 10 % of the key space.</summary>
    internal static readonly int[] Capacities = [500, 1_000, 2_500, 5_000, 10_000];

    internal sealed record Trace(string Name, int[] Requests);

    /// <summary>One trace's hit ratios: by policy, one value per capacity of <see cref="Capacities"/>.</summary>
    internal sealed record Result(string Trace, int[] Capacities, Dictionary<string, double[]> Ratios);

    internal static IReadOnlyList<string> Policies { get; } =
        ["Strata LocalCache", "BitFaster ConcurrentLru", "BitFaster ConcurrentLfu", "exact LRU", "perfect-frequency bound"];

    public static List<Result> Run(int length, int[] capacities, bool allTraces)
    {
        return Traces(length, allTraces).Select(trace => Replay(trace, capacities)).ToList();
    }

    /// <summary>One trace through every policy at each of <paramref name="capacities"/>.</summary>
    internal static Result Replay(Trace trace, int[] capacities)
    {
        var ratios = Policies.ToDictionary(p => p, _ => new double[capacities.Length]);
        string[] keys = KeysFor(trace.Requests);
        for (int c = 0; c < capacities.Length; c++)
        {
            int capacity = capacities[c];
            using (var strata = new LocalCache<string>(new LocalCacheOptions<string> { MaxEntries = capacity }))
            {
                ratios[Policies[0]][c] = Replay(trace.Requests, keys, new LocalCacheAdapter(strata));
            }

            ratios[Policies[1]][c] = Replay(trace.Requests, keys, new ConcurrentLruAdapter(new ConcurrentLru<string, string>(capacity)));
            ratios[Policies[2]][c] = Replay(trace.Requests, keys, new ConcurrentLfuAdapter(new ConcurrentLfu<string, string>(1, capacity, new ForegroundScheduler(), StringComparer.Ordinal)));
            ratios[Policies[3]][c] = Lru(trace.Requests, capacity);
            ratios[Policies[4]][c] = FrequencyBound(trace.Requests, capacity);
        }

        return new Result(trace.Name, capacities, ratios);
    }

    /// <summary>
    /// The recorded traces of <paramref name="folder"/> (<see cref="RecordedTraces"/>), each at 5 % and 20 % of its
    /// distinct keys, printed as one table with Strata's distance to the better of BitFaster's two caches.
    /// </summary>
    /// <returns>The worst of those distances, in points.</returns>
    internal static double RunRecorded(string folder, string? plots = null)
    {
        Console.WriteLine($"Hit ratio (%) on the recorded traces of {folder}, at 5 % and 20 % of each trace's distinct keys:");
        Console.WriteLine();
        Console.WriteLine("| trace | accesses | keys | capacity |" + string.Concat(Policies.Select(p => $" {p} |"))
            + " Strata - best BitFaster | model: SIEVE + TinyLFU, 1 % window | model: adaptive window | adaptive model - best BitFaster | model: adaptive, segmented main | its gap | model: adaptive, sketch bumped once per visit | its gap |");
        Console.WriteLine("| --- | ---: | ---: | ---: |" + string.Concat(Policies.Select(_ => " ---: |")) + " ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        double worst = double.PositiveInfinity, worstModel = double.PositiveInfinity, worstSegmented = double.PositiveInfinity, worstEpoch = double.PositiveInfinity;
        foreach (Trace trace in RecordedTraces.Load(folder))
        {
            int distinct = trace.Requests.Length == 0 ? 0 : trace.Requests.Max() + 1; // renumbered 0..n-1
            int[] capacities = [Share(distinct, 20), Share(distinct, 5)];
            Result result = Replay(trace, capacities);
            if (plots is not null)
            {
                Plots.RecordedTrace(plots, Replay(trace, [Share(distinct, 40), Share(distinct, 20), Share(distinct, 10), Share(distinct, 5), Share(distinct, 2.5)]));
            }

            for (int c = 0; c < capacities.Length; c++)
            {
                double best = Math.Max(result.Ratios[Policies[1]][c], result.Ratios[Policies[2]][c]);
                double gap = result.Ratios[Policies[0]][c] - best;
                double fixedWindow = Model(trace.Requests, distinct, capacities[c], adaptive: false);
                double adaptive = Model(trace.Requests, distinct, capacities[c], adaptive: true);
                double segmented = Model(trace.Requests, distinct, capacities[c], adaptive: true, segmented: true);
                double epoch = Model(trace.Requests, distinct, capacities[c], adaptive: true, epochSketch: true);
                worstEpoch = Math.Min(worstEpoch, epoch - best);
                worst = Math.Min(worst, gap);
                worstModel = Math.Min(worstModel, adaptive - best);
                worstSegmented = Math.Min(worstSegmented, segmented - best);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {trace.Name} | {trace.Requests.Length:N0} | {distinct:N0} | {(c == 0 ? "5 %" : "20 %")} = {capacities[c]:N0} |")
                    + string.Concat(Policies.Select(p => string.Create(CultureInfo.InvariantCulture, $" {result.Ratios[p][c] * 100:F2} |")))
                    + string.Create(CultureInfo.InvariantCulture, $" {gap * 100:+0.00;-0.00} | {fixedWindow * 100:F2} | {adaptive * 100:F2} | {(adaptive - best) * 100:+0.00;-0.00} | {segmented * 100:F2} | {(segmented - best) * 100:+0.00;-0.00} | {epoch * 100:F2} | {(epoch - best) * 100:+0.00;-0.00} |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worst Strata - best BitFaster: {worst * 100:+0.00;-0.00} points (issue 22's target: at least -0.50)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worst adaptive model - best BitFaster: {worstModel * 100:+0.00;-0.00} points (a design study: see SieveTinyLfuModel)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worst adaptive segmented model - best BitFaster: {worstSegmented * 100:+0.00;-0.00} points"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worst adaptive model, sketch bumped once per visit - best BitFaster: {worstEpoch * 100:+0.00;-0.00} points"));
        return worst;
    }

    /// <summary>One <paramref name="divisor"/>-th of a trace's distinct keys, at least 3 (the fewest BitFaster's ConcurrentLru takes).</summary>
    private static int Share(int distinct, double divisor) => Math.Max(3, (int)(distinct / divisor));

    private static double Model(int[] requests, int keys, int capacity, bool adaptive, bool segmented = false, bool epochSketch = false) =>
        HitRatio(requests, new SieveTinyLfuModel(keys, capacity, adaptive, segmented: segmented, epochSketch: epochSketch).Access);

    public static void Print(List<Result> results, int length)
    {
        Console.WriteLine($"Hit ratio (%), {length:N0} requests per trace over {KeySpace:N0} keys; capacity in entries:");
        Console.WriteLine();
        foreach (Result result in results)
        {
            Console.WriteLine($"{result.Trace}:");
            Console.WriteLine();
            Console.WriteLine("| policy |" + string.Concat(result.Capacities.Select(c => $" {c:N0} |")));
            Console.WriteLine("| --- |" + string.Concat(result.Capacities.Select(_ => " ---: |")));
            foreach ((string policy, double[] ratios) in result.Ratios)
            {
                Console.WriteLine($"| {policy} |" + string.Concat(ratios.Select(r => $" {r * 100:F2} |")));
            }

            Console.WriteLine();
        }

        Console.WriteLine("Strata against exact LRU (points, per capacity; target: at least 0 on every trace):");
        Console.WriteLine();
        foreach (Result result in results)
        {
            double[] strata = result.Ratios[Policies[0]], lru = result.Ratios[Policies[3]];
            string deltas = string.Join(", ", strata.Select((s, i) => ((s - lru[i]) * 100).ToString("+0.00;-0.00", CultureInfo.InvariantCulture)));
            Console.WriteLine($"- {result.Trace}: {deltas}");
        }

        Console.WriteLine();
    }

    /// <summary>The traces; <paramref name="all"/> false gives only Zipf 0.9 (the quick run).</summary>
    internal static IEnumerable<Trace> Traces(int length, bool all)
    {
        if (!all)
        {
            yield return new Trace("Zipf 0.9", new Zipf(KeySpace, 0.9).Trace(length, seed: 42));
            yield break;
        }

        foreach (double s in (double[])[0.7, 0.9, 1.1])
        {
            yield return new Trace(string.Create(CultureInfo.InvariantCulture, $"Zipf {s}"), new Zipf(KeySpace, s).Trace(length, seed: 42));
        }

        // A loop over 12,000 keys, larger than every capacity: LRU evicts each key just before it comes back.
        int[] loop = new int[length];
        for (int i = 0; i < length; i++)
        {
            loop[i] = i % 12_000;
        }

        yield return new Trace("loop of 12,000 keys", loop);

        // Zipf 0.9, and every 20,000 requests a scan of 5,000 keys that are never seen again.
        int[] zipf = new Zipf(KeySpace, 0.9).Trace(length, seed: 7);
        int[] scanned = new int[length];
        int fresh = KeySpace;
        for (int i = 0, z = 0; i < length; i++)
        {
            scanned[i] = i % 20_000 < 5_000 ? fresh++ : zipf[z++];
        }

        yield return new Trace("Zipf 0.9 with scans", scanned);

        // Zipf 0.9 whose popular keys change every tenth of the trace (ranks map to other keys).
        int[] moving = new Zipf(KeySpace, 0.9).Trace(length, seed: 11);
        for (int i = 0; i < length; i++)
        {
            int phase = i / Math.Max(1, length / 10);
            moving[i] = (moving[i] + phase * (KeySpace / 10)) % KeySpace;
        }

        yield return new Trace("Zipf 0.9, hot set moving", moving);
    }

    private static string[] KeysFor(int[] requests)
    {
        int max = requests.Max();
        var keys = new string[max + 1];
        for (int i = 0; i <= max; i++)
        {
            keys[i] = "k" + i.ToString(CultureInfo.InvariantCulture);
        }

        return keys;
    }

    /// <summary>Replays a trace through a cache: a read that misses admits the key, as a get-or-set would.</summary>
    private static double Replay<TCache>(int[] requests, string[] keys, TCache cache)
        where TCache : struct, ICacheUnderTest
    {
        long hits = 0;
        foreach (int request in requests)
        {
            string key = keys[request];
            if (cache.TryGet(key, out _))
            {
                hits++;
            }
            else
            {
                cache.Set(key, key);
            }
        }

        return (double)hits / requests.Length;
    }

    private static double Lru(int[] requests, int capacity) => HitRatio(requests, new ExactLru(capacity).Access);

    /// <summary>Replays a trace through a policy over int keys that admits on a miss and returns whether each access hit.</summary>
    private static double HitRatio(int[] requests, Func<int, bool> access)
    {
        long hits = 0;
        foreach (int request in requests)
        {
            hits += access(request) ? 1 : 0;
        }

        return (double)hits / requests.Length;
    }

    /// <summary>Keeps the <paramref name="capacity"/> most frequent keys of the whole trace: each of their accesses but the first hits.</summary>
    private static double FrequencyBound(int[] requests, int capacity)
    {
        var counts = new Dictionary<int, int>();
        foreach (int request in requests)
        {
            counts[request] = counts.GetValueOrDefault(request) + 1;
        }

        long hits = counts.Values.OrderByDescending(c => c).Take(capacity).Sum(c => (long)c - 1);
        return (double)hits / requests.Length;
    }
}
