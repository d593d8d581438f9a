using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Strata.Sessions.Tests.Support;
using Strata.Testing;
using Xunit;

namespace Strata.Sessions.Tests;

/// <summary>
/// The repository's operations and its caching, run on an L1-only cache and on a tiered one: each operation's answer,
/// and for each write, that every cached read afterwards agrees with the database.
/// </summary>
public abstract class SessionRepositoryTests : IAsyncLifetime
{
    private SessionHarness _harness = null!;

    protected abstract string? Redis { get; }

    private SessionRepository Repository => _harness.Repository;

    public Task InitializeAsync()
    {
        _harness = SessionHarness.Create(Redis, SessionHarness.Options(maxMessages: 5));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Create_ThenGet_ReturnsTheActiveSessionWithItsContext()
    {
        ChatSession created = await Repository.CreateAsync("alice", "code_agent", "Debug Python Script", new JsonObject { ["language"] = "python" });

        ChatSession? read = await Repository.GetAsync(created.Id);

        Assert.NotNull(read);
        Assert.Equal(("alice", "code_agent", "Debug Python Script", SessionStatus.Active, 0), (read.UserId, read.AgentId, read.Title, read.Status, read.MessageCount));
        Assert.Equal("python", read.Context.GetProperty("language").GetString());
        Assert.Equal(_harness.Time.GetUtcNow(), read.CreatedAt);
        Assert.Equal(read.CreatedAt, read.LastActivityAt);
    }

    [Fact]
    public async Task Get_UnknownId_ReturnsNull() => Assert.Null(await Repository.GetAsync(Guid.NewGuid()));

    [Fact]
    public async Task Get_Twice_SecondReadComesFromTheCache()
    {
        ChatSession created = await Repository.CreateAsync("alice", "agent", "t");
        _ = await Repository.GetAsync(created.Id);
        // Changed behind the repository's back: a cached read does not see it, which shows the read was cached.
        await _harness.Store.SetStatusAsync([created.Id], SessionStatus.Completed, _harness.Time.GetUtcNow());

        ChatSession? second = await Repository.GetAsync(created.Id);

        Assert.Equal(SessionStatus.Active, second!.Status);
        Assert.Equal(1, _harness.Cache.Namespace(SessionRepository.CacheNamespaceName, SessionHarness.CacheTimeToLive).GetStatistics().Hits);
    }

    [Fact]
    public async Task AddMessage_AppendsInOrderAndMovesTheActivity()
    {
        ChatSession created = await Repository.CreateAsync("alice", "agent", "t");
        _harness.Time.Advance(TimeSpan.FromMinutes(5));

        await Repository.AddMessageAsync(created.Id, MessageRole.User, "Help me debug this", new JsonObject { ["source"] = "web" });
        ChatSession? after = await Repository.AddMessageAsync(created.Id, MessageRole.Assistant, "Sure");
        SessionWithMessages? full = await Repository.GetSessionWithMessagesAsync(created.Id);

        Assert.Equal(2, after!.MessageCount);
        Assert.Equal(created.CreatedAt.AddMinutes(5), after.LastActivityAt);
        Assert.Equal([(1, MessageRole.User, "Help me debug this"), (2, MessageRole.Assistant, "Sure")], full!.Messages.Select(m => (m.Sequence, m.Role, m.Content)));
        Assert.Equal("web", full.Messages[0].Metadata.GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Object, full.Messages[1].Metadata.ValueKind);
        Assert.Equal(2, full.Session.MessageCount);
    }

    [Fact]
    public async Task AddMessage_AtTheLimit_ThrowsSessionMessageLimitExceptionAndKeepsTheCount()
    {
        ChatSession created = await Repository.CreateAsync("alice", "agent", "t");
        for (int i = 0; i < Repository.MaxMessages; i++)
        {
            await Repository.AddMessageAsync(created.Id, MessageRole.User, $"m{i}");
        }

        var refused = await Assert.ThrowsAsync<SessionMessageLimitException>(() => Repository.AddMessageAsync(created.Id, MessageRole.User, "one too many"));

        Assert.Equal((created.Id, 5), (refused.SessionId, refused.MaxMessages));
        Assert.Equal(5, (await Repository.GetSessionWithMessagesAsync(created.Id))!.Messages.Count);
    }

    [Fact]
    public async Task AddMessage_ConcurrentlyPastTheLimit_AcceptsExactlyTheLimit()
    {
        ChatSession created = await Repository.CreateAsync("alice", "agent", "t");

        Task<ChatSession?>[] adds = Enumerable.Range(0, 20).Select(i => Task.Run(() => Repository.AddMessageAsync(created.Id, MessageRole.User, $"m{i}"))).ToArray();
        await Task.WhenAll(adds.Select(a => a.ContinueWith(_ => { })));

        Assert.Equal(5, adds.Count(a => a.IsCompletedSuccessfully));
        Assert.All(adds.Where(a => !a.IsCompletedSuccessfully), a => Assert.IsType<SessionMessageLimitException>(a.Exception!.InnerException));
        SessionWithMessages? full = await Repository.GetSessionWithMessagesAsync(created.Id);
        Assert.Equal([1, 2, 3, 4, 5], full!.Messages.Select(m => m.Sequence));
        Assert.Equal(5, full.Session.MessageCount);
    }

    [Fact]
    public async Task AddMessage_UnknownOrDeletedSession_ReturnsNull()
    {
        ChatSession created = await Repository.CreateAsync("alice", "agent", "t");
        await Repository.DeleteAsync(created.Id);

        Assert.Null(await Repository.AddMessageAsync(created.Id, MessageRole.User, "hello"));
        Assert.Null(await Repository.AddMessageAsync(Guid.NewGuid(), MessageRole.User, "hello"));
    }

    [Fact]
    public async Task UpdateContext_MergesTopLevelProperties()
    {
        ChatSession created = await Repository.CreateAsync("alice", "agent", "t", new JsonObject { ["language"] = "python", ["line"] = 1 });

        ChatSession? updated = await Repository.UpdateContextAsync(created.Id, new JsonObject { ["current_file"] = "main.py", ["line"] = 42 });

        Assert.Equal("""{"language":"python","line":42,"current_file":"main.py"}""", updated!.Context.GetRawText());
        Assert.Equal(updated.Context.GetRawText(), (await Repository.GetAsync(created.Id))!.Context.GetRawText());
        Assert.Null(await Repository.UpdateContextAsync(Guid.NewGuid(), new JsonObject()));
    }

    [Fact]
    public async Task GetUserSessions_ListsTheUsersSessionsMostRecentFirst()
    {
        ChatSession first = await Repository.CreateAsync("alice", "agent", "first");
        _harness.Time.Advance(TimeSpan.FromSeconds(1));
        ChatSession second = await Repository.CreateAsync("alice", "agent", "second");
        _harness.Time.Advance(TimeSpan.FromSeconds(1));
        await Repository.CreateAsync("bob", "agent", "not alice's");
        await Repository.BulkUpdateStatusAsync([second.Id], SessionStatus.Completed);
        _harness.Time.Advance(TimeSpan.FromSeconds(1));
        await Repository.AddMessageAsync(first.Id, MessageRole.User, "bump");

        Assert.Equal([first.Id, second.Id], (await Repository.GetUserSessionsAsync("alice")).Select(s => s.Id));
        Assert.Equal([first.Id], (await Repository.GetUserSessionsAsync("alice", activeOnly: true)).Select(s => s.Id));
        Assert.Empty(await Repository.GetUserSessionsAsync("nobody"));
    }

    [Fact]
    public async Task GetPaginatedUserSessions_GivesPagesAndTotals()
    {
        var ids = new List<Guid>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add((await Repository.CreateAsync("alice", "agent", $"s{i}")).Id);
            _harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        SessionPage page2 = await Repository.GetPaginatedUserSessionsAsync("alice", page: 2, pageSize: 2);
        SessionPage page4 = await Repository.GetPaginatedUserSessionsAsync("alice", page: 4, pageSize: 2);

        Assert.Equal((2, 2, 5, 3), (page2.Page, page2.PageSize, page2.TotalCount, page2.TotalPages));
        Assert.Equal([ids[2], ids[1]], page2.Items.Select(s => s.Id));
        Assert.Empty(page4.Items);
        Assert.Equal(0, (await Repository.GetPaginatedUserSessionsAsync("nobody")).TotalPages);
    }

    [Theory]
    [InlineData(0, 10, "page")]
    [InlineData(-1, 10, "page")]
    [InlineData(1, 0, "pageSize")]
    [InlineData(1, SessionRepository.MaxPageSize + 1, "pageSize")]
    public async Task GetPaginatedUserSessions_InvalidPageArguments_Throw(int page, int pageSize, string parameter)
    {
        var thrown = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Repository.GetPaginatedUserSessionsAsync("alice", page, pageSize));

        Assert.Equal(parameter, thrown.ParamName);
    }

