using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Strata.Bench;

namespace Strata.Benchmarks.Tiered;

/// <summary>
/// One write through each library (µs per write), 64 in a row per invocation: Strata writes L1, then Redis with its
/// invalidation published to the other instances; FusionCache (no backplane) and HybridCache write their memory tier
/// and Redis; the baseline is a raw <c>SET</c>.
/// </summary>
public class TieredSetBenchmarks : TieredBenchmarks
{
    private const int Writes = 64;
    private static readonly string s_value = new('w', 100);

    private protected override bool ColdReads => false;

    [Benchmark(Baseline = true, OperationsPerInvoke = Writes)]
    public async Task RawRedisSet()
    {
        for (int i = 0; i < Writes; i++)
        {
            await Raw.StringSetAsync(RawKeys[i], s_value);
        }
    }

    [Benchmark(OperationsPerInvoke = Writes)]
    public Task StrataTieredCache() => WriteAsync(Strata);

    [Benchmark(OperationsPerInvoke = Writes)]
    public Task FusionCache() => WriteAsync(Fusion);

    [Benchmark(OperationsPerInvoke = Writes)]
    public Task HybridCache() => WriteAsync(Hybrid);

    private async Task WriteAsync(ITieredPeer peer)
    {
        for (int i = 0; i < Writes; i++)
        {
            await peer.SetAsync(Keys[i], s_value);
        }
    }
}
