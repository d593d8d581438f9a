using System;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Strata.Sessions.Tests.Support;
using Strata.Testing;
using Xunit;

namespace Strata.Sessions.Tests;

/// <summary>
/// Two instances of a service, each with its repository and cache, sharing one database and one Redis: a write on one
/// leaves no stale read on the other once the invalidation is delivered.
/// </summary>
public sealed class SessionRepositoryInstancesTests(SingleRedis redis) : IClassFixture<SingleRedis>
{
    public static TheoryData<string> Writes => SessionRepositoryTests.Writes;

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task WriteOnOneInstance_ReadsOnTheOther_AgreeWithTheDatabase(string write)
    {
        await using SessionHarness first = SessionHarness.Create(redis.Configuration);
        await using SessionHarness second = first.Peer();
        ChatSession a = await first.Repository.CreateAsync("alice", "code_agent", "needle");
        ChatSession b = await first.Repository.CreateAsync("bob", "code_agent", "b");
        Guid[] sessions = [a.Id, b.Id];
        string[] users = ["alice", "bob"], agents = ["code_agent"];
        await Freshness.AssertFreshAsync(second.Repository, second.Store, sessions, users, agents); // the second instance's L1 holds every read
        long received = second.Cache.GetStatistics().InvalidationsReceived;
        first.Time.Advance(TimeSpan.FromDays(2));

        switch (write)
        {
            case "create":
                await first.Repository.CreateAsync("alice", "code_agent", "another needle");
                break;
            case "add message":
                await first.Repository.AddMessageAsync(a.Id, MessageRole.User, "hello");
                break;
            case "update context":
                await first.Repository.UpdateContextAsync(a.Id, new JsonObject { ["k"] = 1 });
                break;
            case "bulk status":
                Assert.Equal(2, await first.Repository.BulkUpdateStatusAsync([a.Id, b.Id], SessionStatus.Archived));
                break;
            case "cleanup":
                Assert.Equal(2, await first.Repository.CleanupExpiredSessionsAsync());
                break;
            case "delete":
                Assert.True(await first.Repository.DeleteAsync(b.Id));
                break;
        }

        // Delivery is asynchronous: wait for the messages to arrive, then every read must be fresh at once.
        await Eventually.True(() => second.Cache.GetStatistics().InvalidationsReceived > received, "the invalidations on the second instance");
        await Eventually.True(async () => await Freshness.FindStaleAsync(second.Repository, second.Store, sessions, users, agents) is null, "fresh reads on the second instance", seconds: 5);
        await Freshness.AssertFreshAsync(first.Repository, first.Store, sessions, users, agents);
    }
}
