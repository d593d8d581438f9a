using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using static Strata.Sessions.SqliteRows;

namespace Strata.Sessions;

/// <summary>
/// The single writer of <see cref="SqliteSessionStore.AddMessageAsync"/>: appends queue up while a commit is on disk,
/// and the next transaction takes all of them (up to <see cref="MaxBatch"/>), one after the other, then commits once.
/// </summary>
/// <remarks>
/// <para>
/// A commit costs a WAL write and its sync, whatever it holds; 32 callers that each commit their own message wait for
/// each other's syncs and for SQLite's busy retries. Grouped, they share one sync, and no two appends of this process
/// contend for the write lock.
/// </para>
/// <para>
/// The message limit stays exact: each append's <c>UPDATE ... WHERE message_count &lt; max</c> runs inside the
/// transaction after the ones before it, which it sees. A caller's task completes only once the transaction that holds
/// its message has committed, so an acknowledged append is on disk. When a grouped transaction fails, its appends are
/// written again one transaction each, so that one bad append fails alone.
/// </para>
/// </remarks>
internal sealed class SqliteAppendWriter
{
    /// <summary>The most appends in one transaction.</summary>
    internal const int MaxBatch = 256;

    private const string Increment = $"UPDATE sessions SET message_count = message_count + 1, updated_at = $now, last_activity_at = $now WHERE id = $id AND {SqliteSessionStore.NotDeleted} AND message_count < $max RETURNING {SqliteSessionStore.Columns}";
    private const string Insert = "INSERT INTO messages (session_id, sequence, role, content, metadata, created_at) VALUES ($id, $sequence, $role, $content, $metadata, $created)";

    private readonly Channel<Append> _queue = Channel.CreateUnbounded<Append>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<CancellationToken, Task<SqliteConnection>> _open;
    private readonly Task _loop;

    /// <summary>Starts the writer.</summary>
    /// <param name="open">Opens a connection to the initialized database; the writer keeps one open while it works.</param>
    internal SqliteAppendWriter(Func<CancellationToken, Task<SqliteConnection>> open)
    {
        _open = open;
        _loop = Task.Run(RunAsync);
    }

    private long _commits;

    /// <summary>Gets the number of transactions committed, for tests of the grouping.</summary>
    internal long Commits => Interlocked.Read(ref _commits);

    /// <summary>Queues an append; see <see cref="ISessionStore.AddMessageAsync"/>.</summary>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    internal Task<ChatSession?> AddAsync(Guid id, MessageRole role, string content, string metadataJson, DateTimeOffset now, int maxMessages, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var append = new Append(id, role, content, metadataJson, now.ToUnixTimeMilliseconds(), maxMessages, cancellationToken);
        if (!_queue.Writer.TryWrite(append))
        {
            throw new ObjectDisposedException(nameof(SqliteSessionStore));
        }

        return append.Completion.Task;
    }

    /// <summary>Takes no more appends; those queued are still written.</summary>
    /// <returns>The writer's end.</returns>
    internal Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        return _loop;
    }

    private async Task RunAsync()
    {
        SqliteConnection? connection = null;
        var batch = new List<Append>(MaxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out Append? append))
                {
                    if (append.CancellationToken.IsCancellationRequested)
                    {
                        append.Completion.TrySetCanceled(append.CancellationToken); // not begun: nothing was written
                    }
                    else
                    {
                        batch.Add(append);
                    }
                }

                if (batch.Count > 0)
                {
                    connection = await WriteBatchAsync(connection, batch).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            await CloseAsync(connection).ConfigureAwait(false);
        }
    }

    /// <summary>Writes a batch in one transaction, or, when that fails, each append in its own; completes every caller.</summary>
    /// <returns>The connection to keep for the next batch, or null when it was closed after a failure.</returns>
    private async Task<SqliteConnection?> WriteBatchAsync(SqliteConnection? connection, List<Append> batch)
    {
        try
        {
            connection ??= await _open(CancellationToken.None).ConfigureAwait(false);
            await WriteAsync(connection, batch).ConfigureAwait(false);
            Complete(batch);
            return connection;
        }
        catch (Exception) when (batch.Count > 1)
        {
            // Nothing of the batch was committed: write each alone, so only an append that fails by itself fails.
            await CloseAsync(connection).ConfigureAwait(false);
            connection = null;
            var single = new List<Append>(1);
            foreach (Append append in batch)
            {
                single.Clear();
                single.Add(append);
                connection = await WriteBatchAsync(connection, single).ConfigureAwait(false);
            }

            return connection;
        }
        catch (Exception ex)
        {
            await CloseAsync(connection).ConfigureAwait(false);
            batch[0].Completion.TrySetException(ex);
            return null;
        }
    }

    private static async Task CloseAsync(SqliteConnection? connection)
    {
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(SqliteConnection connection, List<Append> batch)
    {
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        using SqliteCommand increment = Command(connection, transaction, Increment);
        SqliteParameter incrementId = increment.Parameters.Add("$id", SqliteType.Text);
        SqliteParameter now = increment.Parameters.Add("$now", SqliteType.Integer);
        SqliteParameter max = increment.Parameters.Add("$max", SqliteType.Integer);
        using SqliteCommand insert = Command(connection, transaction, Insert);
        SqliteParameter insertId = insert.Parameters.Add("$id", SqliteType.Text);
        SqliteParameter sequence = insert.Parameters.Add("$sequence", SqliteType.Integer);
        SqliteParameter role = insert.Parameters.Add("$role", SqliteType.Integer);
        SqliteParameter content = insert.Parameters.Add("$content", SqliteType.Text);
        SqliteParameter metadata = insert.Parameters.Add("$metadata", SqliteType.Text);
        SqliteParameter created = insert.Parameters.Add("$created", SqliteType.Integer);
        foreach (Append append in batch)
        {
            incrementId.Value = insertId.Value = Text(append.Id);
            now.Value = created.Value = append.Now;
            max.Value = append.MaxMessages;
            ChatSession? updated = await ReadOneAsync(increment, CancellationToken.None).ConfigureAwait(false);
            append.Error = null;
            append.Session = updated;
            if (updated is null)
            {
                ChatSession? current = await ReadSessionAsync(connection, transaction, append.Id, CancellationToken.None).ConfigureAwait(false);
                append.Error = current is null || current.Status == SessionStatus.Deleted ? null : new SessionMessageLimitException(append.Id, append.MaxMessages);
                continue;
            }

            sequence.Value = updated.MessageCount;
            role.Value = (int)append.Role;
            content.Value = append.Content;
            metadata.Value = append.MetadataJson;
            await insert.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }

        transaction.Commit();
        Interlocked.Increment(ref _commits);
    }

    private static void Complete(List<Append> batch)
    {
        foreach (Append append in batch)
        {
            if (append.Error is { } error)
            {
                append.Completion.TrySetException(error);
            }
            else
            {
                append.Completion.TrySetResult(append.Session);
            }
        }
    }

    private sealed class Append(Guid id, MessageRole role, string content, string metadataJson, long now, int maxMessages, CancellationToken cancellationToken)
    {
        public Guid Id { get; } = id;

        public MessageRole Role { get; } = role;

        public string Content { get; } = content;

        public string MetadataJson { get; } = metadataJson;

        public long Now { get; } = now;

        public int MaxMessages { get; } = maxMessages;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<ChatSession?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ChatSession? Session { get; set; }

        public Exception? Error { get; set; }
    }
}
