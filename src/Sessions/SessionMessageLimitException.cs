using System;

namespace Strata.Sessions;

/// <summary>
/// A message was refused because its session holds the most messages allowed (<see cref="SessionStoreOptions.MaxMessages"/>,
/// <c>SESSION_MAX_MESSAGES</c>). Start a new session, or raise the limit.
/// </summary>
public sealed class SessionMessageLimitException : InvalidOperationException
{
    /// <summary>Creates the exception for a session and its limit.</summary>
    /// <param name="sessionId">The session's id.</param>
    /// <param name="maxMessages">The limit it reached.</param>
    public SessionMessageLimitException(Guid sessionId, int maxMessages)
        : base($"Session {sessionId} holds {maxMessages} messages, the most allowed (SESSION_MAX_MESSAGES); start a new session or raise the limit.")
    {
        SessionId = sessionId;
        MaxMessages = maxMessages;
    }

    /// <summary>Gets the session's id.</summary>
    public Guid SessionId { get; }

    /// <summary>Gets the limit the session reached.</summary>
    public int MaxMessages { get; }
}
