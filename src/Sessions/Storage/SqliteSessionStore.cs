using System;
using System.Collections.Generic;
using System.Data;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using static Strata.Sessions.SqliteRows;

namespace Strata.Sessions;

/// <summary>
/// The session store on SQLite (<c>Microsoft.Data.Sqlite</c>): a file for a service, or a named in-memory database for
/// tests. Thread-safe; each call takes a pooled connection.
/// </summary>
/// <remarks>
/// <para>
/// Schema: tables <c>sessions</c> and <c>messages</c>, indexed for the lists by user, by agent and by idleness. Its
/// version is SQLite's <c>PRAGMA user_version</c>: <see cref="InitializeAsync"/> creates version
/// <see cref="SchemaVersion"/> in an empty database and refuses a database of a later version. Times are stored as
/// Unix milliseconds, ids as text, statuses and roles as their numbers.
/// </para>
/// <para>
/// Writes that read before they write (a message against the limit, a context merge) run in one immediate transaction,
/// so two processes sharing the file cannot both take the last message slot. Message appends go through a single
/// writer that commits the appends queued meanwhile in one transaction (up to 256): they share one WAL sync instead of
/// each waiting for its own and for the others' write lock. A file database is put in WAL mode, so
/// readers never wait for the writer.
/// </para>
/// <para>
/// An in-memory database (<c>Mode=Memory;Cache=Shared</c>, see <see cref="InMemory"/>) lives while a connection to it
/// is open: the store keeps one open until it is disposed.
/// </para>
/// </remarks>
public sealed class SqliteSessionStore : ISessionStore, IDisposable
{
    /// <summary>The schema version this store creates and reads.</summary>
    public const int SchemaVersion = 1;

    internal const string Columns = "id, user_id, agent_id, title, status, context, created_at, updated_at, last_activity_at, message_count";
    internal const string NotDeleted = "status <> 3";
    private const string Order = "ORDER BY last_activity_at DESC, id DESC";

    private readonly string _connectionString;
    private readonly bool _isFile;
    private SqliteConnection? _keepAlive;
    private volatile bool _initialized;
    private readonly SemaphoreSlim _initializing = new(1, 1);
    private readonly SqliteAppendWriter _appends;

