using System;
using System.Buffers;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Strata.Extensions.Tests.Support;
using Strata.Testing;
using Xunit;

namespace Strata.Extensions.Tests.Caching;

/// <summary>The reference: Microsoft's in-memory implementation, on the same fake clock.</summary>
public sealed class MemoryDistributedCacheContractTests : DistributedCacheClockContractTests
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

/// <summary>The tiered reference: Microsoft's Redis implementation on a real Redis (its own clock: the time-free half only).</summary>
public sealed class RedisDistributedCacheContractTests(SingleRedis redis) : DistributedCacheContractTests, IClassFixture<SingleRedis>
{
    private RedisCache? _cache;

    protected override Task<IDistributedCache> CreateAsync(FakeTimeProvider time)
    {
        _cache = new RedisCache(Options.Create(new RedisCacheOptions { Configuration = redis.Configuration, InstanceName = TestHosts.UniquePrefix() }));
        return Task.FromResult<IDistributedCache>(_cache);
    }

    public override Task DisposeAsync()
    {
        _cache?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Strata's adapter, registered by AddDistributedCache in a host, on an L1-only cache.</summary>
public sealed class StrataLocalDistributedCacheContractTests : DistributedCacheClockContractTests
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
public sealed class StrataTieredDistributedCacheContractTests(SingleRedis redis) : DistributedCacheClockContractTests, IClassFixture<SingleRedis>
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

/// <summary>The buffer reference: Microsoft's Redis implementation on a real Redis.</summary>
public sealed class RedisBufferDistributedCacheContractTests(SingleRedis redis) : BufferDistributedCacheContractTests, IClassFixture<SingleRedis>
{
    private RedisCache? _cache;

    protected override Task<IBufferDistributedCache> CreateAsync()
    {
        _cache = new RedisCache(Options.Create(new RedisCacheOptions { Configuration = redis.Configuration, InstanceName = TestHosts.UniquePrefix() }));
        return Task.FromResult<IBufferDistributedCache>(Assert.IsAssignableFrom<IBufferDistributedCache>(_cache));
    }

    public override Task DisposeAsync()
    {
        _cache?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Strata's adapter through <see cref="IBufferDistributedCache"/>, L1-only and tiered.</summary>
public abstract class StrataBufferDistributedCacheContractTests : BufferDistributedCacheContractTests
{
    private IHost? _host;

    protected abstract Dictionary<string, string?> Settings { get; }

    protected override async Task<IBufferDistributedCache> CreateAsync()
    {
        _host = await TestHosts.StartAsync(Settings, strata => strata.AddDistributedCache());
        return Assert.IsAssignableFrom<IBufferDistributedCache>(_host.Services.GetRequiredService<IDistributedCache>());
    }

    public override Task DisposeAsync()
    {
        _host?.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task NullDestinationOrValue_AreRefused_NamingTheInterfacesParameter()
    {
        Assert.Equal("destination", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await Cache.TryGetAsync("k", null!, default))).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentNullException>(() => Cache.TryGet("k", null!)).ParamName);
        Assert.Equal("value", (await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.SetAsync("k", (byte[])null!, new DistributedCacheEntryOptions()))).ParamName);
    }

    [Fact]
    public async Task TryGet_FromL1_WritesIntoTheCallersBuffer_AllocatingNoArray()
    {
        await Cache.SetAsync("k", new ReadOnlySequence<byte>(new byte[4096]), new DistributedCacheEntryOptions(), default);
        var writer = new ArrayBufferWriter<byte>(8192);
        Assert.True(await Cache.TryGetAsync("k", writer, default)); // warm: the entry is in L1

        writer.ResetWrittenCount();
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool found = Cache.TryGet("k", writer);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(found);
        Assert.Equal(4096, writer.WrittenCount);
        Assert.True(allocated < 4096, $"{allocated} bytes allocated: the value was copied into a new array");
    }
}

public sealed class StrataLocalBufferDistributedCacheContractTests : StrataBufferDistributedCacheContractTests
{
    protected override Dictionary<string, string?> Settings => TestHosts.Memory();
}

public sealed class StrataTieredBufferDistributedCacheContractTests(SingleRedis redis) : StrataBufferDistributedCacheContractTests, IClassFixture<SingleRedis>
{
    private readonly Dictionary<string, string?> _settings = TestHosts.Redis(redis.Configuration);

    protected override Dictionary<string, string?> Settings => _settings;
}
