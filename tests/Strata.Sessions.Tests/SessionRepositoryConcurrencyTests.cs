using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Strata.Sessions.Tests.Support;
using Strata.Testing;
using Strata.Tiering;
using Xunit;

namespace Strata.Sessions.Tests;

/// <summary>
/// A read that queried the database before a write, and finishes after the write's invalidation, must not leave its
/// answer in the cache: the next read returns the write.
/// </summary>
public abstract class SessionRepositoryConcurrencyTests
{
    protected abstract string? Redis { get; }

    public static TheoryData<string> Reads => ["session", "with messages", "user list", "statistics"];

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task ReadOvertakenByAWrite_DoesNotCacheWhatItRead(string read)
    {
        await using SessionHarness harness = SessionHarness.Create(Redis);
        var held = new HoldingStore(harness.Store);
        var repository = new SessionRepository(held, harness.Cache, SessionHarness.Options(), harness.Time);
        ChatSession session = await repository.CreateAsync("alice", "agent", "t");
        Func<Task<object?>> reader = read switch
        {
            "session" => async () => await repository.GetAsync(session.Id),
            "with messages" => async () => await repository.GetSessionWithMessagesAsync(session.Id),
            "user list" => async () => await repository.GetUserSessionsAsync("alice"),
            _ => async () => await repository.GetSessionStatisticsAsync("alice"),
        };

        held.HoldNextRead();
        Task<object?> overtaken = reader(); // reads the database, then waits
        await held.ReadDone.Task;
        await repository.AddMessageAsync(session.Id, MessageRole.User, "the write");
        held.Release();
        _ = await overtaken;

        await Freshness.AssertFreshAsync(repository, harness.Store, [session.Id], ["alice"], ["agent"]);
        Assert.True(harness.Cache.GetStatistics().FactoryFillsDropped >= 1);
    }

    [Fact]
    public async Task CallerCancelsOnceTheDatabaseHasTheWrite_TheCacheIsStillInvalidated()
    {
        await using SessionHarness harness = SessionHarness.Create(Redis);
        using var cancel = new CancellationTokenSource();
        var repository = new SessionRepository(new CancellingStore(harness.Store, cancel), harness.Cache, SessionHarness.Options(), harness.Time);
        ChatSession session = await repository.CreateAsync("alice", "agent", "t");
        await Freshness.AssertFreshAsync(repository, harness.Store, [session.Id], ["alice"], ["agent"]); // every read cached

        try
        {
            await repository.AddMessageAsync(session.Id, MessageRole.User, "committed", cancellationToken: cancel.Token);
        }
        catch (OperationCanceledException)
        {
            // a caller that stopped waiting may see this; the write is in the database either way
        }

        Assert.Equal(1, (await harness.Store.GetAsync(session.Id))!.MessageCount);
        await Freshness.AssertFreshAsync(repository, harness.Store, [session.Id], ["alice"], ["agent"]);
    }

    /// <summary>A store that cancels the caller's token right after a message is committed.</summary>
    private sealed class CancellingStore(ISessionStore inner, CancellationTokenSource cancel) : DelegatingSessionStore(inner)
    {
        public override async Task<ChatSession?> AddMessageAsync(Guid id, MessageRole role, string content, string metadataJson, DateTimeOffset now, int maxMessages, CancellationToken cancellationToken = default)
        {
            ChatSession? session = await base.AddMessageAsync(id, role, content, metadataJson, now, maxMessages, CancellationToken.None);
            await cancel.CancelAsync();
            return session;
        }
    }

    /// <summary>A store whose next read, once asked for, completes its query and then waits until released.</summary>
    private sealed class HoldingStore(ISessionStore inner) : DelegatingSessionStore(inner)
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _hold;

        public TaskCompletionSource ReadDone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void HoldNextRead() => Volatile.Write(ref _hold, 1);

        public void Release() => _gate.SetResult();

        public override async Task<ChatSession?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
            await HoldAsync(await base.GetAsync(id, cancellationToken));

        public override async Task<IReadOnlyList<ChatSession>> ListByUserAsync(string userId, bool activeOnly, CancellationToken cancellationToken = default) =>
            await HoldAsync(await base.ListByUserAsync(userId, activeOnly, cancellationToken));

        public override async Task<SessionStatistics> GetStatisticsAsync(string userId, CancellationToken cancellationToken = default) =>
            await HoldAsync(await base.GetStatisticsAsync(userId, cancellationToken));

        private async Task<T> HoldAsync<T>(T result)
        {
            if (Interlocked.Exchange(ref _hold, 0) == 1)
            {
                ReadDone.SetResult();
                await _gate.Task;
            }

            return result;
        }
    }
}

public sealed class SessionRepositoryConcurrencyLocalTests : SessionRepositoryConcurrencyTests
{
    protected override string? Redis => null;
}

public sealed class SessionRepositoryConcurrencyTieredTests(SingleRedis redis) : SessionRepositoryConcurrencyTests, IClassFixture<SingleRedis>
{
    protected override string? Redis => redis.Configuration;
}
