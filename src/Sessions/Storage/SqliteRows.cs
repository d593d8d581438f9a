using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;

namespace Strata.Sessions;

/// <summary>
/// The row side of <see cref="SqliteSessionStore"/>: commands on its connections, sessions and references read from
/// rows, and how ids, times and search text are written into SQL parameters.
/// </summary>
internal static class SqliteRows
{
    internal static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // the SQL is the store's constants; every value is a parameter
        command.CommandText = sql;
#pragma warning restore CA2100
        return command;
    }

    internal static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        using SqliteCommand command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<object?> ScalarAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        using SqliteCommand command = Command(connection, transaction, sql);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<ChatSession?> ReadSessionAsync(SqliteConnection connection, SqliteTransaction? transaction, Guid id, CancellationToken cancellationToken)
    {
        using SqliteCommand query = Command(connection, transaction, $"SELECT {SqliteSessionStore.Columns} FROM sessions WHERE id = $id");
        query.Parameters.AddWithValue("$id", Text(id));
        return await ReadOneAsync(query, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<ChatSession?> ReadOneAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadSession(reader) : null;
        }
    }

    internal static async Task ReadAllAsync(SqliteCommand command, List<ChatSession> into, CancellationToken cancellationToken)
    {
        SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                into.Add(ReadSession(reader));
            }
        }
    }

    internal static async Task ReadRefsAsync(SqliteCommand command, List<SessionRef> into, CancellationToken cancellationToken)
    {
        SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                into.Add(new SessionRef(Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2)));
            }
        }
    }

    internal static ChatSession ReadSession(SqliteDataReader reader) => new(
        Guid.Parse(reader.GetString(0)),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        (SessionStatus)reader.GetInt32(4),
        reader.GetString(5),
        Time(reader.GetInt64(6)),
        Time(reader.GetInt64(7)),
        Time(reader.GetInt64(8)),
        reader.GetInt32(9));

    internal static string Text(Guid id) => id.ToString("D");

    internal static DateTimeOffset Time(long unixMilliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds);

    /// <summary>Makes <paramref name="text"/> literal inside a <c>LIKE ... ESCAPE '\'</c> pattern.</summary>
    internal static string EscapeLike(string text)
    {
        var escaped = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (c is '%' or '_' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
