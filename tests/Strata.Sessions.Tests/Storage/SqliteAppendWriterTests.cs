using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Strata.Sessions.Tests.Storage;

/// <summary>Message appends through the store's single writer: grouped commits, the exact limit, nothing lost.</summary>
public sealed class SqliteAppendWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("strata-appends-").FullName;

    private string FileConnection => $"Data Source={Path.Combine(_directory, "sessions.db")}";

    private static ChatSession NewSession() =>
        new(Guid.NewGuid(), "alice", "agent", "t", SessionStatus.Active, "{}", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 0);

    [Fact]
    public async Task ConcurrentAppends_AreGroupedIntoFewCommits_AndEveryOneIsStoredInOrder()
    {
        using var store = new SqliteSessionStore(FileConnection);
        ChatSession[] sessions = Enumerable.Range(0, 8).Select(_ => NewSession()).ToArray();
        foreach (ChatSession session in sessions)
        {
            await store.InsertAsync(session);
        }

        long before = store.AppendCommits;
        ChatSession?[] results = await Task.WhenAll(Enumerable.Range(0, 400).Select(i =>
            store.AddMessageAsync(sessions[i % 8].Id, MessageRole.User, $"m{i}", "{}", DateTimeOffset.UnixEpoch.AddSeconds(i), maxMessages: 1000)));

        Assert.All(results, r => Assert.NotNull(r));
        Assert.InRange(store.AppendCommits - before, 1, 40); // 400 appends queued at once share commits (up to 256 each)
        foreach (ChatSession session in sessions)
        {
            var messages = await store.ListMessagesAsync(session.Id);
            Assert.Equal(Enumerable.Range(1, 50), messages.Select(m => m.Sequence)); // no gap, no duplicate
            Assert.Equal(50, (await store.GetAsync(session.Id))!.MessageCount);
            Assert.Equal(
                Enumerable.Range(0, 400).Where(i => sessions[i % 8].Id == session.Id).Select(i => $"m{i}").Order(),
                messages.Select(m => m.Content).Order());
        }
    }

    [Fact]
    public async Task TwoStoresOnOneFile_KeepTheLimitExact()
    {
        using var first = new SqliteSessionStore(FileConnection);
        using var second = new SqliteSessionStore(FileConnection);
        ChatSession session = NewSession();
        await first.InsertAsync(session);
        await second.InitializeAsync();

        Task<ChatSession?>[] adds = Enumerable.Range(0, 40).Select(i =>
            (i % 2 == 0 ? first : second).AddMessageAsync(session.Id, MessageRole.User, $"m{i}", "{}", DateTimeOffset.UnixEpoch, maxMessages: 10)).ToArray();
        await Task.WhenAll(adds.Select(a => a.ContinueWith(_ => { }, TaskScheduler.Default)));

        Assert.Equal(10, adds.Count(a => a.IsCompletedSuccessfully));
        Assert.All(adds.Where(a => !a.IsCompletedSuccessfully), a => Assert.IsType<SessionMessageLimitException>(a.Exception!.InnerException));
        Assert.Equal(Enumerable.Range(1, 10), (await first.ListMessagesAsync(session.Id)).Select(m => m.Sequence));
    }

    [Fact]
    public async Task InABatch_AMissingSessionAndAFullOne_AnswerAlone()
    {
        using var store = new SqliteSessionStore(FileConnection);
        ChatSession full = NewSession();
        ChatSession open = NewSession();
        await store.InsertAsync(full);
        await store.InsertAsync(open);
        await store.AddMessageAsync(full.Id, MessageRole.User, "only", "{}", DateTimeOffset.UnixEpoch, maxMessages: 1);

        Task<ChatSession?> missing = store.AddMessageAsync(Guid.NewGuid(), MessageRole.User, "x", "{}", DateTimeOffset.UnixEpoch, 5);
        Task<ChatSession?> overLimit = store.AddMessageAsync(full.Id, MessageRole.User, "x", "{}", DateTimeOffset.UnixEpoch, 1);
        Task<ChatSession?> fine = store.AddMessageAsync(open.Id, MessageRole.Assistant, "y", "{}", DateTimeOffset.UnixEpoch, 5);

        Assert.Null(await missing);
        await Assert.ThrowsAsync<SessionMessageLimitException>(() => overLimit);
        Assert.Equal(1, (await fine)!.MessageCount);
    }

    [Fact]
    public async Task AnAppendThatFails_FailsAlone_TheRestOfItsBatchIsWritten()
    {
        using var store = new SqliteSessionStore(FileConnection);
        ChatSession session = NewSession();
        await store.InsertAsync(session);
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(FileConnection))
        {
            connection.Open();
            using var trigger = connection.CreateCommand();
            trigger.CommandText = "CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.content = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END";
            trigger.ExecuteNonQuery();
        }

        Task<ChatSession?>[] adds = Enumerable.Range(0, 60).Select(i =>
            store.AddMessageAsync(session.Id, MessageRole.User, i == 30 ? "poison" : $"m{i}", "{}", DateTimeOffset.UnixEpoch, maxMessages: 1000)).ToArray();
        await Task.WhenAll(adds.Select(a => a.ContinueWith(_ => { }, TaskScheduler.Default)));

        Assert.IsType<Microsoft.Data.Sqlite.SqliteException>(adds[30].Exception!.InnerException);
        Assert.Equal(59, adds.Count(a => a.IsCompletedSuccessfully));
        var messages = await store.ListMessagesAsync(session.Id);
        Assert.Equal(Enumerable.Range(1, 59), messages.Select(m => m.Sequence)); // the failed one took no sequence
        Assert.DoesNotContain(messages, m => m.Content == "poison");
        Assert.Equal(59, (await store.GetAsync(session.Id))!.MessageCount);
    }

    [Fact]
    public async Task CancelledBeforeItIsWritten_WritesNothing_AndAfterDisposeAppendsAreRefused()
    {
        var store = new SqliteSessionStore(FileConnection);
        ChatSession session = NewSession();
        await store.InsertAsync(session);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.AddMessageAsync(session.Id, MessageRole.User, "x", "{}", DateTimeOffset.UnixEpoch, 5, cancelled.Token));
        Assert.Empty(await store.ListMessagesAsync(session.Id));

        store.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.AddMessageAsync(session.Id, MessageRole.User, "x", "{}", DateTimeOffset.UnixEpoch, 5));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