    [Fact]
    public async Task JsonPastTheDepthOrLengthLimit_IsRefusedNamingIt_AndNothingIsStored()
    {
        JsonObject deep = Nested(SessionRepository.MaxJsonDepth + 1);
        var thrown = new List<string?>
        {
            (await Assert.ThrowsAsync<ArgumentException>(() => Repository.CreateAsync("alice", "agent", "t", deep))).ParamName,
        };
        ChatSession session = await Repository.CreateAsync("alice", "agent", "t", Nested(SessionRepository.MaxJsonDepth)); // the deepest accepted
        thrown.Add((await Assert.ThrowsAsync<ArgumentException>(() => Repository.AddMessageAsync(session.Id, MessageRole.User, "x", new JsonObject { ["m"] = new string('m', SessionRepository.MaxJsonLength) }))).ParamName);
        thrown.Add((await Assert.ThrowsAsync<ArgumentException>(() => Repository.UpdateContextAsync(session.Id, Nested(SessionRepository.MaxJsonDepth + 1)))).ParamName);
        string half = new('h', SessionRepository.MaxJsonLength / 2);
        await Repository.UpdateContextAsync(session.Id, new JsonObject { ["a"] = half });
        thrown.Add((await Assert.ThrowsAsync<ArgumentException>(() => Repository.UpdateContextAsync(session.Id, new JsonObject { ["b"] = half }))).ParamName); // the merge would pass the limit

        Assert.Equal(["context", "metadata", "context", "context"], thrown);
        ChatSession? read = await Repository.GetAsync(session.Id);
        Assert.Equal(0, read!.MessageCount);
        Assert.False(read.Context.TryGetProperty("b", out _));
        Assert.Single(await Repository.GetUserSessionsAsync("alice"));
    }

