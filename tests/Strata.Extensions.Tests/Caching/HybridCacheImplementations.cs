using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Strata.Extensions.Tests.Support;
using Strata.Testing;
using Strata.Tiering;
using Xunit;

namespace Strata.Extensions.Tests.Caching;

/// <summary>The reference: Microsoft's default HybridCache (in memory).</summary>
public sealed class DefaultHybridCacheContractTests : HybridCacheContractTests
{
    protected override async Task<IHost> StartAsync()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Test" });
        builder.Services.AddHybridCache();
        IHost host = builder.Build();
        await host.StartAsync();
        return host;
    }
}

/// <summary>Strata's HybridCache on an L1-only cache, swapped in for Microsoft's with one registration.</summary>
public sealed class StrataLocalHybridCacheContractTests : HybridCacheContractTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    protected override Task<IHost> StartAsync() =>
        TestHosts.StartAsync(TestHosts.Memory(), strata => strata.AddHybridCache(), services: s => s.AddSingleton<TimeProvider>(_time));

    [Fact]
    public void AddHybridCache_ReplacesMicrosoftsDefault()
    {
        Assert.IsType<StrataHybridCache>(Cache);
    }

    [Fact]
    public async Task GetOrCreate_Hit_AllocatesNothing()
    {
        Func<int, System.Threading.CancellationToken, ValueTask<int>> factory = static (state, _) => new ValueTask<int>(state);
        await Cache.GetOrCreateAsync("k", 7, factory);

        Allocations.AssertSynchronousAndFree(() => Cache.GetOrCreateAsync("k", 7, factory).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Expiration_IsTheValuesTimeToLive()
    {
        var minute = new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) };
        await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("first"), minute);

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("first", await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("second"), minute));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("second", await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("second"), minute));
    }

    [Fact]
    public async Task ReservedAndNullTags_AreRefused()
    {
        Assert.Equal("tags", (await Assert.ThrowsAsync<ArgumentException>(async () => await Cache.SetAsync("k", "v", tags: ["*"]))).ParamName);
        Assert.Equal("tags", (await Assert.ThrowsAsync<ArgumentException>(async () => await Cache.SetAsync("k", "v", tags: [null!]))).ParamName);
    }
}

/// <summary>Strata's HybridCache over a real Redis, plus what only a shared tier can show.</summary>
public sealed class StrataTieredHybridCacheContractTests(SingleRedis redis) : HybridCacheContractTests, IClassFixture<SingleRedis>
{
    private readonly Dictionary<string, string?> _settings = TestHosts.Redis(redis.Configuration);

    protected override Task<IHost> StartAsync() => TestHosts.StartAsync(new(_settings), strata => strata.AddHybridCache());

    [Fact]
    public async Task RemoveByTag_OnOneInstance_RemovesTheOthersCopies()
    {
        using IHost otherHost = await StartAsync();
        HybridCache other = otherHost.Services.GetRequiredService<HybridCache>();
        await Cache.SetAsync("p1", "product 1", tags: ["category:7"]);
        Assert.Equal("product 1", await other.GetOrCreateAsync("p1", _ => new ValueTask<string>("loaded by other")));

        await Cache.RemoveByTagAsync("category:7");

        await Eventually.True(
            async () => await other.GetOrCreateAsync("p1", _ => new ValueTask<string>("reloaded")) == "reloaded",
            "the other instance to drop its copy");
    }

    [Fact]
    public async Task Values_AreSharedThroughRedis()
    {
        using IHost otherHost = await StartAsync();
        await Cache.SetAsync("k", "from the first");

        Assert.Equal("from the first", await otherHost.Services.GetRequiredService<HybridCache>().GetOrCreateAsync("k", _ => new ValueTask<string>("not used")));
        Assert.Equal(TieredCacheState.Connected, otherHost.Cache().State);
    }
}
