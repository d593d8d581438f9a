using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using MemoryPack.Formatters;
using Strata.Tiering;

namespace Strata.Sessions;

/// <summary>
/// Chat sessions and their messages: the database (an <see cref="ISessionStore"/>) for the truth, a Strata cache for
/// the reads.
/// </summary>
/// <remarks>
/// <para>
/// Every read goes through the cache namespace <c>sessions</c> with get-or-set, so concurrent misses of one key run one
/// query per process, and with Redis behind the cache, one instance's query serves the others. Keys:
/// <c>s:{id}</c> (a session), <c>m:{id}</c> (with its messages), and the user's and agent's lists, pages, searches and
/// figures, which carry the tag <c>u:{user}</c> or <c>a:{agent}</c>. The variable part of a key comes last (or is
/// length-prefixed), so no user id, however written, can make two keys meet.
/// </para>
/// <para>
/// Every write changes the database first, then removes exactly what it made stale: the two keys of each session it
/// changed, and the tags of their users and agents. The removals go to both tiers and, through the backplane, to
/// every instance's L1, so a read after a write returns the write on this instance at once and on the others once the
/// invalidation is delivered. A write whose database change fails removes nothing; one whose Redis removal fails still
/// cleared this instance's L1 (see <see cref="TieredCache"/> on fail-safe).
/// </para>
/// <para>
/// A read that queried the database before a write and finishes after the write's invalidation returns what it read
/// to its callers but does not cache it (the cache's get-or-set drops a fill overtaken by an invalidation on the same
/// instance). Not covered: such a read on another instance, when the invalidation reaches that instance after the read
/// stored its answer (a window of one backplane delivery, well under a millisecond on loopback); the stale answer then
/// lives until the next write or <see cref="SessionStoreOptions.CacheTimeToLive"/>. Tags need a single Redis server
/// (or none): on a Redis Cluster the cached reads throw <see cref="NotSupportedException"/>.
/// </para>
/// </remarks>
public sealed class SessionRepository
{
    /// <summary>The cache namespace of the reads.</summary>
    public const string CacheNamespaceName = "sessions";

    /// <summary>The largest page size <see cref="GetPaginatedUserSessionsAsync"/> accepts.</summary>
    public const int MaxPageSize = 100;

    /// <summary>The most ids <see cref="BulkUpdateStatusAsync"/> accepts in one call.</summary>
    public const int MaxBulkSize = 1000;

    /// <summary>The longest user id, agent id, title or search text accepted, in chars.</summary>
    public const int MaxIdLength = 256;

    /// <summary>The longest message accepted, in chars.</summary>
    public const int MaxContentLength = 100_000;

    /// <summary>
    /// The deepest nesting a context or a message's metadata may have (the object itself is depth 1). Far below the 64
    /// that JSON readers and writers allow by default, so that a stored value always fits in the responses and cache
    /// entries that nest it further: what is accepted can always be read back.
    /// </summary>
    public const int MaxJsonDepth = 32;

    /// <summary>The longest context or metadata accepted, in chars of its JSON text (after a merge, for a context).</summary>
    public const int MaxJsonLength = 32 * 1024;

    private const int MaxListLimit = 1000;

    private readonly ISessionStore _store;
    private readonly CacheNamespace _namespace;
    private readonly TimeProvider _time;
    private readonly int _maxMessages;
    private readonly TimeSpan _idleExpiry;

    /// <summary>
    /// Registers, before any value is cached, the MemoryPack formatters of everything the repository caches: its
    /// <c>[MemoryPackable]</c> types and the lists of them. MemoryPack would otherwise find or make some of them by
    /// reflection, which a Native AOT build cannot do (a session's messages failed there, as "can not found
    /// RegisterFormatter"); registered by name, each is compiled ahead of time, and a JIT build writes the same bytes.
    /// </summary>
    static SessionRepository()
    {
        MemoryPackFormatterProvider.Register(new MemoryPackableFormatter<ChatSession>());
        MemoryPackFormatterProvider.Register(new MemoryPackableFormatter<SessionMessage>());
        MemoryPackFormatterProvider.Register(new MemoryPackableFormatter<SessionWithMessages>());
        MemoryPackFormatterProvider.Register(new MemoryPackableFormatter<SessionPage>());
        MemoryPackFormatterProvider.Register(new MemoryPackableFormatter<SessionStatistics>());
        MemoryPackFormatterProvider.Register(new InterfaceReadOnlyListFormatter<ChatSession>());
        MemoryPackFormatterProvider.Register(new InterfaceReadOnlyListFormatter<SessionMessage>());
    }

