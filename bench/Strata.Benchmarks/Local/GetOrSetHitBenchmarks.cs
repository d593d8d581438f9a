using BenchmarkDotNet.Attributes;

namespace Strata.Benchmarks.Local;

/// <summary>The library's own get-or-add on a present key (ns per call).</summary>
public class GetOrSetHitBenchmarks : PeerBenchmarks
{
    [Benchmark(Baseline = true, OperationsPerInvoke = Keys)]
    public int ConcurrentDictionary() => Loops.GetOrSets(Caches.Dictionary, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int StrataLocalCache() => Loops.GetOrSets(Caches.Strata, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int StrataTieredCache() => Loops.GetOrSets(Caches.Tiered, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int ConcurrentLru() => Loops.GetOrSets(Caches.Lru, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int FastConcurrentLru() => Loops.GetOrSets(Caches.FastLru, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int ConcurrentLfu() => Loops.GetOrSets(Caches.Lfu, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int MemoryCache() => Loops.GetOrSets(Caches.Memory, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int FusionCache() => Loops.GetOrSets(Caches.Fusion, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int HybridCache() => Loops.GetOrSets(Caches.Hybrid, Present);
}
