using System;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Strata.Extensions;
using Strata.Tiering;

namespace Strata.Benchmarks.Local;

/// <summary>A user profile as a service caches it: a plain class with setters, so mutable by Microsoft's rule.</summary>
public sealed class ProfileClass
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public string Email { get; set; } = "";

    public int Visits { get; set; }

    public DateTimeOffset LastSeen { get; set; }
}

/// <summary>The same profile, immutable by Microsoft's rule (sealed, <c>[ImmutableObject(true)]</c>): shared, never copied.</summary>
[ImmutableObject(true)]
public sealed record ProfileRecord(string Id, string Name, string Email, int Visits, DateTimeOffset LastSeen);

/// <summary>
/// What a <c>HybridCache</c> hit costs by kind of value, L1 only: Strata's adapter and Microsoft's default. A mutable
/// value reaches each caller as its own copy (a serialize and deserialize round trip in both); an immutable one is shared.
/// </summary>
[MemoryDiagnoser]
public class HybridCopyBenchmarks
{
    private static readonly Func<CancellationToken, ValueTask<ProfileClass>> MakeClass = static _ =>
        new(new ProfileClass { Id = "u:42", Name = "Alice Example", Email = "alice@example.com", Visits = 7, LastSeen = DateTimeOffset.UnixEpoch });

    private static readonly Func<CancellationToken, ValueTask<ProfileRecord>> MakeRecord = static _ =>
        new(new ProfileRecord("u:42", "Alice Example", "alice@example.com", 7, DateTimeOffset.UnixEpoch));

    private TieredCache _tiered = null!;
    private HybridCache _strata = null!;
    private ServiceProvider _services = null!;
    private HybridCache _microsoft = null!;

    [GlobalSetup]
    public void Setup()
    {
        _tiered = new TieredCache(new TieredCacheOptions());
        _strata = new StrataHybridCache(_tiered);
        _services = new ServiceCollection().AddHybridCache().Services.BuildServiceProvider();
        _microsoft = _services.GetRequiredService<HybridCache>();
        foreach (HybridCache cache in new[] { _strata, _microsoft })
        {
            cache.GetOrCreateAsync("class", MakeClass).AsTask().GetAwaiter().GetResult();
            cache.GetOrCreateAsync("record", MakeRecord).AsTask().GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _tiered.Dispose();
    }

    [Benchmark(Baseline = true)]
    public ProfileClass StrataMutableHit() => _strata.GetOrCreateAsync("class", MakeClass).GetAwaiter().GetResult();

    [Benchmark]
    public ProfileClass MicrosoftMutableHit() => _microsoft.GetOrCreateAsync("class", MakeClass).GetAwaiter().GetResult();

    [Benchmark]
    public ProfileRecord StrataImmutableHit() => _strata.GetOrCreateAsync("record", MakeRecord).GetAwaiter().GetResult();

    [Benchmark]
    public ProfileRecord MicrosoftImmutableHit() => _microsoft.GetOrCreateAsync("record", MakeRecord).GetAwaiter().GetResult();
}
