using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Strata.Extensions.Tests.Support;
using Strata.Testing;
using Strata.Tiering;
using Xunit;

namespace Strata.Extensions.Tests.Hosting;

/// <summary>AddStrata in a real host: registration, named caches, the connection's lifetime.</summary>
public class AddStrataTests(SingleRedis redis) : IClassFixture<SingleRedis>
{
    [Fact]
    public async Task AddStrata_L1Only_RegistersTheCacheAndThePresetNamedCaches()
    {
        using IHost host = await TestHosts.StartAsync(TestHosts.Memory(), strata => strata.AddPresetCaches());
        TieredCache cache = host.Cache();

        Assert.Equal(TieredCacheState.LocalOnly, cache.State);
        var expected = new Dictionary<string, int>
        {
            [CacheNames.Confirmation] = 300, [CacheNames.Signup] = 1800, [CacheNames.Session] = 86400, [CacheNames.RateLimit] = 3600, [CacheNames.Temp] = 60,
        };
        foreach ((string name, int seconds) in expected)
        {
            CacheNamespace named = host.Services.GetRequiredKeyedService<CacheNamespace>(name);
            Assert.Equal(name, named.Name);
            Assert.Equal(TimeSpan.FromSeconds(seconds), named.DefaultTimeToLive);
            Assert.Same(cache.Namespace(name, named.DefaultTimeToLive), named); // a namespace of the default cache
        }

        CacheNamespace confirmations = host.Services.GetRequiredKeyedService<CacheNamespace>(CacheNames.Confirmation);
        await confirmations.SetAsync("action_123", "pending");
        Assert.Equal("pending", (await cache.GetAsync<string>("confirmation:action_123")).Value);
        TimeSpan? ttl = await cache.GetTimeToLiveAsync("confirmation:action_123");
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(299), TimeSpan.FromSeconds(300));
    }

    [Fact]
    public async Task AddNamedCache_InjectsWithFromKeyedServices()
    {
        using IHost host = await TestHosts.StartAsync(
            TestHosts.Memory(),
            strata => strata.AddNamedCache("orders", TimeSpan.FromMinutes(5)),
            services: services => services.AddSingleton<OrderService>());

        OrderService service = host.Services.GetRequiredService<OrderService>();

        Assert.Equal("orders", service.Orders.Name);
        Assert.Equal(TimeSpan.FromMinutes(5), service.Orders.DefaultTimeToLive);
    }

    [Fact]
    public void AddNamedCache_BadInput_IsRefusedAtRegistration()
    {
        StrataBuilder strata = new ServiceCollection().AddStrata();

        Assert.Equal("name", Assert.Throws<ArgumentException>(() => strata.AddNamedCache("")).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => strata.AddNamedCache("a:b")).ParamName);
        Assert.Equal("defaultTimeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => strata.AddNamedCache("a", TimeSpan.Zero)).ParamName);
        strata.AddNamedCache("a");
        Assert.Throws<InvalidOperationException>(() => strata.AddNamedCache("a", TimeSpan.FromSeconds(1)));
        Assert.Throws<InvalidOperationException>(() => strata.AddPresetCaches().AddPresetCaches());
    }

    [Fact]
    public async Task AddStrata_WithRedis_ConnectsAtStartAndClosesWithTheHost()
    {
        Dictionary<string, string?> settings = TestHosts.Redis(redis.Configuration);
        string channel = settings["Strata:KeyPrefix"] + "__invalidate";
        using ConnectionMultiplexer observer = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        IServer server = observer.GetServer(observer.GetEndPoints()[0]);

        IHost host = TestHosts.Builder(settings).Build();
        Assert.Equal(0, await Subscribers(server, channel));
        await host.StartAsync(); // nothing resolves the cache: start-up alone must connect it

        await Eventually.True(async () => await Subscribers(server, channel) == 1, "the cache's subscription after start-up");
        TieredCache cache = host.Cache();
        // Redis counts the subscriber a moment before its confirmation reaches the cache and the state turns Connected.
        await Eventually.True(() => cache.State == TieredCacheState.Connected, "the cache to report Connected", 10);
        await cache.SetAsync("k", "v");
        Assert.True(await observer.GetDatabase().KeyExistsAsync(settings["Strata:KeyPrefix"] + "k"));

        await host.StopAsync();
        host.Dispose();
        await Eventually.True(async () => await Subscribers(server, channel) == 0, "the subscription to close with the host");
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await cache.GetAsync<string>("k"));
    }

    [Fact]
    public async Task RedisUrl_WithADatabaseNumber_WritesThere()
    {
        string prefix = TestHosts.UniquePrefix();
        using IHost host = await TestHosts.StartAsync(new() { ["REDIS_URL"] = $"redis://{redis.Configuration}/3", ["CACHE_KEY_PREFIX"] = prefix });
        using ConnectionMultiplexer observer = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);

        await host.Cache().SetAsync("k", 1);

        Assert.True(await observer.GetDatabase(3).KeyExistsAsync(prefix + "k"));
        Assert.False(await observer.GetDatabase(0).KeyExistsAsync(prefix + "k"));
    }

    [Fact]
    public async Task ServiceEnvironmentVariables_SetTheConnectionTimeToLiveAndPrefix()
    {
        string id = Guid.NewGuid().ToString("N");
        string prefix = "agent_service_" + id;
        string variables = $"STRATA_TEST_{id}_";
        Environment.SetEnvironmentVariable(variables + "REDIS_URL", $"redis://{redis.Configuration}");
        Environment.SetEnvironmentVariable(variables + "CACHE_DEFAULT_TTL", "120");
        Environment.SetEnvironmentVariable(variables + "CACHE_KEY_PREFIX", prefix);
        try
        {
            HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Test" });
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddEnvironmentVariables(variables); // the real environment, under names of this test's own
            builder.Services.AddStrata();
            using IHost host = builder.Build();
            await host.StartAsync();
            using ConnectionMultiplexer observer = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);

            await host.Cache().SetAsync("users:42", "alice"); // no time to live given: CACHE_DEFAULT_TTL applies

            TimeSpan? ttl = await observer.GetDatabase().KeyTimeToLiveAsync(prefix + ":users:42"); // the services' layout
            Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(110), TimeSpan.FromSeconds(120));
        }
        finally
        {
            foreach (string name in new[] { "REDIS_URL", "CACHE_DEFAULT_TTL", "CACHE_KEY_PREFIX" })
            {
                Environment.SetEnvironmentVariable(variables + name, null);
            }
        }
    }

    [Fact]
    public async Task Sources_SectionOverridesTheServiceVariables_AndCodeOverridesTheSection()
    {
        using IHost host = await TestHosts.StartAsync(
            new()
            {
                ["CACHE_KEY_PREFIX"] = "from_env",
                ["CACHE_DEFAULT_TTL"] = "30",
                ["Strata:KeyPrefix"] = "from_section:",
                ["Strata:Provider"] = "memory",
                ["Strata:LocalMaxEntries"] = "500",
            },
            configure: options => options.Cache.LocalMaxEntries = 700);

        StrataOptions options = host.Services.GetRequiredService<IOptions<StrataOptions>>().Value;

        Assert.Equal("from_section:", options.Cache.KeyPrefix);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Cache.DefaultTimeToLive);
        Assert.Equal(700, options.Cache.LocalMaxEntries);
        Assert.Equal(StrataProvider.Memory, options.EffectiveProvider);
    }

    /// <summary>
    /// The section is bound through a plain copy of the options' text-valued settings (for the binder's source generator),
    /// so a setting added to <see cref="TieredCacheOptions"/> and not to that copy would be silently ignored: every
    /// property a configuration value can hold (text, whole numbers, times, switches) must come through.
    /// </summary>
    [Fact]
    public void Section_BindsEverySettingOfTheOptionsThatTextCanHold()
    {
        var settings = new Dictionary<string, string?> { ["Strata:Provider"] = "Memory" };
        var expected = new Dictionary<string, object>();
        var defaults = new TieredCacheOptions();
        foreach (System.Reflection.PropertyInfo property in typeof(TieredCacheOptions).GetProperties())
        {
            Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            (string? text, object? value) = type switch
            {
                _ when type == typeof(string) => ("p7:", "p7:"),
                _ when type == typeof(int) => ("7", (object)7),
                _ when type == typeof(long) => ("7", 7L),
                _ when type == typeof(TimeSpan) => ("00:00:07", TimeSpan.FromSeconds(7)),
                _ when type == typeof(bool) => ((!(bool)property.GetValue(defaults)!).ToString(), !(bool)property.GetValue(defaults)!),
                _ => ((string?)null, (object?)null),
            };
            if (text is not null && property.CanWrite)
            {
                settings["Strata:" + property.Name] = text;
                expected[property.Name] = value!;
            }
        }

        using IHost host = TestHosts.Builder(settings, configure: options => options.Cache.LocalWeigher = (_, _) => 1).Build();
        TieredCacheOptions bound = host.Services.GetRequiredService<IOptions<StrataOptions>>().Value.Cache;

        Assert.True(expected.Count >= 13, $"the options' text-valued settings were found ({expected.Count})");
        foreach ((string name, object value) in expected)
        {
            Assert.True(Equals(value, typeof(TieredCacheOptions).GetProperty(name)!.GetValue(bound)), $"Strata:{name} was bound");
        }
    }

    [Fact]
    public async Task ProviderSwitch_Memory_IgnoresARedisUrl()
    {
        using IHost host = await TestHosts.StartAsync(new() { ["REDIS_URL"] = $"redis://{redis.Configuration}", ["Strata:Provider"] = "Memory" });

        Assert.Equal(TieredCacheState.LocalOnly, host.Cache().State);
    }

    [Fact]
    public async Task ProviderSwitch_Default_IsRedisWhenAUrlIsSet()
    {
        using IHost host = await TestHosts.StartAsync(TestHosts.Redis(redis.Configuration));

        Assert.Equal(StrataProvider.Redis, host.Services.GetRequiredService<IOptions<StrataOptions>>().Value.EffectiveProvider);
        Assert.NotEqual(TieredCacheState.LocalOnly, host.Cache().State);
    }

    [Theory]
    [InlineData("Strata:Provider", "Redis", "Strata:Redis")]
    [InlineData("Strata:Provider", "Postgres", "Strata:Provider")]
    [InlineData("CACHE_DEFAULT_TTL", "five", "CACHE_DEFAULT_TTL")]
    [InlineData("CACHE_DEFAULT_TTL", "-3", "CACHE_DEFAULT_TTL")]
    [InlineData("REDIS_URL", "redis://localhost/not-a-db", "REDIS_URL")]
    [InlineData("Strata:LocalMaxEntries", "0", "LocalMaxEntries")]
    [InlineData("Strata:DefaultTimeToLive", "soon", "Strata:DefaultTimeToLive")]
    [InlineData("Strata:KeyPrefix", "", "KeyPrefix")]
    public async Task Start_WithABadSetting_FailsWithAMessageNamingIt(string key, string value, string named)
    {
        using IHost host = TestHosts.Builder(new() { [key] = value }).Build();

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithSeveralBadSettings_ReportsEveryOne()
    {
        using IHost host = TestHosts.Builder(new() { ["CACHE_DEFAULT_TTL"] = "x", ["Strata:Provider"] = "Nope" }).Build();

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("CACHE_DEFAULT_TTL", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Strata:Provider", StringComparison.Ordinal));
    }

    private static async Task<long> Subscribers(IServer server, string channel)
    {
        RedisResult reply = await server.ExecuteAsync("PUBSUB", "NUMSUB", channel);
        return (long)((RedisResult[])reply!)[1];
    }

    private sealed class OrderService([FromKeyedServices("orders")] CacheNamespace orders)
    {
        public CacheNamespace Orders { get; } = orders;
    }
}
