using System;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using StackExchange.Redis;
using Strata.Bench;

namespace Strata.Benchmarks.Tiered;

/// <summary>
/// The set-up the Redis suites share: a private redis-server on loopback (or <c>STRATA_BENCH_REDIS</c>), a raw
/// StackExchange.Redis connection for the baseline, and each library as a service would use it, over its own key
/// prefix: Strata's <c>TieredCache</c> (backplane on), FusionCache 2.9 and HybridCache 10.11 over Microsoft's
/// <c>RedisCache</c>. <see cref="Stored"/> keys hold a 100-char string in Redis, written through each library.
/// </summary>
[MemoryDiagnoser]
public abstract class TieredBenchmarks
{
    /// <summary>The keys written at set-up: enough that a reader with a tiny L1, cycling over them, always goes to Redis.</summary>
    private protected const int Stored = 4096;

    private RedisServer _server = null!;
    private ConnectionMultiplexer _raw = null!;

    private protected IDatabase Raw { get; private set; } = null!;

    private protected ITieredPeer Strata { get; private set; } = null!;

    private protected ITieredPeer Fusion { get; private set; } = null!;

    private protected ITieredPeer Hybrid { get; private set; } = null!;

    private protected string[] Keys { get; private set; } = null!;

    private protected RedisKey[] RawKeys { get; private set; } = null!;

    /// <summary>Whether the libraries' reads skip L1 (the cold suites).</summary>
    private protected abstract bool ColdReads { get; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _server = RedisServer.Start();
        _raw = await ConnectionMultiplexer.ConnectAsync(_server.Configuration);
        Raw = _raw.GetDatabase();
        TimeSpan life = TimeSpan.FromHours(1);
        string run = Guid.NewGuid().ToString("N")[..8];
        Strata = new StrataPeer(_server.Configuration, $"bench:{run}:strata:", life, ColdReads);
        Fusion = new FusionPeer(_server.Configuration, $"bench:{run}:fusion:", life, ColdReads);
        Hybrid = new HybridPeer(_server.Configuration, $"bench:{run}:hybrid:", life, ColdReads);
        Keys = Local.Peers.Keys(Stored);
        RawKeys = Array.ConvertAll(Keys, key => new RedisKey($"bench:{run}:raw:{key}"));
        string value = new('v', 100);
        for (int i = 0; i < Stored; i++)
        {
            await Raw.StringSetAsync(RawKeys[i], value);
            await Strata.SetAsync(Keys[i], value);
            await Fusion.SetAsync(Keys[i], value);
            await Hybrid.SetAsync(Keys[i], value);
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await Strata.DisposeAsync();
        await Fusion.DisposeAsync();
        await Hybrid.DisposeAsync();
        await _raw.DisposeAsync();
        _server.Dispose();
    }
}
