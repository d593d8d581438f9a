using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Extensions.Tests.Support;
using Strata.Testing;
using Strata.Tiering;
using Xunit;

namespace Strata.Extensions.Tests.Telemetry;

/// <summary>The cache's logs through the host's logging.</summary>
public class LoggingTests
{
    private const string Category = "Strata.Tiering.TieredCache";

    [Fact]
    public async Task DebugLevel_LogsHitsMissesAndSets()
    {
        var logs = new CapturingLoggerProvider();
        using IHost host = await StartAsync(logs, LogLevel.Debug);
        TieredCache cache = host.Cache();

        await cache.SetAsync("k", 1);
        await cache.GetAsync<int>("k");
        await cache.GetOrSetAsync("g", (_, _, _) => new ValueTask<int>(2));

        var strata = logs.Entries.Where(e => e.Category == Category).ToList();
        Assert.Contains(strata, e => e.Level == LogLevel.Debug && e.EventId == 12 && e.Message.Contains("'k'", StringComparison.Ordinal)); // set
        Assert.Contains(strata, e => e.Level == LogLevel.Debug && e.EventId == 10 && e.Message.Contains("'k' (l1)", StringComparison.Ordinal)); // hit
        Assert.Contains(strata, e => e.Level == LogLevel.Debug && e.EventId == 13 && e.Message.Contains("'g'", StringComparison.Ordinal)); // miss, factory run
    }

    [Fact]
    public async Task InformationLevel_FormatsNoDebugEvent()
    {
        var logs = new CapturingLoggerProvider();
        using IHost host = await StartAsync(logs, LogLevel.Information);
        TieredCache cache = host.Cache();

        for (int i = 0; i < 10; i++)
        {
            await cache.SetAsync("k", i);
            await cache.GetAsync<int>("k");
            await cache.GetAsync<int>("missing");
        }

        Assert.DoesNotContain(logs.Entries, e => e.Category == Category && e.Level < LogLevel.Information);
    }

    [Fact]
    public async Task RedisLost_WarnsOnce_NotOncePerCall()
    {
        var logs = new CapturingLoggerProvider();
        using IHost host = await StartAsync(logs, LogLevel.Information, new() { ["REDIS_URL"] = "redis://127.0.0.1:1", ["Strata:OperationTimeout"] = "00:00:00.200", ["Strata:Backplane"] = "false", ["Strata:CircuitBreakDuration"] = "00:00:00" });
        TieredCache cache = host.Cache();

        for (int i = 0; i < 3; i++)
        {
            await cache.SetAsync("k", i); // the circuit closes at once: every call tries Redis and fails
            await cache.GetAsync<int>("other");
        }

        Assert.True(cache.GetStatistics().RemoteErrors >= 6);
        Assert.Single(logs.Entries, e => e.Category == Category && e.Level == LogLevel.Warning);
    }

    private static async Task<IHost> StartAsync(CapturingLoggerProvider logs, LogLevel level, System.Collections.Generic.Dictionary<string, string?>? settings = null)
    {
        HostApplicationBuilder builder = TestHosts.Builder(settings ?? TestHosts.Memory());
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(level);
        IHost host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
