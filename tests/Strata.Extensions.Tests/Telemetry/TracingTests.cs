using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Strata.Extensions.Tests.Support;
using Strata.Testing;
using Strata.Tiering;
using Xunit;

namespace Strata.Extensions.Tests.Telemetry;

/// <summary>The Strata activity source: a span per Redis round trip and factory run, none for an L1 hit.</summary>
public sealed class TracingTests : IClassFixture<SingleRedis>, IDisposable
{
    private static readonly ActivitySource Caller = new("Strata.Tests.Caller");

    private readonly SingleRedis _redis;
    private readonly string _name = "traced-" + Guid.NewGuid().ToString("N");
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public TracingTests(SingleRedis redis)
    {
        _redis = redis;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is StrataTelemetry.ActivitySourceName or "Strata.Tests.Caller",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>This test's cache's spans (other tests run in parallel), by name.</summary>
    private List<string> Spans() =>
        _stopped.Where(a => a.Source.Name == StrataTelemetry.ActivitySourceName && (string?)a.GetTagItem("strata.cache") == _name).Select(a => a.OperationName).ToList();

    [Fact]
    public async Task Tiered_SpansEveryRoundTripAndFactoryRun_ButNotL1Hits()
    {
        using IHost host = await TestHosts.StartAsync(new(TestHosts.Redis(_redis.Configuration)) { ["Strata:Name"] = _name });
        TieredCache cache = host.Cache();
        await Eventually.True(() => Spans().Count > 0, "the backplane's SUBSCRIBE, made in the background at start-up");
        Assert.Equal(["strata.l2.subscribe"], Spans());
        _stopped.Clear();

        await cache.GetAsync<string>("missing");
        await cache.SetAsync("k", "v");
        Assert.Equal(["strata.l2.get", "strata.l2.set"], Spans());

        await cache.GetAsync<string>("k"); // L1 hit
        Assert.Equal(2, Spans().Count);

        Activity? inFactory = null;
        await cache.GetOrSetAsync("g", (_, _, _) =>
        {
            inFactory = Caller.StartActivity("load from the database");
            inFactory?.Dispose();
            return new ValueTask<int>(7);
        });
        Assert.Equal(["strata.l2.get", "strata.l2.set", "strata.l2.get", "strata.factory", "strata.l2.set"], Spans());
        Activity factory = _stopped.Single(a => a.OperationName == "strata.factory" && (string?)a.GetTagItem("strata.cache") == _name);
        Assert.Equal(factory.SpanId, inFactory!.ParentSpanId); // the factory's own calls nest under its span

        await cache.GetOrSetAsync("g", (_, _, _) => new ValueTask<int>(8)); // L1 hit
        Assert.Equal(5, Spans().Count);

        Activity get = _stopped.First(a => a.OperationName == "strata.l2.get" && (string?)a.GetTagItem("strata.cache") == _name);
        Assert.Equal(ActivityKind.Client, get.Kind);
        Assert.Equal("redis", get.GetTagItem("db.system.name"));
        Assert.Equal("get", get.GetTagItem("db.operation.name"));
    }

    [Fact]
    public async Task L1Only_SpansOnlyFactoryRuns()
    {
        using IHost host = await TestHosts.StartAsync(new(TestHosts.Memory()) { ["Strata:Name"] = _name });
        TieredCache cache = host.Cache();

        await cache.SetAsync("k", 1);
        await cache.GetAsync<int>("k");
        await cache.GetOrSetAsync("g", (_, _, _) => new ValueTask<int>(1));
        await cache.GetOrSetAsync("g", (_, _, _) => new ValueTask<int>(2));

        Assert.Equal(["strata.factory"], Spans());
    }

    [Fact]
    public async Task FailedRoundTripsAndFactories_EndTheirSpansWithAnError()
    {
        using IHost host = await TestHosts.StartAsync(new() { ["REDIS_URL"] = "redis://127.0.0.1:1", ["Strata:OperationTimeout"] = "00:00:00.200", ["Strata:Backplane"] = "false", ["Strata:Name"] = _name });
        TieredCache cache = host.Cache();

        await cache.GetAsync<string>("k");
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await cache.GetOrSetAsync<int>("f", (_, _, _) => throw new InvalidOperationException("database down")));

        Activity[] spans = _stopped.Where(a => (string?)a.GetTagItem("strata.cache") == _name).ToArray();
        Assert.Equal(ActivityStatusCode.Error, spans.First(a => a.OperationName == "strata.l2.get").Status);
        Activity factory = spans.Single(a => a.OperationName == "strata.factory");
        Assert.Equal(ActivityStatusCode.Error, factory.Status);
        Assert.Equal("database down", factory.StatusDescription);
    }

    public void Dispose() => _listener.Dispose();
}
