using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Strata.Extensions.Tests.Support;
using Strata.Testing;
using Strata.Tiering;
using Xunit;

namespace Strata.Extensions.Tests.RateLimiting;

/// <summary>The fixed-window limiter whose counts live in the cache.</summary>
public class StrataFixedWindowRateLimiterTests(SingleRedis redis, ClusterRedis cluster) : IClassFixture<SingleRedis>, IClassFixture<ClusterRedis>
{
    private string Servers(string kind) => kind == "cluster" ? cluster.Configuration : redis.Configuration;

    private static StrataFixedWindowRateLimiterOptions PerMinute(int limit, TimeProvider? time = null) =>
        new() { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), TimeProvider = time };

    [Fact]
    public async Task L1Only_RefusesPastTheLimit_UntilTheNextWindow()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 10, TimeSpan.Zero));
        await using var cache = new TieredCache(new TieredCacheOptions { TimeProvider = time });
        using var limiter = new StrataFixedWindowRateLimiter(cache, "user-1", PerMinute(3, time));

        for (int i = 0; i < 3; i++)
        {
            using RateLimitLease granted = limiter.AttemptAcquire(); // decided at once without Redis
            Assert.True(granted.IsAcquired);
        }

        using RateLimitLease refused = await limiter.AcquireAsync();
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(50), retryAfter); // the window started at 12:00:00
        Assert.Equal(3, limiter.GetStatistics()!.TotalSuccessfulLeases);
        Assert.Equal(1, limiter.GetStatistics()!.TotalFailedLeases);

        time.Advance(TimeSpan.FromSeconds(50));
        using RateLimitLease nextWindow = await limiter.AcquireAsync();
        Assert.True(nextWindow.IsAcquired);
    }

    [Fact]
    public async Task Partitions_CountApart()
    {
        await using var cache = new TieredCache(new TieredCacheOptions());
        using var alice = new StrataFixedWindowRateLimiter(cache, "alice", PerMinute(1));
        using var bob = new StrataFixedWindowRateLimiter(cache, "bob", PerMinute(1));

        Assert.True((await alice.AcquireAsync()).IsAcquired);
        Assert.True((await bob.AcquireAsync()).IsAcquired);
        Assert.False((await alice.AcquireAsync()).IsAcquired);
    }

    [Fact]
    public async Task Tiered_TwoInstancesUnderConcurrentLoad_GrantExactlyTheLimit()
    {
        string prefix = TestHosts.UniquePrefix();
        await using var first = new TieredCache(new TieredCacheOptions { Redis = redis.Configuration, KeyPrefix = prefix });
        await using var second = new TieredCache(new TieredCacheOptions { Redis = redis.Configuration, KeyPrefix = prefix });
        using var onFirst = new StrataFixedWindowRateLimiter(first, "api-key-7", PerMinute(25));
        using var onSecond = new StrataFixedWindowRateLimiter(second, "api-key-7", PerMinute(25));

        RateLimitLease[] leases = await Task.WhenAll(Enumerable.Range(0, 80).Select(i => (i % 2 == 0 ? onFirst : onSecond).AcquireAsync().AsTask()));

        Assert.Equal(25, leases.Count(l => l.IsAcquired));
        Assert.All(leases.Where(l => !l.IsAcquired), l => Assert.True(l.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan _)));
    }

    [Fact]
    public async Task Tiered_AttemptAcquire_NeitherBlocksNorCounts()
    {
        string prefix = TestHosts.UniquePrefix();
        await using var cache = new TieredCache(new TieredCacheOptions { Redis = redis.Configuration, KeyPrefix = prefix });
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var limiter = new StrataFixedWindowRateLimiter(cache, "u", PerMinute(1, time));

        using RateLimitLease attempt = limiter.AttemptAcquire();

        Assert.False(attempt.IsAcquired);
        Assert.True((await limiter.AcquireAsync()).IsAcquired); // the attempt took no permit
    }

    [Fact]
    public async Task PermitCountZero_TellsWhetherPermitsAreLeft_WithoutTakingOne()
    {
        await using var cache = new TieredCache(new TieredCacheOptions());
        using var limiter = new StrataFixedWindowRateLimiter(cache, "u", PerMinute(1));

        Assert.True((await limiter.AcquireAsync(0)).IsAcquired);
        Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
        Assert.False((await limiter.AcquireAsync(0)).IsAcquired);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RedisUnreachable_EachInstanceGoesOnAloneWithinTheLimit_OrRefuses(bool allow)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        await using var cache = new TieredCache(new TieredCacheOptions { Redis = "127.0.0.1:1", Backplane = false, OperationTimeout = TimeSpan.FromMilliseconds(200) });
        using var limiter = new StrataFixedWindowRateLimiter(cache, "u", new() { PermitLimit = 2, Window = TimeSpan.FromMinutes(1), AllowWhenUnavailable = allow, TimeProvider = time });

        bool[] granted = [(await limiter.AcquireAsync()).IsAcquired, (await limiter.AcquireAsync()).IsAcquired, (await limiter.AcquireAsync()).IsAcquired];
        time.Advance(TimeSpan.FromMinutes(1));
        bool nextWindow = (await limiter.AcquireAsync()).IsAcquired;

        // Allowed, the instance counts alone: the limit per window, then refusals, then a fresh window.
        Assert.Equal(allow ? [true, true, false] : [false, false, false], granted);
        Assert.Equal(allow, nextWindow);
    }

    [Theory]
    [InlineData("single")]
    [InlineData("cluster")]
    public async Task Tiered_FourInstancesUnderContention_GrantExactlyTheLimit(string kind)
    {
        string prefix = TestHosts.UniquePrefix();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        TieredCache[] instances = Enumerable.Range(0, 4).Select(_ => new TieredCache(new TieredCacheOptions { Redis = Servers(kind), KeyPrefix = prefix })).ToArray();
        try
        {
            StrataFixedWindowRateLimiter[] limiters = instances.Select(c => new StrataFixedWindowRateLimiter(c, "api-key-9", PerMinute(500, time))).ToArray();
            await AllConnected(instances); // a reservation timing out while connecting would make an instance count alone, as documented

            // 4 x 250 callers, each asking until refused, as the ASP.NET Core middleware asks: at once, then async.
            int[] granted = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => Task.Run(async () =>
            {
                StrataFixedWindowRateLimiter limiter = limiters[i % 4];
                int mine = 0;
                while (true)
                {
                    using RateLimitLease attempt = limiter.AttemptAcquire();
                    using RateLimitLease lease = attempt.IsAcquired ? attempt : await limiter.AcquireAsync();
                    if (!lease.IsAcquired)
                    {
                        Assert.True(lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan _));
                        return mine;
                    }

                    mine++;
                }
            })));

            Assert.Equal(500, granted.Sum()); // no overshoot, and with demand left everywhere nothing is stranded
            Assert.Equal(500, limiters.Sum(l => l.GetStatistics()!.TotalSuccessfulLeases));
            Assert.All(limiters, l => Assert.Equal(0, l.GetStatistics()!.CurrentAvailablePermits));
        }
        finally
        {
            foreach (TieredCache instance in instances)
            {
                await instance.DisposeAsync();
            }
        }
    }

    private static Task AllConnected(TieredCache[] instances) =>
        Eventually.True(() => instances.All(c => c.State == TieredCacheState.Connected), "every instance connected", 30);

    [Fact]
    public async Task Tiered_UnevenDemand_NeverOvershoots_AndStrandsAtMostTheDocumentedBatches()
    {
        string prefix = TestHosts.UniquePrefix();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        TieredCache[] instances = Enumerable.Range(0, 4).Select(_ => new TieredCache(new TieredCacheOptions { Redis = redis.Configuration, KeyPrefix = prefix })).ToArray();
        try
        {
            await AllConnected(instances);
            var random = new Random(2112);
            for (int trial = 0; trial < 40; trial++)
            {
                int limit = random.Next(1, 400);
                int[] demand = Enumerable.Range(0, 4).Select(_ => random.Next(0, limit)).ToArray();
                StrataFixedWindowRateLimiter[] limiters = instances.Select(c => new StrataFixedWindowRateLimiter(c, $"trial-{trial}", PerMinute(limit, time))).ToArray();

                // Each instance sends its demand in concurrent bursts of up to 8.
                int[] granted = await Task.WhenAll(limiters.Select(async (limiter, i) =>
                {
                    int mine = 0;
                    for (int sent = 0; sent < demand[i]; sent += 8)
                    {
                        RateLimitLease[] burst = await Task.WhenAll(Enumerable.Range(0, Math.Min(8, demand[i] - sent)).Select(_ => limiter.AcquireAsync().AsTask()));
                        mine += burst.Count(l => l.IsAcquired);
                    }

                    return mine;
                }));

                int expected = Math.Min(limit, demand.Sum());
                Assert.InRange(granted.Sum(), expected - (4 * Math.Max(1, limit / 8)), limit); // the remarks' bounds
                if (demand.Sum() <= limit)
                {
                    Assert.Equal(demand.Sum(), granted.Sum()); // within the limit every request is granted
                }
            }
        }
        finally
        {
            foreach (TieredCache instance in instances)
            {
                await instance.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Tiered_AfterAReservation_AttemptAcquireDecidesAtOnce_AndRoundTripsGrowLogarithmically()
    {
        string prefix = TestHosts.UniquePrefix();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cache = new TieredCache(new TieredCacheOptions { Redis = redis.Configuration, KeyPrefix = prefix });
        using var limiter = new StrataFixedWindowRateLimiter(cache, "u", PerMinute(1000, time));

        int roundTrips = 0;
        for (int i = 0; i < 300; i++)
        {
            using RateLimitLease attempt = limiter.AttemptAcquire(); // with Redis it can only succeed from the local allowance
            if (!attempt.IsAcquired)
            {
                roundTrips++;
                using RateLimitLease lease = await limiter.AcquireAsync();
                Assert.True(lease.IsAcquired);
            }
        }

        // Batches 1, 2, 4, ..., 64, then 125 (an eighth of the limit): 9 reservations cover 300 requests.
        Assert.Equal(9, roundTrips);

        time.Advance(TimeSpan.FromMinutes(1)); // a new window: the allowance left from the last one is gone
        using RateLimitLease inNewWindow = limiter.AttemptAcquire();
        Assert.False(inNewWindow.IsAcquired);
        Assert.True((await limiter.AcquireAsync()).IsAcquired);
    }

    [Fact]
    public async Task WaitingForAReservation_StopsWhenCancelled()
    {
        using var silent = new SilentServer(); // the reservation waits for a connection that never comes
        await using var cache = new TieredCache(new TieredCacheOptions { Redis = silent.Configuration, Backplane = false, OperationTimeout = TimeSpan.FromSeconds(30) });
        using var limiter = new StrataFixedWindowRateLimiter(cache, "u", PerMinute(10));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await limiter.AcquireAsync(1, cancel.Token));
    }

    [Fact]
    public async Task BadInput_IsRefusedNamingIt()
    {
        await using var cache = new TieredCache(new TieredCacheOptions());

        Assert.Equal("options", Assert.Throws<ArgumentOutOfRangeException>(() => new StrataFixedWindowRateLimiter(cache, "u", PerMinute(0))).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentOutOfRangeException>(() => new StrataFixedWindowRateLimiter(cache, "u", new() { PermitLimit = 1, Window = TimeSpan.Zero })).ParamName);
        Assert.Equal("partitionKey", Assert.Throws<ArgumentException>(() => new StrataFixedWindowRateLimiter(cache, "", PerMinute(1))).ParamName);
        using var limiter = new StrataFixedWindowRateLimiter(cache, "u", PerMinute(2));
        Assert.Equal("permitCount", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await limiter.AcquireAsync(3))).ParamName);
        Assert.Equal("permitCount", Assert.Throws<ArgumentOutOfRangeException>(() => limiter.AttemptAcquire(-1)).ParamName);
    }

    [Fact]
    public async Task AspNetCoreMiddleware_PerUserLimit_Answers429WithRetryAfter()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Test" });
        builder.WebHost.UseTestServer();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(TestHosts.Redis(redis.Configuration));
        builder.Services.AddStrata();
        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy("per-user", context => StrataRateLimitPartition.GetFixedWindowLimiter(
                context.Request.Headers["X-User"].ToString(),
                context.RequestServices.GetRequiredService<TieredCache>(),
                _ => PerMinute(2)));
            options.OnRejected = (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                return ValueTask.CompletedTask;
            };
        });
        await using WebApplication app = builder.Build();
        app.UseRateLimiter();
        app.MapGet("/", () => "ok").RequireRateLimiting("per-user");
        await app.StartAsync();
        HttpClient client = app.GetTestClient();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (int i = 0; i < 3; i++)
        {
            last = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "X-User", "alice" } } });
            statuses.Add(last.StatusCode);
        }

        HttpResponseMessage bob = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "X-User", "bob" } } });

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.InRange(int.Parse(last!.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(HttpStatusCode.OK, bob.StatusCode);
    }
}
