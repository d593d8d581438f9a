using System;
using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;

namespace Strata.Benchmarks.Local;

/// <summary>
/// An insert into a full cache: every write is a new key and evicts one (ns per insert). Capacity 1,024 entries, keys
/// from a cycle of 65,536. The baseline is a <c>ConcurrentDictionary</c> kept at the same size by hand (insert, then
/// remove the key written 1,024 inserts ago). FusionCache and HybridCache are not here: they have no entry bound.
/// </summary>
[MemoryDiagnoser]
public class EvictionBenchmarks
{
    private const int Capacity = 1024;
    private const int Batch = 1024;
    private Peers _caches = null!;
    private ConcurrentDictionary<string, string> _bounded = null!;
    private string[] _stream = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _stream = Peers.Keys(65_536, "e");
        _caches = new Peers(Capacity);
        _caches.Fill(Peers.Keys(Capacity));
        _bounded = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < Capacity; i++)
        {
            _bounded[_stream[_stream.Length - Capacity + i]] = string.Empty;
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _caches.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int BoundedConcurrentDictionary()
    {
        for (int i = 0; i < Batch; i++)
        {
            int at = (_next + i) % _stream.Length;
            _bounded[_stream[at]] = _stream[at];
            _bounded.TryRemove(_stream[(at - Capacity + _stream.Length) % _stream.Length], out _);
        }

        return Advance();
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int StrataLocalCache() => Loops.Sets(_caches.Strata, _stream, Advance(), Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int StrataTieredCache() => Loops.Sets(_caches.Tiered, _stream, Advance(), Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int ConcurrentLru() => Loops.Sets(_caches.Lru, _stream, Advance(), Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int FastConcurrentLru() => Loops.Sets(_caches.FastLru, _stream, Advance(), Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int ConcurrentLfu() => Loops.Sets(_caches.Lfu, _stream, Advance(), Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int MemoryCache() => Loops.Sets(_caches.Memory, _stream, Advance(), Batch);

    /// <summary>The start of this invocation's keys; the next one starts where this one ends.</summary>
    private int Advance()
    {
        int start = _next;
        _next = (_next + Batch) % _stream.Length;
        return start;
    }
}
