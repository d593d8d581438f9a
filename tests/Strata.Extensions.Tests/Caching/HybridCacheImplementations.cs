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
    protected override bool Distributed => false;

    protected override Task<IHost> StartAsync(Action<HybridCacheOptions>? configure = null) => MicrosoftHosts.StartAsync(configure);
}

/// <summary>The tiered reference: Microsoft's default HybridCache over Microsoft's Redis <c>IDistributedCache</c>, on a real Redis.</summary>
public sealed class DefaultTieredHybridCacheContractTests(SingleRedis redis) : HybridCacheContractTests, IClassFixture<SingleRedis>
{
    private readonly string _prefix = TestHosts.UniquePrefix();

    protected override bool Distributed => true;

    protected override Task<IHost> StartAsync(Action<HybridCacheOptions>? configure = null) =>
        MicrosoftHosts.StartAsync(configure, services => services.AddStackExchangeRedisCache(o =>
        {
            o.Configuration = redis.Configuration;
            o.InstanceName = _prefix;
        }));
}

/// <summary>Hosts of Microsoft's default HybridCache.</summary>
internal static class MicrosoftHosts
{
    public static async Task<IHost> StartAsync(Action<HybridCacheOptions>? configure, Action<IServiceCollection>? services = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Test" });
        services?.Invoke(builder.Services);
        builder.Services.AddHybridCache(o => configure?.Invoke(o));
        IHost host = builder.Build();
        await host.StartAsync();
        return host;
    }
}

/// <summary>Strata's HybridCache on an L1-only cache, swapped in for Microsoft's with one registration.</summary>
public sealed class StrataLocalHybridCacheContractTests : HybridCacheContractTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    protected override bool Distributed => false;

    protected override Task<IHost> StartAsync(Action<HybridCacheOptions>? configure = null) =>
        TestHosts.StartAsync(TestHosts.Memory(), strata => strata.AddHybridCache(), services: s =>
        {
            s.AddSingleton<TimeProvider>(_time);
            s.AddHybridCache(o => configure?.Invoke(o)); // Microsoft's registration: its options reach Strata's cache
        });

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
    public async Task DefaultEntryOptions_Expiration_IsTheTimeToLiveOfCallsWithoutOne()
    {
        HybridCache cache = await StartOtherAsync(o => o.DefaultEntryOptions = new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) });
        await cache.GetOrCreateAsync("k", _ => new ValueTask<string>("first"));

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("first", await cache.GetOrCreateAsync("k", _ => new ValueTask<string>("second")));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("second", await cache.GetOrCreateAsync("k", _ => new ValueTask<string>("second")));
    }

    [Fact]
    public void OptionsWithoutRoomForAKeyOrAValue_AreRefused()
    {
        var cache = new TieredCache(new TieredCacheOptions());
        try
        {
            Assert.Equal("options", Assert.Throws<ArgumentOutOfRangeException>(() => new StrataHybridCache(cache, new HybridCacheOptions { MaximumKeyLength = 0 })).ParamName);
            Assert.Equal("options", Assert.Throws<ArgumentOutOfRangeException>(() => new StrataHybridCache(cache, new HybridCacheOptions { MaximumPayloadBytes = -1 })).ParamName);
        }
        finally
        {
            cache.Dispose();
        }
    }

    [Fact]
    public async Task KeyStrataKeepsForItsSets_IsNotCached_AndDoesNotThrow()
    {
        int runs = 0;
        await Cache.GetOrCreateAsync("user__tag:1", _ => new ValueTask<int>(++runs));

        Assert.Equal(2, await Cache.GetOrCreateAsync("user__tag:1", _ => new ValueTask<int>(++runs)));
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

    protected override bool Distributed => true;

    protected override Task<IHost> StartAsync(Action<HybridCacheOptions>? configure = null) =>
        TestHosts.StartAsync(new(_settings), strata => strata.AddHybridCache(), services: s => s.AddHybridCache(o => configure?.Invoke(o)));

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
    public async Task MaximumPayloadBytes_KeepsALargerValueOutOfRedis_AndRemovesTheOlderOne()
    {
        HybridCache limited = await StartOtherAsync(o => o.MaximumPayloadBytes = 64);
        using IHost otherHost = await StartAsync();
        HybridCache other = otherHost.Services.GetRequiredService<HybridCache>();
        await limited.SetAsync("k", "small");
        Assert.Equal("small", await other.GetOrCreateAsync("k", _ => new ValueTask<string>("not used")));

        await limited.SetAsync("k", new string('x', 1000));

        var redisOnly = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableLocalCacheRead | HybridCacheEntryFlags.DisableUnderlyingData };
        Assert.Null(await other.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("must not run"), redisOnly)); // Redis holds neither value
        Assert.Equal(1000, (await limited.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("must not run"))).Length);
    }

    [Fact]
    public async Task DisableDistributedCacheWrite_RemovesTheOtherInstancesCopies()
    {
        using IHost otherHost = await StartAsync();
        HybridCache other = otherHost.Services.GetRequiredService<HybridCache>();
        await Cache.SetAsync("k", "shared");
        Assert.Equal("shared", await other.GetOrCreateAsync("k", _ => new ValueTask<string>("not used")));

        await Cache.SetAsync("k", "mine", new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableDistributedCacheWrite });

        var readOnly = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableUnderlyingData }; // L1, then Redis; no factory, no write
        await Eventually.True(
            async () => await other.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("must not run"), readOnly) is null,
            "the other instance to drop its copy, and Redis its value");
        Assert.Equal("mine", await Cache.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("must not run")));
    }

    [Fact]
    public async Task LargeValues_AreCompressedInRedis_UnlessTheOptionsOrTheCallSayNot()
    {
        string large = string.Concat(System.Linq.Enumerable.Repeat("a message of the session; ", 200));
        HybridCache uncompressed = await StartOtherAsync(o => o.DisableCompression = true);

        await Cache.SetAsync("compressed", large);
        await Cache.SetAsync("flagged", large, new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableCompression });
        await uncompressed.SetAsync("by options", large);

        await using StackExchange.Redis.ConnectionMultiplexer raw = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        async Task<byte> FlagsOf(string key) => ((byte[])(await raw.GetDatabase().StringGetAsync(_settings["Strata:KeyPrefix"] + key))!)[2];
        Assert.Equal(0b110, await FlagsOf("compressed")); // a compressed UTF-8 string
        Assert.Equal(0b010, await FlagsOf("flagged"));
        Assert.Equal(0b010, await FlagsOf("by options"));
        Assert.Equal(large, await uncompressed.GetOrCreateAsync<string>("compressed", _ => throw new InvalidOperationException("must not run")));
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
