using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using StackExchange.Redis;
using Strata.Bench;

namespace Strata.Benchmarks.Tiered;

/// <summary>
/// 100 keys read at once with a cold L1 (µs per batch): Strata's <c>GetManyAsync</c> (one <c>MGET</c>, then L1 fills),
/// FusionCache and HybridCache with their 100 reads started together (they have no batch read), against one raw
/// <c>MGET</c> of the same keys.
/// </summary>
public class TieredBatchBenchmarks : TieredBenchmarks
{
    private const int Batch = 100;
    private int _next;

    private protected override bool ColdReads => true;

    [Benchmark(Baseline = true)]
    public async Task<int> RawRedisMget()
    {
        RedisValue[] values = await Raw.StringGetAsync(RawKeys.AsSpan(Advance(), Batch).ToArray());
        return values.Length;
    }

    [Benchmark]
    public ValueTask<int> StrataTieredCache() => Strata.GetManyAsync(new ArraySegment<string>(Keys, Advance(), Batch));

    [Benchmark]
    public ValueTask<int> FusionCache() => Fusion.GetManyAsync(new ArraySegment<string>(Keys, Advance(), Batch));

    [Benchmark]
    public ValueTask<int> HybridCache() => Hybrid.GetManyAsync(new ArraySegment<string>(Keys, Advance(), Batch));

    /// <summary>The next batch's first key: batches move through every stored key, so none is in L1 from before.</summary>
    private int Advance()
    {
        int start = _next;
        _next = _next + 2 * Batch > Stored ? 0 : _next + Batch;
        return start;
    }
}
