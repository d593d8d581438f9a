using System;
using System.Text.Json;
using System.Text.Json.Serialization;
using MemoryPack;

namespace Strata.Sessions;

/// <summary>
/// A chat session: a user talking to an agent. Immutable: the repository hands out the same instance to every reader of
/// the cache, and a write produces a new one.
/// </summary>
[MemoryPackable]
public sealed partial class ChatSession
{
    /// <summary>Creates a session as a store read it; <paramref name="contextJson"/> must be a JSON object.</summary>
    /// <exception cref="ArgumentException"><paramref name="contextJson"/> is not the text of a JSON object.</exception>
    [MemoryPackConstructor]
    public ChatSession(Guid id, string userId, string agentId, string title, SessionStatus status, string contextJson, DateTimeOffset createdAt, DateTimeOffset updatedAt, DateTimeOffset lastActivityAt, int messageCount)
    {
        Id = id;
        UserId = userId;
        AgentId = agentId;
        Title = title;
        Status = status;
        ContextJson = contextJson;
        Context = JsonObjects.ParseObject(contextJson, nameof(contextJson));
        CreatedAt = createdAt;
        UpdatedAt = updatedAt;
        LastActivityAt = lastActivityAt;
        MessageCount = messageCount;
    }

    /// <summary>Gets the session's id.</summary>
    public Guid Id { get; }

    /// <summary>Gets the id of the user who owns the session.</summary>
    public string UserId { get; }

    /// <summary>Gets the id of the agent the user talks to.</summary>
    public string AgentId { get; }

    /// <summary>Gets the title.</summary>
    public string Title { get; }

    /// <summary>Gets the status.</summary>
    public SessionStatus Status { get; }

    /// <summary>Gets the context: a JSON object the agent keeps across messages (the file being edited, the language, ...).</summary>
    [MemoryPackIgnore]
    public JsonElement Context { get; }

    /// <summary>Gets when the session was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Gets when the session last changed (a message, its context, its status).</summary>
    public DateTimeOffset UpdatedAt { get; }

    /// <summary>Gets when the session was last used (created or given a message); idle sessions are cleaned up from it.</summary>
    public DateTimeOffset LastActivityAt { get; }

    /// <summary>Gets the number of messages.</summary>
    public int MessageCount { get; }

    /// <summary>The context as stored: what the cache serializes.</summary>
    [MemoryPackInclude]
    [JsonIgnore]
    internal string ContextJson { get; }
}
