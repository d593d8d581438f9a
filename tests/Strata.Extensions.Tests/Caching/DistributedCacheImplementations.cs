using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Strata.Extensions.Tests.Support;
using Strata.Testing;
using Xunit;

namespace Strata.Extensions.Tests.Caching;

/// <summary>The reference: Microsoft's in-memory implementation, on the same fake clock.</summary>
public sealed class MemoryDistributedCacheContractTests : DistributedCacheContractTests
{
    protected override Task<IDistributedCache> CreateAsync(FakeTimeProvider time) =>
#pragma warning disable CS0618 // ISystemClock is how MemoryCache takes a clock
        Task.FromResult<IDistributedCache>(new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions { Clock = new FakeClock(time) })));

    private sealed class FakeClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
#pragma warning restore CS0618
}

/// <summary>Strata's adapter, registered by AddDistributedCache in a host, on an L1-only cache.</summary>
public sealed class StrataLocalDistributedCacheContractTests : DistributedCacheContractTests
{
    private IHost? _host;

    protected override async Task<IDistributedCache> CreateAsync(FakeTimeProvider time)
    {
        _host = await TestHosts.StartAsync(TestHosts.Memory(), strata => strata.AddDistributedCache(), services: s => s.AddSingleton<TimeProvider>(time));
        return _host.Services.GetRequiredService<IDistributedCache>();
    }

    public override Task DisposeAsync()
    {
        _host?.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AbsoluteExpiration_InThePast_IsRefusedNamingTheOptions()
    {
        var past = new DistributedCacheEntryOptions { AbsoluteExpiration = Time.GetUtcNow().AddSeconds(-1) };

        Assert.Equal("options", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Cache.SetAsync("k", [1], past))).ParamName);
        Assert.Null(await Cache.GetAsync("k"));
    }
}

/// <summary>Strata's adapter over a real Redis, plus what only a shared tier can show.</summary>
public sealed class StrataTieredDistributedCacheContractTests(SingleRedis redis) : DistributedCacheContractTests, IClassFixture<SingleRedis>
{
    private readonly Dictionary<string, string?> _settings = TestHosts.Redis(redis.Configuration);
    private readonly List<IHost> _hosts = [];

    protected override Task<IDistributedCache> CreateAsync(FakeTimeProvider time) => StartInstanceAsync(time);

    public override Task DisposeAsync()
    {
        _hosts.ForEach(host => host.Dispose());
        return Task.CompletedTask;
    }

    [Fact]
    public async Task TwoInstances_SeeEachOthersWrites()
    {
        IDistributedCache other = await StartInstanceAsync(Time);
        await Cache.SetAsync("k", [1], new DistributedCacheEntryOptions());
        Assert.Equal(new byte[] { 1 }, await other.GetAsync("k")); // from Redis, then in the other's L1

        await Cache.SetAsync("k", [2], new DistributedCacheEntryOptions());

        await Eventually.True(async () => (await other.GetAsync("k"))?[0] == 2, "the other instance to drop its old copy");
    }

    private async Task<IDistributedCache> StartInstanceAsync(FakeTimeProvider time)
    {
        IHost host = await TestHosts.StartAsync(new(_settings), strata => strata.AddDistributedCache(), services: s => s.AddSingleton<TimeProvider>(time));
        _hosts.Add(host);
        return host.Services.GetRequiredService<IDistributedCache>();
    }
}
