using MemoryPack;

namespace Strata.Sessions;

/// <summary>A user's session figures; soft-deleted sessions are not counted.</summary>
[MemoryPackable]
public sealed partial class SessionStatistics
{
    /// <summary>Creates the figures.</summary>
    [MemoryPackConstructor]
    public SessionStatistics(int totalSessions, int activeSessions, long totalMessages)
    {
        TotalSessions = totalSessions;
        ActiveSessions = activeSessions;
        TotalMessages = totalMessages;
    }

    /// <summary>Gets the number of sessions.</summary>
    public int TotalSessions { get; }

    /// <summary>Gets the number of sessions whose status is <see cref="SessionStatus.Active"/>.</summary>
    public int ActiveSessions { get; }

    /// <summary>Gets the number of messages over all sessions.</summary>
    public long TotalMessages { get; }

    /// <summary>Gets the average number of messages per session: 0 without sessions.</summary>
    [MemoryPackIgnore]
    public double AverageMessagesPerSession => TotalSessions == 0 ? 0 : (double)TotalMessages / TotalSessions;
}
