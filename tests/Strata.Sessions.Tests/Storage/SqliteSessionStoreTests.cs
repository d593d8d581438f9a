using System;
using System.IO;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Strata.Sessions.Tests.Storage;

public sealed class SqliteSessionStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("strata-sessions-").FullName;

    private string FileConnection => $"Data Source={Path.Combine(_directory, "sessions.db")}";

    [Fact]
    public async Task Initialize_EmptyFile_CreatesTheSchemaAtItsVersionInWalMode()
    {
        using var store = new SqliteSessionStore(FileConnection);

        await store.InitializeAsync();

        Assert.Equal((long)SqliteSessionStore.SchemaVersion, Scalar("PRAGMA user_version"));
        Assert.Equal("wal", Scalar("PRAGMA journal_mode"));
        Assert.Equal(2L, Scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('sessions', 'messages')"));
    }

    [Fact]
    public async Task Initialize_ExistingFile_KeepsTheData()
    {
        var session = new ChatSession(Guid.NewGuid(), "alice", "agent", "kept", SessionStatus.Active, "{}", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 0);
        using (var first = new SqliteSessionStore(FileConnection))
        {
            await first.InsertAsync(session); // the first call initializes
        }

        using var second = new SqliteSessionStore(FileConnection);
        await second.InitializeAsync();

        Assert.Equal("kept", (await second.GetAsync(session.Id))!.Title);
    }

    [Fact]
    public async Task Initialize_SchemaOfALaterVersion_IsRefused()
    {
        using (var connection = new SqliteConnection(FileConnection))
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {SqliteSessionStore.SchemaVersion + 1}";
            command.ExecuteNonQuery();
        }

        using var store = new SqliteSessionStore(FileConnection);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync());
        Assert.Contains($"schema version {SqliteSessionStore.SchemaVersion + 1}", refused.Message);
    }

    [Fact]
    public async Task InMemory_SameName_SharesTheDatabaseWhileAStoreIsOpen()
    {
        string name = $"shared-{Guid.NewGuid():N}";
        using SqliteSessionStore first = SqliteSessionStore.InMemory(name);
        using SqliteSessionStore second = SqliteSessionStore.InMemory(name);
        var session = new ChatSession(Guid.NewGuid(), "alice", "agent", "shared", SessionStatus.Active, "{}", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 0);

        await first.InsertAsync(session);

        Assert.Equal("shared", (await second.GetAsync(session.Id))!.Title);
    }

    [Theory]
    [InlineData("Data Source=:memory:")]
    [InlineData("Data Source=x;Mode=Memory")]
    [InlineData("Mode=ReadWrite")]
    [InlineData("this is not a connection string")]
    public void Constructor_UnusableConnectionString_Throws(string connectionString)
    {
        var thrown = Assert.ThrowsAny<ArgumentException>(() => new SqliteSessionStore(connectionString));

        Assert.Equal("connectionString", thrown.ParamName);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("{not json")]
    public void ChatSession_ContextThatIsNotAJsonObject_Throws(string context)
    {
        var thrown = Assert.ThrowsAny<ArgumentException>(() => new ChatSession(Guid.NewGuid(), "u", "a", "t", SessionStatus.Active, context, default, default, default, 0));

        Assert.Equal("contextJson", thrown.ParamName);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools(); // release the file before deleting it
        Directory.Delete(_directory, recursive: true);
    }

    private object? Scalar(string sql)
    {
        using var connection = new SqliteConnection(FileConnection);
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
