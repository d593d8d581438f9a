using BenchmarkDotNet.Attributes;

namespace Strata.Benchmarks.Local;

/// <summary>A write over a present key: 1,024 cached keys written again in order (ns per write).</summary>
public class OverwriteBenchmarks : PeerBenchmarks
{
    [Benchmark(Baseline = true, OperationsPerInvoke = Keys)]
    public int ConcurrentDictionary() => Loops.Sets(Caches.Dictionary, Present, 0, Keys);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int StrataLocalCache() => Loops.Sets(Caches.Strata, Present, 0, Keys);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int StrataTieredCache() => Loops.Sets(Caches.Tiered, Present, 0, Keys);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int ConcurrentLru() => Loops.Sets(Caches.Lru, Present, 0, Keys);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int FastConcurrentLru() => Loops.Sets(Caches.FastLru, Present, 0, Keys);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int ConcurrentLfu() => Loops.Sets(Caches.Lfu, Present, 0, Keys);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int MemoryCache() => Loops.Sets(Caches.Memory, Present, 0, Keys);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int FusionCache() => Loops.Sets(Caches.Fusion, Present, 0, Keys);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int HybridCache() => Loops.Sets(Caches.Hybrid, Present, 0, Keys);
}
