using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Strata.Extensions.Tests.Support;
using Strata.Testing;
using Strata.Tiering;
using Xunit;

namespace Strata.Extensions.Tests.Health;

/// <summary>AddStrataHealthCheck through the host's HealthCheckService, in each state of the Redis tier.</summary>
public class StrataHealthCheckTests(SingleRedis redis) : IClassFixture<SingleRedis>
{
    [Fact]
    public async Task L1Only_IsHealthy_WithRedisNotInitialized_AndTheHitRatio()
    {
        using IHost host = await StartAsync(TestHosts.Memory());
        TieredCache cache = host.Cache();
        await cache.SetAsync("k", 1);
        await cache.GetAsync<int>("k");       // a hit
        await cache.GetAsync<int>("missing"); // a miss

        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal("not_initialized", entry.Data["redis_status"]);
        Assert.Equal(0.5, (double)entry.Data["hit_ratio"]);
        Assert.False(entry.Data.ContainsKey("redis_ping_ms"));
    }

    [Fact]
    public async Task RedisAnswering_IsHealthy_WithThePingLatency()
    {
        using IHost host = await StartAsync(TestHosts.Redis(redis.Configuration));

        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal("healthy", entry.Data["redis_status"]);
        Assert.True((double)entry.Data["redis_ping_ms"] >= 0);
        Assert.Equal(nameof(TieredCacheState.Connected), entry.Data["state"]);
    }

    [Fact]
    public async Task RedisUnreachable_IsDegraded_ServingFromL1()
    {
        using IHost host = await StartAsync(new() { ["REDIS_URL"] = "redis://127.0.0.1:1", ["Strata:OperationTimeout"] = "00:00:00.200", ["Strata:Backplane"] = "false" });
        TieredCache cache = host.Cache();
        await cache.SetAsync("k", "still here");

        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal("unhealthy", entry.Data["redis_status"]);
        Assert.Equal("still here", (await cache.GetAsync<string>("k")).Value);
    }

    [Fact]
    public async Task CacheUnusable_IsUnhealthy_WithRedisStatusError()
    {
        using IHost host = await StartAsync(TestHosts.Redis(redis.Configuration));
        await host.Cache().DisposeAsync();

        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("error", entry.Data["redis_status"]);
        Assert.IsType<ObjectDisposedException>(entry.Exception);
    }

    [Fact]
    public async Task FailureStatus_IsTheRegistrations()
    {
        using IHost host = await TestHosts.StartAsync(TestHosts.Memory(), services: services => services.AddHealthChecks().AddStrataHealthCheck("cache", HealthStatus.Degraded, ["ready"]));
        await host.Cache().DisposeAsync();

        HealthReport report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains("ready"));

        Assert.Equal(HealthStatus.Degraded, report.Entries["cache"].Status);
    }

    private static Task<IHost> StartAsync(Dictionary<string, string?> settings) =>
        TestHosts.StartAsync(settings, services: services => services.AddHealthChecks().AddStrataHealthCheck());

    private static async Task<HealthReportEntry> CheckAsync(IHost host)
    {
        HealthReport report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries["strata"];
    }
}
