using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Strata.Bench;

namespace Strata.Benchmarks.Tiered;

/// <summary>
/// One read through each library, 64 keys in a row per invocation (µs or ns per read), against a raw
/// StackExchange.Redis <c>GET</c> (the baseline: every read a round trip).
/// </summary>
public abstract class TieredGetBenchmarks : TieredBenchmarks
{
    private const int Reads = 64;
    private int _next;

    [Benchmark(Baseline = true, OperationsPerInvoke = Reads)]
    public async Task<int> RawRedisGet()
    {
        int length = 0;
        int start = Advance();
        for (int i = 0; i < Reads; i++)
        {
            length += (int)(await Raw.StringGetAsync(RawKeys[(start + i) % Stored])).Length();
        }

        return length;
    }

    [Benchmark(OperationsPerInvoke = Reads)]
    public Task<int> StrataTieredCache() => ReadAsync(Strata);

    [Benchmark(OperationsPerInvoke = Reads)]
    public Task<int> FusionCache() => ReadAsync(Fusion);

    [Benchmark(OperationsPerInvoke = Reads)]
    public Task<int> HybridCache() => ReadAsync(Hybrid);

    private async Task<int> ReadAsync(ITieredPeer peer)
    {
        int length = 0;
        int start = Advance();
        for (int i = 0; i < Reads; i++)
        {
            length += (await peer.GetAsync(Keys[(start + i) % Stored]))?.Length ?? 0;
        }

        return length;
    }

    /// <summary>Warm suites read the same 64 keys again and again; cold ones move on through all the stored keys.</summary>
    private int Advance()
    {
        if (!ColdReads)
        {
            return 0;
        }

        int start = _next;
        _next = (_next + Reads) % Stored;
        return start;
    }
}

/// <summary>Reads that L1 answers: each library's warm path, against a Redis round trip.</summary>
public class TieredGetWarmBenchmarks : TieredGetBenchmarks
{
    private protected override bool ColdReads => false;
}

/// <summary>Reads that go to Redis: L1 skipped (FusionCache, HybridCache) or too small to hold them (Strata).</summary>
public class TieredGetColdBenchmarks : TieredGetBenchmarks
{
    private protected override bool ColdReads => true;
}