    private static JsonObject Nested(int depth)
    {
        var root = new JsonObject();
        JsonObject level = root;
        for (int i = 1; i < depth; i++)
        {
            var next = new JsonObject();
            level["n"] = next;
            level = next;
        }

        return root;
    }

    [Fact]
    public async Task SearchSessions_FindsTitleAndMessageTextOfThatUserOnly()
    {
        ChatSession byTitle = await Repository.CreateAsync("alice", "agent", "Python debugging");
        ChatSession byMessage = await Repository.CreateAsync("alice", "agent", "untitled");
        await Repository.AddMessageAsync(byMessage.Id, MessageRole.User, "my PYTHON script fails");
        ChatSession deleted = await Repository.CreateAsync("alice", "agent", "python too");
        await Repository.DeleteAsync(deleted.Id);
        await Repository.CreateAsync("bob", "agent", "python");
        await Repository.CreateAsync("alice", "agent", "100% sure");

        Assert.Equal(new HashSet<Guid> { byTitle.Id, byMessage.Id }, (await Repository.SearchSessionsAsync("alice", "python")).Select(s => s.Id).ToHashSet());
        Assert.Single(await Repository.SearchSessionsAsync("alice", "0% s")); // % is literal
        Assert.Empty(await Repository.SearchSessionsAsync("alice", "1_0")); // so is _
    }

