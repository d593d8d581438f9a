using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Strata.Extensions.Tests.Support;
using Strata.Testing;
using Strata.Tiering;
using Xunit;

namespace Strata.Extensions.Tests.Telemetry;

/// <summary>The Strata meter of a host, read with a MeterListener.</summary>
public class MetricsTests(SingleRedis redis) : IClassFixture<SingleRedis>
{
    [Fact]
    public async Task L1Only_CountersAndGauges_CarryTheCacheTierAndNamespaceTags()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        Dictionary<string, string?> settings = TestHosts.Memory();
        settings["Strata:Name"] = "catalog";
        settings["Strata:LocalMaxEntries"] = "8";
        using IHost host = await TestHosts.StartAsync(settings, services: services => services.AddSingleton<TimeProvider>(time));
        using var metrics = new MetricCollector(host.Services.GetRequiredService<IMeterFactory>());
        TieredCache cache = host.Cache();
        CacheNamespace users = cache.Namespace("users");

        await cache.SetAsync("k", 1);
        await cache.GetAsync<int>("k");
        await cache.GetAsync<int>("missing");
        await users.SetAsync("a", "alice");
        await users.GetAsync<string>("a");
        await users.GetAsync<string>("b");
        await cache.RemoveAsync("k");
        await cache.SetAsync("short", 1, TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(3)); // the sweep runs on the host's clock
        metrics.Observe();

        (string, object?) l1 = ("tier", "l1"), named = ("cache", "catalog");
        Assert.Equal(2, metrics.Value("strata.cache.hits", named, l1));
        Assert.Equal(2, metrics.Value("strata.cache.misses", named, l1));
        Assert.Equal(3, metrics.Value("strata.cache.sets", named, l1));
        Assert.Equal(1, metrics.Value("strata.cache.removals", named, l1));
        Assert.Equal(1, metrics.Value("strata.cache.expirations", named, l1));
        Assert.Equal(1, metrics.Value("strata.cache.namespace.hits", named, ("namespace", "users")));
        Assert.Equal(1, metrics.Value("strata.cache.namespace.misses", named, ("namespace", "users")));
        Assert.Equal(1, metrics.Value("strata.cache.namespace.sets", named, ("namespace", "users")));
        Assert.Equal(1, metrics.Value("strata.cache.entries", named, l1)); // users:a
        Assert.Empty(metrics.Values("strata.cache.hits", named, ("tier", "l2"))); // no Redis tier to report

        for (int i = 0; i < 40; i++)
        {
            await cache.SetAsync($"e{i}", i);
        }

        metrics.Observe();
        Assert.True(metrics.Value("strata.cache.evictions", named, l1) >= 30);
        Assert.InRange(metrics.Value("strata.cache.entries", named, l1), 1, 10); // the bound, plus its documented slack
    }

    [Fact]
    public async Task Tiered_ReportsRedisHitsBackplaneMessagesAndRoundTripDurations()
    {
        Dictionary<string, string?> settings = TestHosts.Redis(redis.Configuration);
        using IHost writerHost = await TestHosts.StartAsync(new(settings) { ["Strata:Name"] = "writer" });
        using IHost readerHost = await TestHosts.StartAsync(new(settings) { ["Strata:Name"] = "reader" });
        using var writerMetrics = new MetricCollector(writerHost.Services.GetRequiredService<IMeterFactory>());
        using var readerMetrics = new MetricCollector(readerHost.Services.GetRequiredService<IMeterFactory>());
        TieredCache writer = writerHost.Cache(), reader = readerHost.Cache();
        // Both subscriptions in place: on a busy machine a first attempt may time out, and the cache retries it in the
        // background; an invalidation published before then would never reach the reader.
        await Eventually.True(
            () => writer.State == TieredCacheState.Connected && reader.State == TieredCacheState.Connected && writer.IsSubscribed && reader.IsSubscribed,
            "both caches to connect and subscribe");

        await writer.SetAsync("k", "v");      // L2 set + one invalidation sent
        await writer.RemoveAsync("other");    // L2 remove + one invalidation sent
        await reader.GetAsync<string>("k");   // reader: L1 miss, L2 hit
        await reader.GetAsync<string>("none"); // reader: L1 miss, L2 miss
        writerMetrics.Observe();
        readerMetrics.Observe();

        (string, object?) w = ("cache", "writer"), r = ("cache", "reader");
        Assert.Equal(1, readerMetrics.Value("strata.cache.hits", r, ("tier", "l2")));
        Assert.Equal(1, readerMetrics.Value("strata.cache.misses", r, ("tier", "l2")));
        Assert.Equal(2, readerMetrics.Value("strata.cache.misses", r, ("tier", "l1")));
        Assert.Equal(2, readerMetrics.Values("strata.cache.l2.duration", r, ("operation", "get")).Count);
        Assert.Equal(2, writerMetrics.Value("strata.cache.backplane.messages", w, ("direction", "sent")));
        Assert.Equal(0, writerMetrics.Value("strata.cache.l2.errors", w, ("tier", "l2")));
        Assert.Single(writerMetrics.Values("strata.cache.l2.duration", w, ("operation", "set")));
        Assert.Single(writerMetrics.Values("strata.cache.l2.duration", w, ("operation", "remove")));
        Assert.All(writerMetrics.Values("strata.cache.l2.duration", w), seconds => Assert.InRange(seconds, 0, 60));
        Assert.Empty(writerMetrics.Values("strata.cache.hits", r)); // each host's meter reports its own cache

        await Eventually.True(
            () =>
            {
                readerMetrics.Observe();
                return readerMetrics.Value("strata.cache.backplane.messages", r, ("direction", "received")) == 2;
            },
            "the reader to receive both invalidations");
    }

    [Fact]
    public async Task RedisUnreachable_CountsL2Errors_AndTagsTheirDurationsWithTheErrorType()
    {
        using IHost host = await TestHosts.StartAsync(new() { ["REDIS_URL"] = "redis://127.0.0.1:1", ["Strata:OperationTimeout"] = "00:00:00.200", ["Strata:Backplane"] = "false", ["Strata:Name"] = "down" });
        using var metrics = new MetricCollector(host.Services.GetRequiredService<IMeterFactory>());

        await host.Cache().GetAsync<string>("k");
        metrics.Observe();

        Assert.True(metrics.Value("strata.cache.l2.errors", ("cache", "down"), ("tier", "l2")) >= 1);
        Dictionary<string, object?> failed = Assert.Single(metrics.Tags("strata.cache.l2.duration"));
        Assert.NotNull(failed["error.type"]);
    }
}
