using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;

namespace Strata.Sessions;

/// <summary>
/// The database under a <see cref="SessionRepository"/>: plain reads and atomic writes, no caching and no clock (times
/// are passed in). <see cref="SqliteSessionStore"/> is the default; another database implements the same operations.
/// </summary>
/// <remarks>
/// Soft-deleted sessions (<see cref="SessionStatus.Deleted"/>) are returned only by <see cref="GetAsync"/>; every list,
/// search and figure leaves them out, and no write changes them. Lists are ordered by last activity, the most recent
/// first, then by id.
/// </remarks>
public interface ISessionStore
{
    /// <summary>Creates the schema when the database has none, and checks its version otherwise.</summary>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>A task that completes when the store can be used.</returns>
    /// <exception cref="InvalidOperationException">The database has a schema of a later version than this store knows.</exception>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts a new session.</summary>
    /// <param name="session">The session, without messages.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>A task that completes when the session is stored.</returns>
    Task InsertAsync(ChatSession session, CancellationToken cancellationToken = default);

    /// <summary>Reads a session, soft-deleted or not.</summary>
    /// <param name="id">The session's id.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The session, or null when there is none with that id.</returns>
    Task<ChatSession?> GetAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>Appends a message to a session that is not deleted and has fewer than <paramref name="maxMessages"/>.</summary>
    /// <param name="id">The session's id.</param>
    /// <param name="role">Who wrote the message.</param>
    /// <param name="content">The text.</param>
    /// <param name="metadataJson">The metadata, the text of a JSON object.</param>
    /// <param name="now">The time of the message, and the session's new last activity.</param>
    /// <param name="maxMessages">The most messages a session may hold.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The session after the write, or null when there is no such session (or it is deleted).</returns>
    /// <exception cref="SessionMessageLimitException">The session holds <paramref name="maxMessages"/> messages already.</exception>
    Task<ChatSession?> AddMessageAsync(Guid id, MessageRole role, string content, string metadataJson, DateTimeOffset now, int maxMessages, CancellationToken cancellationToken = default);

    /// <summary>Merges <paramref name="patch"/> into a session's context: each of its properties replaces the same one.</summary>
    /// <param name="id">The session's id.</param>
    /// <param name="patch">The properties to set.</param>
    /// <param name="now">The time of the change.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The session after the write, or null when there is no such session (or it is deleted).</returns>
    Task<ChatSession?> MergeContextAsync(Guid id, JsonObject patch, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Sets the status of the sessions that exist, are not deleted and have another status.</summary>
    /// <param name="ids">The sessions' ids.</param>
    /// <param name="status">The new status; <see cref="SessionStatus.Deleted"/> soft-deletes.</param>
    /// <param name="now">The time of the change.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The sessions whose status changed.</returns>
    Task<IReadOnlyList<SessionRef>> SetStatusAsync(IReadOnlyCollection<Guid> ids, SessionStatus status, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Archives the active and completed sessions whose last activity is before <paramref name="idleSince"/>.</summary>
    /// <param name="idleSince">The cut-off.</param>
    /// <param name="now">The time of the change.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The sessions archived.</returns>
    Task<IReadOnlyList<SessionRef>> ArchiveIdleAsync(DateTimeOffset idleSince, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Reads a session's messages, the first one first.</summary>
    /// <param name="id">The session's id.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The messages; empty when there are none.</returns>
    Task<IReadOnlyList<SessionMessage>> ListMessagesAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>Lists a user's sessions.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="activeOnly">Whether to list only <see cref="SessionStatus.Active"/> sessions.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The sessions.</returns>
    Task<IReadOnlyList<ChatSession>> ListByUserAsync(string userId, bool activeOnly, CancellationToken cancellationToken = default);

    /// <summary>Reads one page of a user's sessions and their total.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="page">The page, from 1.</param>
    /// <param name="pageSize">The sessions per page.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The page.</returns>
    Task<SessionPage> PageByUserAsync(string userId, int page, int pageSize, CancellationToken cancellationToken = default);

    /// <summary>Finds a user's sessions whose title or any message contains <paramref name="text"/>, ignoring ASCII case.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="text">The text to find, taken literally (no wildcards).</param>
    /// <param name="limit">The most sessions to return.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The sessions found.</returns>
    Task<IReadOnlyList<ChatSession>> SearchAsync(string userId, string text, int limit, CancellationToken cancellationToken = default);

    /// <summary>Lists the sessions with an agent, of every user.</summary>
    /// <param name="agentId">The agent's id.</param>
    /// <param name="limit">The most sessions to return.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The sessions.</returns>
    Task<IReadOnlyList<ChatSession>> ListByAgentAsync(string agentId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Counts a user's sessions and messages.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The figures.</returns>
    Task<SessionStatistics> GetStatisticsAsync(string userId, CancellationToken cancellationToken = default);
}