    [Fact]
    public async Task GetRecentSessions_FollowsTheClockWithoutAWrite()
    {
        ChatSession old = await Repository.CreateAsync("alice", "agent", "old");
        _harness.Time.Advance(TimeSpan.FromHours(3));
        ChatSession fresh = await Repository.CreateAsync("alice", "agent", "fresh");

        Assert.Equal([fresh.Id], (await Repository.GetRecentSessionsAsync("alice", TimeSpan.FromHours(2))).Select(s => s.Id));
        Assert.Equal([fresh.Id, old.Id], (await Repository.GetRecentSessionsAsync("alice", TimeSpan.FromHours(4))).Select(s => s.Id));
        _harness.Time.Advance(TimeSpan.FromHours(2)); // the cached list is the same; the window moved
        Assert.Empty(await Repository.GetRecentSessionsAsync("alice", TimeSpan.FromHours(1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>("window", () => Repository.GetRecentSessionsAsync("alice", TimeSpan.Zero));
    }

    [Fact]
    public async Task GetSessionsByAgent_ListsEveryUsersSessionsWithThatAgent()
    {
        ChatSession a = await Repository.CreateAsync("alice", "code_agent", "a");
        _harness.Time.Advance(TimeSpan.FromSeconds(1));
        ChatSession b = await Repository.CreateAsync("bob", "code_agent", "b");
        await Repository.CreateAsync("bob", "other_agent", "c");

        Assert.Equal([b.Id, a.Id], (await Repository.GetSessionsByAgentAsync("code_agent")).Select(s => s.Id));
        Assert.Equal([b.Id], (await Repository.GetSessionsByAgentAsync("code_agent", limit: 1)).Select(s => s.Id));
    }

    [Fact]
    public async Task GetSessionStatistics_CountsSessionsActiveOnesAndMessages()
    {
        ChatSession a = await Repository.CreateAsync("alice", "agent", "a");
        ChatSession b = await Repository.CreateAsync("alice", "agent", "b");
        ChatSession c = await Repository.CreateAsync("alice", "agent", "c");
        await Repository.AddMessageAsync(a.Id, MessageRole.User, "1");
        await Repository.AddMessageAsync(a.Id, MessageRole.User, "2");
        await Repository.AddMessageAsync(b.Id, MessageRole.User, "3");
        await Repository.BulkUpdateStatusAsync([b.Id], SessionStatus.Completed);
        await Repository.DeleteAsync(c.Id);

        SessionStatistics stats = await Repository.GetSessionStatisticsAsync("alice");

        Assert.Equal((2, 1, 3L, 1.5), (stats.TotalSessions, stats.ActiveSessions, stats.TotalMessages, stats.AverageMessagesPerSession));
        Assert.Equal(0, (await Repository.GetSessionStatisticsAsync("nobody")).AverageMessagesPerSession);
    }

    [Fact]
    public async Task CleanupExpiredSessions_ArchivesSessionsIdleLongerThanTheExpiry()
    {
        ChatSession idle = await Repository.CreateAsync("alice", "agent", "idle");
        ChatSession completed = await Repository.CreateAsync("alice", "agent", "completed");
        await Repository.BulkUpdateStatusAsync([completed.Id], SessionStatus.Completed);
        ChatSession busy = await Repository.CreateAsync("alice", "agent", "busy");
        _harness.Time.Advance(TimeSpan.FromHours(23));
        await Repository.AddMessageAsync(busy.Id, MessageRole.User, "still here");
        _harness.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMilliseconds(1));

        int archived = await Repository.CleanupExpiredSessionsAsync();

        Assert.Equal(2, archived);
        Assert.Equal(SessionStatus.Archived, (await Repository.GetAsync(idle.Id))!.Status);
        Assert.Equal(SessionStatus.Archived, (await Repository.GetAsync(completed.Id))!.Status);
        Assert.Equal(SessionStatus.Active, (await Repository.GetAsync(busy.Id))!.Status);
        Assert.Equal(0, await Repository.CleanupExpiredSessionsAsync());
    }

    [Fact]
    public async Task BulkUpdateStatus_CountsTheSessionsThatChanged()
    {
        ChatSession a = await Repository.CreateAsync("alice", "agent", "a");
        ChatSession b = await Repository.CreateAsync("alice", "agent", "b");
        ChatSession deleted = await Repository.CreateAsync("alice", "agent", "deleted");
        await Repository.DeleteAsync(deleted.Id);
        await Repository.BulkUpdateStatusAsync([b.Id], SessionStatus.Completed);

        int changed = await Repository.BulkUpdateStatusAsync([a.Id, b.Id, deleted.Id, Guid.NewGuid()], SessionStatus.Completed);

        Assert.Equal(1, changed);
        Assert.Equal(SessionStatus.Deleted, (await Repository.GetAsync(deleted.Id, includeDeleted: true))!.Status);
    }

    [Fact]
    public async Task Delete_IsSoft_HiddenUnlessAskedFor()
    {
        ChatSession created = await Repository.CreateAsync("alice", "agent", "t");
        _ = await Repository.GetUserSessionsAsync("alice");

        Assert.True(await Repository.DeleteAsync(created.Id));
        Assert.False(await Repository.DeleteAsync(created.Id));

        Assert.Null(await Repository.GetAsync(created.Id));
        Assert.Null(await Repository.GetSessionWithMessagesAsync(created.Id));
        Assert.Equal(SessionStatus.Deleted, (await Repository.GetAsync(created.Id, includeDeleted: true))!.Status);
        Assert.Empty(await Repository.GetUserSessionsAsync("alice"));
    }

    public static TheoryData<string> Writes => ["create", "add message", "update context", "bulk status", "cleanup", "delete"];

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task EveryWrite_ThenEveryCachedRead_AgreesWithTheDatabase(string write)
    {
        ChatSession a = await Repository.CreateAsync("alice", "code_agent", "needle in a haystack");
        ChatSession b = await Repository.CreateAsync("alice", "other_agent", "b");
        await Repository.AddMessageAsync(b.Id, MessageRole.User, "no match yet");
        ChatSession c = await Repository.CreateAsync("bob", "code_agent", "c");
        Guid[] sessions = [a.Id, b.Id, c.Id];
        string[] users = ["alice", "bob"], agents = ["code_agent", "other_agent"];
        await Freshness.AssertFreshAsync(Repository, _harness.Store, sessions, users, agents); // every read cached now
        _harness.Time.Advance(TimeSpan.FromDays(2));

        switch (write)
        {
            case "create":
                await Repository.CreateAsync("alice", "code_agent", "another needle");
                break;
            case "add message":
                await Repository.AddMessageAsync(b.Id, MessageRole.Assistant, "now a NEEDLE");
                break;
            case "update context":
                await Repository.UpdateContextAsync(c.Id, new JsonObject { ["k"] = "v" });
                break;
            case "bulk status":
                await Repository.BulkUpdateStatusAsync([a.Id, c.Id], SessionStatus.Completed);
                break;
            case "cleanup":
                Assert.Equal(3, await Repository.CleanupExpiredSessionsAsync());
                break;
            case "delete":
                await Repository.DeleteAsync(a.Id);
                break;
        }

        await Freshness.AssertFreshAsync(Repository, _harness.Store, sessions, users, agents);
    }

    [Fact]
    public async Task BadInput_IsRefusedWithTheParameterName()
    {
        ChatSession created = await Repository.CreateAsync("alice", "agent", "t");

        await Assert.ThrowsAsync<ArgumentException>("userId", () => Repository.CreateAsync(" ", "agent", "t"));
        await Assert.ThrowsAsync<ArgumentNullException>("agentId", () => Repository.CreateAsync("alice", null!, "t"));
        await Assert.ThrowsAsync<ArgumentException>("title", () => Repository.CreateAsync("alice", "agent", new string('x', SessionRepository.MaxIdLength + 1)));
        await Assert.ThrowsAsync<ArgumentException>("content", () => Repository.AddMessageAsync(created.Id, MessageRole.User, ""));
        await Assert.ThrowsAsync<ArgumentException>("content", () => Repository.AddMessageAsync(created.Id, MessageRole.User, new string('x', SessionRepository.MaxContentLength + 1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>("role", () => Repository.AddMessageAsync(created.Id, (MessageRole)42, "x"));
        await Assert.ThrowsAsync<ArgumentNullException>("context", () => Repository.UpdateContextAsync(created.Id, null!));
        await Assert.ThrowsAsync<ArgumentException>("text", () => Repository.SearchSessionsAsync("alice", ""));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>("limit", () => Repository.GetSessionsByAgentAsync("agent", 0));
        await Assert.ThrowsAsync<ArgumentException>("sessionIds", () => Repository.BulkUpdateStatusAsync(new Guid[SessionRepository.MaxBulkSize + 1], SessionStatus.Archived));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>("status", () => Repository.BulkUpdateStatusAsync([created.Id], (SessionStatus)9));
        Assert.Equal(0, (await Repository.GetAsync(created.Id))!.MessageCount); // nothing half-done
    }
}

public sealed class SessionRepositoryLocalTests : SessionRepositoryTests
{
    protected override string? Redis => null;
}

public sealed class SessionRepositoryTieredTests(SingleRedis redis) : SessionRepositoryTests, IClassFixture<SingleRedis>
{
    protected override string? Redis => redis.Configuration;
}
