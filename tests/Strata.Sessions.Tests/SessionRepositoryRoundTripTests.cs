using System;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;
using StackExchange.Redis.Profiling;
using Strata.Testing;
using Strata.Tiering;
using Xunit;

namespace Strata.Sessions.Tests;

/// <summary>
/// Every write invalidates what it made stale (its sessions' keys and its users' and agents' tags) in one Redis round
/// trip, through the repository's namespace: one script, which also publishes the invalidation.
/// </summary>
public sealed class SessionRepositoryRoundTripTests(SingleRedis redis) : IClassFixture<SingleRedis>
{
    public static TheoryData<string> Writes => SessionRepositoryTests.Writes;

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task EveryWrite_InvalidatesInOneRoundTrip(string write)
    {
        var profiling = new ProfilingSession();
        ProfilingSession? current = null;
        await using ConnectionMultiplexer connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        connection.RegisterProfiler(() => current);
        var options = new TieredCacheOptions { KeyPrefix = $"rt{Guid.NewGuid():N}:" };
        await using var cache = new TieredCache(options, connection);
        Assert.True(SpinWait.SpinUntil(() => cache.IsSubscribed, TimeSpan.FromSeconds(20)), "the backplane subscription");
        using SqliteSessionStore store = SqliteSessionStore.InMemory($"round-trips-{Guid.NewGuid():N}");
        await store.InitializeAsync();
        var repository = new SessionRepository(store, cache);
        ChatSession a = await repository.CreateAsync("alice", "code_agent", "a");
        ChatSession b = await repository.CreateAsync("bob", "code_agent", "b");
        await repository.GetUserSessionsAsync("alice");
        await repository.GetSessionsByAgentAsync("code_agent");

        current = profiling;
        switch (write)
        {
            case "create":
                await repository.CreateAsync("alice", "code_agent", "c");
                break;
            case "add message":
                await repository.AddMessageAsync(a.Id, MessageRole.User, "hello");
                break;
            case "update context":
                await repository.UpdateContextAsync(a.Id, new JsonObject { ["k"] = "v" });
                break;
            case "bulk status":
                Assert.Equal(2, await repository.BulkUpdateStatusAsync([a.Id, b.Id], SessionStatus.Completed));
                break;
            case "cleanup":
                Assert.Equal(0, await repository.CleanupExpiredSessionsAsync()); // nothing idle: nothing to invalidate
                break;
            case "delete":
                Assert.True(await repository.DeleteAsync(a.Id));
                break;
        }

        current = null;
        string[] commands = profiling.FinishProfiling().Select(command => command.Command).Where(name => name is not "PING" and not "ECHO").ToArray();
        if (write == "cleanup")
        {
            Assert.Empty(commands);
        }
        else
        {
            Assert.Equal(["EVALSHA"], commands.Select(name => name == "EVAL" ? "EVALSHA" : name));
        }

        Assert.Empty(await repository.GetUserSessionsAsync("nobody"));
    }
}
