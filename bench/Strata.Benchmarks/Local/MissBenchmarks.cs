using BenchmarkDotNet.Attributes;

namespace Strata.Benchmarks.Local;

/// <summary>A read of an absent key: 1,024 keys cached, 1,024 others read (ns per read).</summary>
public class MissBenchmarks : PeerBenchmarks
{
    [Benchmark(Baseline = true, OperationsPerInvoke = Keys)]
    public int ConcurrentDictionary() => Loops.Misses(Caches.Dictionary, Absent);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int StrataLocalCache() => Loops.Misses(Caches.Strata, Absent);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int StrataTieredCache() => Loops.Misses(Caches.Tiered, Absent);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int ConcurrentLru() => Loops.Misses(Caches.Lru, Absent);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int FastConcurrentLru() => Loops.Misses(Caches.FastLru, Absent);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int ConcurrentLfu() => Loops.Misses(Caches.Lfu, Absent);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int MemoryCache() => Loops.Misses(Caches.Memory, Absent);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int FusionCache() => Loops.Misses(Caches.Fusion, Absent);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int HybridCache() => Loops.Misses(Caches.Hybrid, Absent);
}
