using BenchmarkDotNet.Attributes;

namespace Strata.Benchmarks.Local;

/// <summary>A read of a present key: 1,024 keys, all cached, read in order (ns per read).</summary>
public class HitBenchmarks : PeerBenchmarks
{
    [Benchmark(Baseline = true, OperationsPerInvoke = Keys)]
    public int ConcurrentDictionary() => Loops.Hits(Caches.Dictionary, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int StrataLocalCache() => Loops.Hits(Caches.Strata, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int StrataTieredCache() => Loops.Hits(Caches.Tiered, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int ConcurrentLru() => Loops.Hits(Caches.Lru, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int FastConcurrentLru() => Loops.Hits(Caches.FastLru, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int ConcurrentLfu() => Loops.Hits(Caches.Lfu, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int MemoryCache() => Loops.Hits(Caches.Memory, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int FusionCache() => Loops.Hits(Caches.Fusion, Present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int HybridCache() => Loops.Hits(Caches.Hybrid, Present);
}
