using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Strata.SessionApi.Tests.Support;
using Strata.Testing;
using Xunit;

namespace Strata.SessionApi.Tests;

/// <summary>The service's cross-cutting parts: per-user rate limiting, health with Redis down, metrics export.</summary>
public sealed class SessionApiHostingTests(SingleRedis redis) : IClassFixture<SingleRedis>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RequestsPastTheUsersLimit_Answer429WithRetryAfter_OtherUsersUnaffected(bool tiered)
    {
        await using var factory = new SessionApiFactory(tiered ? redis.Configuration : null, new Dictionary<string, string?> { ["RateLimit:PermitLimit"] = "2", ["RateLimit:WindowSeconds"] = "3600" });
        using HttpClient alice = factory.ClientFor("alice"), bob = factory.ClientFor("bob");

        HttpStatusCode[] codes = [(await alice.GetAsync("/users/alice/sessions")).StatusCode, (await alice.GetAsync("/users/alice/stats")).StatusCode];
        HttpResponseMessage refused = await alice.GetAsync("/users/alice/sessions");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], codes);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        int retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 3600);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/users/bob/sessions")).StatusCode);
    }

    [Fact]
    public async Task RedisUnreachable_HealthIsDegradedWithRedisUnhealthy_AndSessionsStillWork()
    {
        await using var factory = new SessionApiFactory($"127.0.0.1:{ClosedPort()},connectTimeout=500", new Dictionary<string, string?> { ["Strata:OperationTimeout"] = "00:00:00.500" });
        using HttpClient client = factory.ClientFor("alice");

        HttpResponseMessage health = await client.GetAsync("/health");
        HttpResponseMessage created = await client.PostAsJsonAsync("/sessions", new { userId = "alice", agentId = "a", title = "t" });
        string id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        JsonElement body = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Degraded", body.GetProperty("status").GetString());
        Assert.Equal("unhealthy", body.GetProperty("checks").GetProperty("strata").GetProperty("data").GetProperty("redis_status").GetString());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/sessions/{id}")).StatusCode);

        // Still serving: ready, degraded. Connecting until the background connect gives up, Disconnected after.
        HttpResponseMessage ready = null!;
        JsonElement readiness = default;
        await Eventually.True(async () =>
        {
            ready = await client.GetAsync("/health/ready");
            readiness = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
            return readiness.GetProperty("checks").GetProperty("strata-ready").GetProperty("data").GetProperty("state").GetString() != "Connecting";
        }, "the background connect to give up", 20);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Degraded", readiness.GetProperty("status").GetString());
        Assert.Equal("Disconnected", readiness.GetProperty("checks").GetProperty("strata-ready").GetProperty("data").GetProperty("state").GetString());
        Assert.False(readiness.GetProperty("checks").TryGetProperty("strata", out _)); // the pinging check is not run there
    }

    [Fact]
    public async Task MetricsExporterConsole_RegistersAMeterProvider()
    {
        await using var factory = new SessionApiFactory(null, new Dictionary<string, string?> { ["METRICS_EXPORTER"] = "console" });
        using HttpClient client = factory.ClientFor("alice");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.NotNull(factory.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task NoMetricsExporter_RegistersNoMeterProvider()
    {
        await using var factory = new SessionApiFactory(null);
        using HttpClient client = factory.ClientFor("alice");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Null(factory.Services.GetService<MeterProvider>());
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again when the listener is disposed
    }
}