    /// <summary>Creates a repository over a store and a cache.</summary>
    /// <param name="store">The database.</param>
    /// <param name="cache">The cache; its namespace <see cref="CacheNamespaceName"/> is used, with <see cref="SessionStoreOptions.CacheTimeToLive"/>.</param>
    /// <param name="options">The settings; null for the defaults.</param>
    /// <param name="timeProvider">The clock of the sessions' times and of the cleanup; null for the system clock.</param>
    /// <exception cref="ArgumentException">A setting is out of range, or the cache has a <c>sessions</c> namespace with another time to live.</exception>
    public SessionRepository(ISessionStore store, TieredCache cache, SessionStoreOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(cache);
        options ??= new SessionStoreOptions();
        options.Validate();
        _store = store;
        _namespace = cache.Namespace(CacheNamespaceName, options.CacheTimeToLive);
        _time = timeProvider ?? TimeProvider.System;
        _maxMessages = options.MaxMessages;
        _idleExpiry = options.IdleExpiry;
    }

    /// <summary>Gets the most messages a session may hold.</summary>
    public int MaxMessages => _maxMessages;

    /// <summary>Creates an active session.</summary>
    /// <param name="userId">The owner's id.</param>
    /// <param name="agentId">The agent's id.</param>
    /// <param name="title">The title.</param>
    /// <param name="context">The initial context; null for an empty object.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The session.</returns>
    /// <exception cref="ArgumentException">An id or the title is empty or longer than <see cref="MaxIdLength"/>, or the context is deeper than <see cref="MaxJsonDepth"/> or longer than <see cref="MaxJsonLength"/>.</exception>
    public async Task<ChatSession> CreateAsync(string userId, string agentId, string title, JsonObject? context = null, CancellationToken cancellationToken = default)
    {
        CheckId(userId, nameof(userId));
        CheckId(agentId, nameof(agentId));
        CheckId(title, nameof(title));
        DateTimeOffset now = DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds()); // as the database keeps it
        var session = new ChatSession(Guid.CreateVersion7(now), userId, agentId, title, SessionStatus.Active, JsonObjects.ToText(context, nameof(context)), now, now, now, 0);
        await _store.InsertAsync(session, cancellationToken).ConfigureAwait(false);
        await InvalidateAsync([new SessionRef(session.Id, userId, agentId)]).ConfigureAwait(false);
        return session;
    }

    /// <summary>Reads a session.</summary>
    /// <param name="sessionId">The session's id.</param>
    /// <param name="includeDeleted">Whether a soft-deleted session is returned too.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The session, or null.</returns>
    public async Task<ChatSession?> GetAsync(Guid sessionId, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        ChatSession? session = await _namespace.GetOrSetAsync<(ISessionStore Store, Guid Id), ChatSession?>(SessionKey(sessionId), (Store: _store, Id: sessionId), static async (_, state, context, token) =>
        {
            ChatSession? found = await state.Store.GetAsync(state.Id, token).ConfigureAwait(false);
            if (found is null)
            {
                context.DoNotCache(); // an unknown id is not remembered: nothing would invalidate it
            }

            return found;
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return session is not null && (includeDeleted || session.Status != SessionStatus.Deleted) ? session : null;
    }

    /// <summary>Reads a session that is not deleted, with its messages.</summary>
    /// <param name="sessionId">The session's id.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The session and its messages, or null.</returns>
    public Task<SessionWithMessages?> GetSessionWithMessagesAsync(Guid sessionId, CancellationToken cancellationToken = default) =>
        _namespace.GetOrSetAsync<(ISessionStore Store, Guid Id), SessionWithMessages?>(MessagesKey(sessionId), (Store: _store, Id: sessionId), static async (_, state, context, token) =>
        {
            ChatSession? session = await state.Store.GetAsync(state.Id, token).ConfigureAwait(false);
            if (session is null || session.Status == SessionStatus.Deleted)
            {
                context.DoNotCache();
                return null;
            }

            return new SessionWithMessages(session, await state.Store.ListMessagesAsync(state.Id, token).ConfigureAwait(false));
        }, cancellationToken: cancellationToken).AsTask();

    /// <summary>Appends a message to a session that is not deleted.</summary>
    /// <param name="sessionId">The session's id.</param>
    /// <param name="role">Who wrote it.</param>
    /// <param name="content">The text: not empty, at most <see cref="MaxContentLength"/> chars.</param>
    /// <param name="metadata">The metadata; null for an empty object.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The session after the message, or null when there is no such session.</returns>
    /// <exception cref="SessionMessageLimitException">The session holds <see cref="MaxMessages"/> messages already.</exception>
    /// <exception cref="ArgumentException">The content is empty or too long, the role is not defined, or the metadata is deeper than <see cref="MaxJsonDepth"/> or longer than <see cref="MaxJsonLength"/>.</exception>
    public async Task<ChatSession?> AddMessageAsync(Guid sessionId, MessageRole role, string content, JsonObject? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(content);
        if (content.Length > MaxContentLength)
        {
            throw new ArgumentException($"A message holds at most {MaxContentLength} chars; this one has {content.Length}.", nameof(content));
        }

        if (!Enum.IsDefined(role))
        {
            throw new ArgumentOutOfRangeException(nameof(role), role, "Not a message role.");
        }

        ChatSession? session = await _store.AddMessageAsync(sessionId, role, content, JsonObjects.ToText(metadata, nameof(metadata)), _time.GetUtcNow(), _maxMessages, cancellationToken).ConfigureAwait(false);
        if (session is not null)
        {
            await InvalidateAsync([Ref(session)]).ConfigureAwait(false);
        }

        return session;
    }

    /// <summary>Merges properties into a session's context: each one given replaces (or adds) the same property.</summary>
    /// <param name="sessionId">The session's id.</param>
    /// <param name="context">The properties to set.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The session after the change, or null when there is no such session (or it is deleted).</returns>
    /// <exception cref="ArgumentException">The properties, or the context they make, are deeper than <see cref="MaxJsonDepth"/> or longer than <see cref="MaxJsonLength"/>; nothing is changed.</exception>
    public async Task<ChatSession?> UpdateContextAsync(Guid sessionId, JsonObject context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        _ = JsonObjects.ToText(context, nameof(context)); // the patch alone within the limits; the store checks the merge
        ChatSession? session = await _store.MergeContextAsync(sessionId, context, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (session is not null)
        {
            await InvalidateAsync([Ref(session)]).ConfigureAwait(false);
        }

        return session;
    }

    /// <summary>Lists a user's sessions, the most recently active first.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="activeOnly">Whether to list only active sessions.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The sessions.</returns>
    public Task<IReadOnlyList<ChatSession>> GetUserSessionsAsync(string userId, bool activeOnly = false, CancellationToken cancellationToken = default)
    {
        CheckId(userId, nameof(userId));
        return UserListAsync(userId, activeOnly, cancellationToken).AsTask();
    }

    /// <summary>Reads one page of a user's sessions, the most recently active first.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="page">The page, from 1.</param>
    /// <param name="pageSize">The sessions per page, from 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The page, with the total count and the number of pages.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The page is below 1, or the page size is out of range.</exception>
    public Task<SessionPage> GetPaginatedUserSessionsAsync(string userId, int page = 1, int pageSize = 10, CancellationToken cancellationToken = default)
    {
        CheckId(userId, nameof(userId));
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxPageSize);
        string key = string.Create(CultureInfo.InvariantCulture, $"page:{pageSize}:{page}:{userId}");
        return _namespace.GetOrSetAsync(key, (Store: _store, User: userId, Page: page, Size: pageSize), static (_, state, _, token) =>
            new ValueTask<SessionPage>(state.Store.PageByUserAsync(state.User, state.Page, state.Size, token)), UserTag(userId), cancellationToken).AsTask();
    }

    /// <summary>Finds a user's sessions whose title or any message contains <paramref name="text"/> (ASCII case ignored).</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="text">The text, taken literally: not empty, at most <see cref="MaxIdLength"/> chars.</param>
    /// <param name="limit">The most sessions to return, from 1 to 1,000.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The sessions found, the most recently active first.</returns>
    public Task<IReadOnlyList<ChatSession>> SearchSessionsAsync(string userId, string text, int limit = 50, CancellationToken cancellationToken = default)
    {
        CheckId(userId, nameof(userId));
        CheckId(text, nameof(text));
        CheckLimit(limit);
        string key = string.Create(CultureInfo.InvariantCulture, $"search:{limit}:{userId.Length}:{userId}{text}");
        return _namespace.GetOrSetAsync(key, (Store: _store, User: userId, Text: text, Limit: limit), static (_, state, _, token) =>
            new ValueTask<IReadOnlyList<ChatSession>>(state.Store.SearchAsync(state.User, state.Text, state.Limit, token)), UserTag(userId), cancellationToken).AsTask();
    }

    /// <summary>Lists a user's sessions active within the last <paramref name="window"/>, the most recent first.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="window">How far back to look: positive.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The sessions.</returns>
    /// <remarks>Filtered from the user's cached list at the time of the call, so it is exact however old the list is.</remarks>
    public async Task<IReadOnlyList<ChatSession>> GetRecentSessionsAsync(string userId, TimeSpan window, CancellationToken cancellationToken = default)
    {
        CheckId(userId, nameof(userId));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        DateTimeOffset since = _time.GetUtcNow() - window;
        IReadOnlyList<ChatSession> all = await UserListAsync(userId, activeOnly: false, cancellationToken).ConfigureAwait(false);
        var recent = new List<ChatSession>();
        foreach (ChatSession session in all)
        {
            if (session.LastActivityAt < since)
            {
                break; // the list is ordered by last activity, the most recent first
            }

            recent.Add(session);
        }

        return recent;
    }

    /// <summary>Lists the sessions with an agent, of every user, the most recently active first.</summary>
    /// <param name="agentId">The agent's id.</param>
    /// <param name="limit">The most sessions to return, from 1 to 1,000.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The sessions.</returns>
    public Task<IReadOnlyList<ChatSession>> GetSessionsByAgentAsync(string agentId, int limit = 50, CancellationToken cancellationToken = default)
    {
        CheckId(agentId, nameof(agentId));
        CheckLimit(limit);
        string key = string.Create(CultureInfo.InvariantCulture, $"agent:{limit}:{agentId}");
        return _namespace.GetOrSetAsync(key, (Store: _store, Agent: agentId, Limit: limit), static (_, state, _, token) =>
            new ValueTask<IReadOnlyList<ChatSession>>(state.Store.ListByAgentAsync(state.Agent, state.Limit, token)), AgentTag(agentId), cancellationToken).AsTask();
    }

    /// <summary>Counts a user's sessions (all and active) and messages.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The figures.</returns>
    public Task<SessionStatistics> GetSessionStatisticsAsync(string userId, CancellationToken cancellationToken = default)
    {
        CheckId(userId, nameof(userId));
        return _namespace.GetOrSetAsync("stats:" + userId, (Store: _store, User: userId), static (_, state, _, token) =>
            new ValueTask<SessionStatistics>(state.Store.GetStatisticsAsync(state.User, token)), UserTag(userId), cancellationToken).AsTask();
    }

    /// <summary>
    /// Archives the active and completed sessions idle for longer than <see cref="SessionStoreOptions.IdleExpiry"/>
    /// (<c>SESSION_EXPIRY_HOURS</c>). Meant for a scheduled job (see <see cref="SessionStoreOptions.CleanupInterval"/>).
    /// </summary>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The number of sessions archived.</returns>
    public async Task<int> CleanupExpiredSessionsAsync(CancellationToken cancellationToken = default)
    {
        DateTimeOffset now = _time.GetUtcNow();
        IReadOnlyList<SessionRef> archived = await _store.ArchiveIdleAsync(now - _idleExpiry, now, cancellationToken).ConfigureAwait(false);
        await InvalidateAsync(archived).ConfigureAwait(false);
        return archived.Count;
    }

    /// <summary>Sets the status of many sessions at once; deleted sessions are left alone.</summary>
    /// <param name="sessionIds">The sessions' ids: at most <see cref="MaxBulkSize"/>.</param>
    /// <param name="status">The new status; <see cref="SessionStatus.Deleted"/> soft-deletes.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>The number of sessions whose status changed.</returns>
    /// <exception cref="ArgumentException">Too many ids, or the status is not defined.</exception>
    public async Task<int> BulkUpdateStatusAsync(IReadOnlyCollection<Guid> sessionIds, SessionStatus status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionIds);
        if (sessionIds.Count > MaxBulkSize)
        {
            throw new ArgumentException($"At most {MaxBulkSize} sessions per call; {sessionIds.Count} were given.", nameof(sessionIds));
        }

        if (!Enum.IsDefined(status))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "Not a session status.");
        }

        IReadOnlyList<SessionRef> changed = await _store.SetStatusAsync(sessionIds, status, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        await InvalidateAsync(changed).ConfigureAwait(false);
        return changed.Count;
    }

    /// <summary>Soft-deletes a session: it stays in the database, hidden from every read but <see cref="GetAsync"/> with <c>includeDeleted</c>.</summary>
    /// <param name="sessionId">The session's id.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <returns>Whether a session was deleted (false: none, or deleted already).</returns>
    public async Task<bool> DeleteAsync(Guid sessionId, CancellationToken cancellationToken = default) =>
        await BulkUpdateStatusAsync([sessionId], SessionStatus.Deleted, cancellationToken).ConfigureAwait(false) == 1;

    private ValueTask<IReadOnlyList<ChatSession>> UserListAsync(string userId, bool activeOnly, CancellationToken cancellationToken) =>
        _namespace.GetOrSetAsync((activeOnly ? "active:" : "all:") + userId, (Store: _store, User: userId, ActiveOnly: activeOnly), static (_, state, _, token) =>
            new ValueTask<IReadOnlyList<ChatSession>>(state.Store.ListByUserAsync(state.User, state.ActiveOnly, token)), UserTag(userId), cancellationToken);

    /// <summary>
    /// Removes what writes to <paramref name="changed"/> made stale, through the namespace in one round trip: each
    /// session's keys, and the values tagged with each user and agent. Not cancellable: the database has the write, and a
    /// caller who stops waiting must not leave the cache stale.
    /// </summary>
    private async Task InvalidateAsync(IReadOnlyList<SessionRef> changed)
    {
        if (changed.Count == 0)
        {
            return;
        }

        var keys = new List<string>(changed.Count * 2);
        var tags = new HashSet<string>(StringComparer.Ordinal);
        foreach (SessionRef session in changed)
        {
            keys.Add(SessionKey(session.Id));
            keys.Add(MessagesKey(session.Id));
            tags.Add(UserTagName(session.UserId));
            tags.Add(AgentTagName(session.AgentId));
        }

        await _namespace.InvalidateAsync(keys, [.. tags], CancellationToken.None).ConfigureAwait(false);
    }

    private static SessionRef Ref(ChatSession session) => new(session.Id, session.UserId, session.AgentId);

    private static string SessionKey(Guid id) => "s:" + id.ToString("N");

    private static string MessagesKey(Guid id) => "m:" + id.ToString("N");

    private static string UserTagName(string userId) => "u:" + userId;

    private static string AgentTagName(string agentId) => "a:" + agentId;

    private static CacheEntryOptions UserTag(string userId) => new() { Tags = { UserTagName(userId) } };

    private static CacheEntryOptions AgentTag(string agentId) => new() { Tags = { AgentTagName(agentId) } };

    private static void CheckId(string value, string parameterName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, parameterName);
        if (value.Length > MaxIdLength)
        {
            throw new ArgumentException($"At most {MaxIdLength} chars are accepted; {value.Length} were given.", parameterName);
        }
    }

    private static void CheckLimit(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxListLimit);
    }
}
