using System;
using System.Text.Json.Nodes;
using Strata.Sessions;

namespace Strata.SessionApi;

/// <summary>The body of <c>POST /sessions</c>.</summary>
internal sealed record CreateSessionRequest(string UserId, string AgentId, string Title, JsonObject? Context);

/// <summary>The body of <c>POST /sessions/{id}/messages</c>.</summary>
internal sealed record AddMessageRequest(MessageRole Role, string Content, JsonObject? Metadata);

/// <summary>The body of <c>POST /sessions/status</c>.</summary>
internal sealed record BulkStatusRequest(Guid[] SessionIds, SessionStatus Status);

/// <summary>The answer of the bulk writes.</summary>
internal sealed record CountResponse(int Count);
