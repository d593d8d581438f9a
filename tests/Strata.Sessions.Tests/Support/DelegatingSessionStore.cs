using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;

namespace Strata.Sessions.Tests.Support;

/// <summary>A store that forwards every call to another, for tests that need to slow down or hold one of them.</summary>
internal class DelegatingSessionStore(ISessionStore inner) : ISessionStore
{
    public virtual Task InitializeAsync(CancellationToken cancellationToken = default) => inner.InitializeAsync(cancellationToken);

    public virtual Task InsertAsync(ChatSession session, CancellationToken cancellationToken = default) => inner.InsertAsync(session, cancellationToken);

    public virtual Task<ChatSession?> GetAsync(Guid id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

    public virtual Task<ChatSession?> AddMessageAsync(Guid id, MessageRole role, string content, string metadataJson, DateTimeOffset now, int maxMessages, CancellationToken cancellationToken = default) =>
        inner.AddMessageAsync(id, role, content, metadataJson, now, maxMessages, cancellationToken);

    public virtual Task<ChatSession?> MergeContextAsync(Guid id, JsonObject patch, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        inner.MergeContextAsync(id, patch, now, cancellationToken);

    public virtual Task<IReadOnlyList<SessionRef>> SetStatusAsync(IReadOnlyCollection<Guid> ids, SessionStatus status, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        inner.SetStatusAsync(ids, status, now, cancellationToken);

    public virtual Task<IReadOnlyList<SessionRef>> ArchiveIdleAsync(DateTimeOffset idleSince, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        inner.ArchiveIdleAsync(idleSince, now, cancellationToken);

    public virtual Task<IReadOnlyList<SessionMessage>> ListMessagesAsync(Guid id, CancellationToken cancellationToken = default) => inner.ListMessagesAsync(id, cancellationToken);

    public virtual Task<IReadOnlyList<ChatSession>> ListByUserAsync(string userId, bool activeOnly, CancellationToken cancellationToken = default) =>
        inner.ListByUserAsync(userId, activeOnly, cancellationToken);

    public virtual Task<SessionPage> PageByUserAsync(string userId, int page, int pageSize, CancellationToken cancellationToken = default) =>
        inner.PageByUserAsync(userId, page, pageSize, cancellationToken);

    public virtual Task<IReadOnlyList<ChatSession>> SearchAsync(string userId, string text, int limit, CancellationToken cancellationToken = default) =>
        inner.SearchAsync(userId, text, limit, cancellationToken);

    public virtual Task<IReadOnlyList<ChatSession>> ListByAgentAsync(string agentId, int limit, CancellationToken cancellationToken = default) =>
        inner.ListByAgentAsync(agentId, limit, cancellationToken);

    public virtual Task<SessionStatistics> GetStatisticsAsync(string userId, CancellationToken cancellationToken = default) =>
        inner.GetStatisticsAsync(userId, cancellationToken);
}
