using System;

namespace Strata.Sessions;

/// <summary>Which session a write changed, and whose: what the repository needs to invalidate its cached reads.</summary>
/// <param name="Id">The session's id.</param>
/// <param name="UserId">The owner's id.</param>
/// <param name="AgentId">The agent's id.</param>
public readonly record struct SessionRef(Guid Id, string UserId, string AgentId);
