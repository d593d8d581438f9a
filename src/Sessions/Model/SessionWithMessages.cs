using System.Collections.Generic;
using MemoryPack;

namespace Strata.Sessions;

/// <summary>A chat session and its messages, in order.</summary>
[MemoryPackable]
public sealed partial class SessionWithMessages
{
    /// <summary>Creates a session with its messages.</summary>
    [MemoryPackConstructor]
    public SessionWithMessages(ChatSession session, IReadOnlyList<SessionMessage> messages)
    {
        Session = session;
        Messages = messages;
    }

    /// <summary>Gets the session.</summary>
    public ChatSession Session { get; }

    /// <summary>Gets the messages, the first one first.</summary>
    public IReadOnlyList<SessionMessage> Messages { get; }
}
