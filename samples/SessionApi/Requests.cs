using System;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Sessions;

namespace Strata.SessionApi;

/// <summary>The body of <c>POST /sessions</c>; <c>userId</c> may be left out (the caller), and only an administrator may name another user.</summary>
internal sealed record CreateSessionRequest(string? UserId, string AgentId, string Title, JsonElement? Context);

/// <summary>The body of <c>POST /sessions/{id}/messages</c>; <c>role</c> is required (a missing one is not taken as <c>user</c>).</summary>
internal sealed record AddMessageRequest(MessageRole? Role, string Content, JsonElement? Metadata);

/// <summary>The body of <c>POST /sessions/status</c>; <c>status</c> is required (a missing one is not taken as <c>active</c>).</summary>
internal sealed record BulkStatusRequest(Guid[] SessionIds, SessionStatus? Status);

/// <summary>Checks of the request bodies that their types cannot express.</summary>
internal static class Required
{
    /// <summary>The value of a field the body must have.</summary>
    /// <exception cref="ArgumentException">The field is missing or null; the parameter is its JSON name.</exception>
    public static T Field<T>(T? value, string name)
        where T : struct =>
        value ?? throw new ArgumentException($"'{name}' is required.", name);

    /// <summary>
    /// A JSON object field as the repository takes it. Bodies bind such fields as <see cref="JsonElement"/>: the reader
    /// refuses a duplicate key with its path (a <see cref="JsonObject"/> threw an <see cref="ArgumentException"/> naming
    /// a parameter "key" instead).
    /// </summary>
    /// <exception cref="ArgumentException">The field is not an object; the parameter is its JSON name.</exception>
    public static JsonObject? Object(JsonElement? value, string name) => value switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.Object } element => JsonObject.Create(element),
        { } other => throw new ArgumentException($"'{name}' must be a JSON object, not {other.ValueKind}.", name),
    };
}

/// <summary>The answer of the bulk writes.</summary>
internal sealed record CountResponse(int Count);