    /// <summary>Creates a store on the database of <paramref name="connectionString"/> (for example <c>Data Source=sessions.db</c>).</summary>
    /// <param name="connectionString">A <c>Microsoft.Data.Sqlite</c> connection string.</param>
    /// <exception cref="ArgumentException">
    /// The string cannot be parsed, names no database, or names a private in-memory database (<c>:memory:</c>), which
    /// each pooled connection would see empty: use <see cref="InMemory"/> instead.
    /// </exception>
    public SqliteSessionStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new ArgumentException($"Not a SQLite connection string: {ex.Message}", nameof(connectionString), ex);
        }

        if (string.IsNullOrWhiteSpace(builder.DataSource))
        {
            throw new ArgumentException("The connection string names no database: set 'Data Source'.", nameof(connectionString));
        }

        bool memory = builder.Mode == SqliteOpenMode.Memory || builder.DataSource == ":memory:";
        if (memory && (builder.DataSource == ":memory:" || builder.Cache != SqliteCacheMode.Shared))
        {
            throw new ArgumentException("A private in-memory database is empty on every connection: use SqliteSessionStore.InMemory(name), or 'Mode=Memory;Cache=Shared' with a name.", nameof(connectionString));
        }

        builder.ForeignKeys = true;
        _connectionString = builder.ToString();
        _isFile = !memory;
        _appends = new SqliteAppendWriter(OpenAsync);
    }

    /// <summary>Creates a store on a shared in-memory database: every store of the same name in the process sees the same data.</summary>
    /// <param name="name">The database's name.</param>
    /// <returns>The store; the database lives until every store on it is disposed.</returns>
    public static SqliteSessionStore InMemory(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new SqliteSessionStore(new SqliteConnectionStringBuilder { DataSource = name, Mode = SqliteOpenMode.Memory, Cache = SqliteCacheMode.Shared }.ToString());
    }

    /// <summary>Gets the transactions the append writer has committed, for tests of the grouping.</summary>
    internal long AppendCommits => _appends.Commits;

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (_initialized)
        {
            return;
        }

        await _initializing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            if (!_isFile)
            {
                _keepAlive ??= await OpenCoreAsync(cancellationToken).ConfigureAwait(false);
            }

            SqliteConnection connection = await OpenCoreAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                if (_isFile)
                {
                    await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken).ConfigureAwait(false);
                }

                using SqliteTransaction transaction = connection.BeginTransaction();
                long version = (long)(await ScalarAsync(connection, transaction, "PRAGMA user_version", cancellationToken).ConfigureAwait(false))!;
                if (version > SchemaVersion)
                {
                    throw new InvalidOperationException($"The session database has schema version {version}; this store knows versions up to {SchemaVersion}. Upgrade Strata.Sessions.");
                }

                if (version == 0)
                {
                    await ExecuteAsync(connection, transaction, Schema, cancellationToken).ConfigureAwait(false);
                }

                transaction.Commit();
            }

            _initialized = true;
        }
        finally
        {
            _initializing.Release();
        }
    }

    private static readonly string Schema = string.Create(CultureInfo.InvariantCulture, $"""
        CREATE TABLE sessions (
            id TEXT NOT NULL PRIMARY KEY,
            user_id TEXT NOT NULL,
            agent_id TEXT NOT NULL,
            title TEXT NOT NULL,
            status INTEGER NOT NULL,
            context TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            last_activity_at INTEGER NOT NULL,
            message_count INTEGER NOT NULL
        );
        CREATE INDEX ix_sessions_user ON sessions (user_id, last_activity_at DESC);
        CREATE INDEX ix_sessions_agent ON sessions (agent_id, last_activity_at DESC);
        CREATE INDEX ix_sessions_idle ON sessions (status, last_activity_at);
        CREATE TABLE messages (
            session_id TEXT NOT NULL REFERENCES sessions (id),
            sequence INTEGER NOT NULL,
            role INTEGER NOT NULL,
            content TEXT NOT NULL,
            metadata TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (session_id, sequence)
        );
        PRAGMA user_version = {SchemaVersion};
        """);

    /// <inheritdoc />
    public async Task InsertAsync(ChatSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using SqliteCommand command = Command(connection, null, $"INSERT INTO sessions ({Columns}) VALUES ($id, $user, $agent, $title, $status, $context, $created, $updated, $activity, $count)");
            command.Parameters.AddWithValue("$id", Text(session.Id));
            command.Parameters.AddWithValue("$user", session.UserId);
            command.Parameters.AddWithValue("$agent", session.AgentId);
            command.Parameters.AddWithValue("$title", session.Title);
            command.Parameters.AddWithValue("$status", (int)session.Status);
            command.Parameters.AddWithValue("$context", session.ContextJson);
            command.Parameters.AddWithValue("$created", session.CreatedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$updated", session.UpdatedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$activity", session.LastActivityAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$count", session.MessageCount);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<ChatSession?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await ReadSessionAsync(connection, null, id, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Appends go through one writer that commits all those queued meanwhile in one transaction (see the class
    /// remarks); the message limit stays exact, and the task completes once its message is committed.
    /// </remarks>
    public Task<ChatSession?> AddMessageAsync(Guid id, MessageRole role, string content, string metadataJson, DateTimeOffset now, int maxMessages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(metadataJson);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        return _appends.AddAsync(id, role, content, metadataJson, now, maxMessages, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ChatSession?> MergeContextAsync(Guid id, JsonObject patch, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
            ChatSession? current = await ReadSessionAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false);
            if (current is null || current.Status == SessionStatus.Deleted)
            {
                return null;
            }

            ChatSession? updated;
            using (SqliteCommand update = Command(connection, transaction, $"UPDATE sessions SET context = $context, updated_at = $now, last_activity_at = $now WHERE id = $id RETURNING {Columns}"))
            {
                update.Parameters.AddWithValue("$id", Text(id));
                update.Parameters.AddWithValue("$context", JsonObjects.Merge(current.ContextJson, patch));
                update.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
                updated = await ReadOneAsync(update, cancellationToken).ConfigureAwait(false);
            }

            transaction.Commit();
            return updated;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionRef>> SetStatusAsync(IReadOnlyCollection<Guid> ids, SessionStatus status, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var changed = new List<SessionRef>(ids.Count);
        SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
            using SqliteCommand update = Command(connection, transaction, $"UPDATE sessions SET status = $status, updated_at = $now WHERE id = $id AND {NotDeleted} AND status <> $status RETURNING id, user_id, agent_id");
            update.Parameters.AddWithValue("$status", (int)status);
            update.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            SqliteParameter idParameter = update.Parameters.Add("$id", SqliteType.Text);
            foreach (Guid id in ids)
            {
                idParameter.Value = Text(id);
                await ReadRefsAsync(update, changed, cancellationToken).ConfigureAwait(false);
            }

            transaction.Commit();
        }

        return changed;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionRef>> ArchiveIdleAsync(DateTimeOffset idleSince, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var archived = new List<SessionRef>();
        SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using SqliteCommand update = Command(connection, null, "UPDATE sessions SET status = 2, updated_at = $now WHERE status IN (0, 1) AND last_activity_at < $since RETURNING id, user_id, agent_id");
            update.Parameters.AddWithValue("$since", idleSince.ToUnixTimeMilliseconds());
            update.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            await ReadRefsAsync(update, archived, cancellationToken).ConfigureAwait(false);
        }

        return archived;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionMessage>> ListMessagesAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var messages = new List<SessionMessage>();
        SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using SqliteCommand query = Command(connection, null, "SELECT sequence, role, content, metadata, created_at FROM messages WHERE session_id = $id ORDER BY sequence");
            query.Parameters.AddWithValue("$id", Text(id));
            SqliteDataReader reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    messages.Add(new SessionMessage(reader.GetInt32(0), (MessageRole)reader.GetInt32(1), reader.GetString(2), reader.GetString(3), Time(reader.GetInt64(4))));
                }
            }
        }

        return messages;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ChatSession>> ListByUserAsync(string userId, bool activeOnly, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return ListAsync(
            $"SELECT {Columns} FROM sessions WHERE user_id = $user AND {(activeOnly ? "status = 0" : NotDeleted)} {Order}",
            command => command.Parameters.AddWithValue("$user", userId),
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<SessionPage> PageByUserAsync(string userId, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using SqliteTransaction transaction = connection.BeginTransaction(deferred: true); // the count and the page from one snapshot
            using SqliteCommand count = Command(connection, transaction, $"SELECT COUNT(*) FROM sessions WHERE user_id = $user AND {NotDeleted}");
            count.Parameters.AddWithValue("$user", userId);
            int total = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            using SqliteCommand query = Command(connection, transaction, $"SELECT {Columns} FROM sessions WHERE user_id = $user AND {NotDeleted} {Order} LIMIT $limit OFFSET $offset");
            query.Parameters.AddWithValue("$user", userId);
            query.Parameters.AddWithValue("$limit", pageSize);
            query.Parameters.AddWithValue("$offset", (long)(page - 1) * pageSize);
            var items = new List<ChatSession>(Math.Min(pageSize, 64));
            await ReadAllAsync(query, items, cancellationToken).ConfigureAwait(false);
            transaction.Commit();
            return new SessionPage(items, page, pageSize, total);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ChatSession>> SearchAsync(string userId, string text, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentException.ThrowIfNullOrEmpty(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        string pattern = "%" + EscapeLike(text) + "%";
        return ListAsync(
            $"""
            SELECT {Columns} FROM sessions s WHERE user_id = $user AND {NotDeleted}
            AND (title LIKE $pattern ESCAPE '\' OR EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id AND m.content LIKE $pattern ESCAPE '\'))
            {Order} LIMIT $limit
            """,
            command =>
            {
                command.Parameters.AddWithValue("$user", userId);
                command.Parameters.AddWithValue("$pattern", pattern);
                command.Parameters.AddWithValue("$limit", limit);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ChatSession>> ListByAgentAsync(string agentId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agentId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ListAsync(
            $"SELECT {Columns} FROM sessions WHERE agent_id = $agent AND {NotDeleted} {Order} LIMIT $limit",
            command =>
            {
                command.Parameters.AddWithValue("$agent", agentId);
                command.Parameters.AddWithValue("$limit", limit);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<SessionStatistics> GetStatisticsAsync(string userId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using SqliteCommand query = Command(connection, null, $"SELECT COUNT(*), COALESCE(SUM(status = 0), 0), COALESCE(SUM(message_count), 0) FROM sessions WHERE user_id = $user AND {NotDeleted}");
            query.Parameters.AddWithValue("$user", userId);
            SqliteDataReader reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return new SessionStatistics(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt64(2));
            }
        }
    }

    /// <summary>Takes no more writes and closes the connection that keeps an in-memory database alive; appends already queued are still written.</summary>
    public void Dispose()
    {
        _ = _appends.CompleteAsync();
        _keepAlive?.Dispose();
        _keepAlive = null;
        _initializing.Dispose();
    }

    private async Task<IReadOnlyList<ChatSession>> ListAsync(string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        var sessions = new List<ChatSession>();
        SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using SqliteCommand query = Command(connection, null, sql);
            bind(query);
            await ReadAllAsync(query, sessions, cancellationToken).ConfigureAwait(false);
        }

        return sessions;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        return await OpenCoreAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<SqliteConnection> OpenCoreAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
