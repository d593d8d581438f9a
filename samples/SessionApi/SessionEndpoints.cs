using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Strata.Sessions;

namespace Strata.SessionApi;

/// <summary>
/// The REST endpoints: one per <see cref="SessionRepository"/> operation. Every route needs a bearer token
/// (<see cref="Authentication"/>); a caller reaches only their own sessions and lists, and another user's answer 404,
/// as if they did not exist; an administrator reaches all, and alone may list an agent's sessions or run the cleanup.
/// Unknown sessions answer 404, a full session 409, bad input 400 with a problem-details body (see
/// <see cref="ApiExceptionHandler"/>), and every route is rate limited per user.
/// </summary>
internal static class SessionEndpoints
{
    public static void MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder sessions = app.MapGroup("/sessions").RequireAuthorization().RequireRateLimiting(RateLimiting.PerUserPolicy);
        sessions.MapPost("/", async Task<Results<Created<ChatSession>, ProblemHttpResult>> (CreateSessionRequest request, HttpContext http, SessionRepository repository, CancellationToken cancellationToken) =>
        {
            if (request.UserId is { Length: > 0 } owner && owner != http.UserId() && !http.IsAdmin())
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "A session is created for its caller.", detail: "userId, when given, must be the token's subject.");
            }

            ChatSession session = await repository.CreateAsync(request.UserId ?? http.UserId(), request.AgentId, request.Title, Required.Object(request.Context, "context"), cancellationToken);
            return TypedResults.Created($"/sessions/{session.Id}", session);
        });
        sessions.MapGet("/{id:guid}", async Task<Results<Ok<ChatSession>, NotFound>> (Guid id, bool? includeDeleted, HttpContext http, SessionRepository repository, CancellationToken cancellationToken) =>
            Found(await OwnedAsync(id, http, repository, cancellationToken, includeDeleted ?? false)));
        sessions.MapGet("/{id:guid}/messages", async Task<Results<Ok<SessionWithMessages>, NotFound>> (Guid id, HttpContext http, SessionRepository repository, CancellationToken cancellationToken) =>
            Found(await OwnedAsync(id, http, repository, cancellationToken) is null ? null : await repository.GetSessionWithMessagesAsync(id, cancellationToken)));
        sessions.MapPost("/{id:guid}/messages", async Task<Results<Ok<ChatSession>, NotFound>> (Guid id, AddMessageRequest request, HttpContext http, SessionRepository repository, CancellationToken cancellationToken) =>
        {
            MessageRole role = Required.Field(request.Role, "role");
            return Found(await OwnedAsync(id, http, repository, cancellationToken) is null
                ? null
                : await repository.AddMessageAsync(id, role, request.Content, Required.Object(request.Metadata, "metadata"), cancellationToken));
        });
        sessions.MapPatch("/{id:guid}/context", async Task<Results<Ok<ChatSession>, NotFound>> (Guid id, JsonElement context, HttpContext http, SessionRepository repository, CancellationToken cancellationToken) =>
        {
            var patch = Required.Object(context, "context") ?? throw new ArgumentException("'context' must be a JSON object, not null.", "context");
            return Found(await OwnedAsync(id, http, repository, cancellationToken) is null ? null : await repository.UpdateContextAsync(id, patch, cancellationToken));
        });
        sessions.MapDelete("/{id:guid}", async Task<Results<NoContent, NotFound>> (Guid id, HttpContext http, SessionRepository repository, CancellationToken cancellationToken) =>
            await OwnedAsync(id, http, repository, cancellationToken) is not null && await repository.DeleteAsync(id, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound());
        sessions.MapPost("/status", async (BulkStatusRequest request, HttpContext http, SessionRepository repository, CancellationToken cancellationToken) =>
        {
            SessionStatus status = Required.Field(request.Status, "status");
            return TypedResults.Ok(new CountResponse(await repository.BulkUpdateStatusAsync(await OwnedIdsAsync(request.SessionIds, http, repository, cancellationToken), status, cancellationToken)));
        });
        sessions.MapPost("/cleanup", async (SessionRepository repository, CancellationToken cancellationToken) =>
            TypedResults.Ok(new CountResponse(await repository.CleanupExpiredSessionsAsync(cancellationToken))))
            .RequireAuthorization(Authentication.AdminPolicy);

        RouteGroupBuilder users = app.MapGroup("/users/{userId}").RequireAuthorization().RequireRateLimiting(RateLimiting.PerUserPolicy);
        users.MapGet("/sessions", async Task<Results<Ok<IReadOnlyList<ChatSession>>, NotFound>> (string userId, bool? activeOnly, HttpContext http, SessionRepository repository, CancellationToken cancellationToken) =>
            Mine(userId, http) ? TypedResults.Ok(await repository.GetUserSessionsAsync(userId, activeOnly ?? false, cancellationToken)) : TypedResults.NotFound());
        users.MapGet("/sessions/page", async Task<Results<Ok<SessionPage>, NotFound>> (string userId, int? page, int? pageSize, HttpContext http, SessionRepository repository, CancellationToken cancellationToken) =>
            Mine(userId, http) ? TypedResults.Ok(await repository.GetPaginatedUserSessionsAsync(userId, page ?? 1, pageSize ?? 10, cancellationToken)) : TypedResults.NotFound());
        users.MapGet("/sessions/search", async Task<Results<Ok<IReadOnlyList<ChatSession>>, NotFound>> (string userId, string? q, int? limit, HttpContext http, SessionRepository repository, CancellationToken cancellationToken) =>
            Mine(userId, http) ? TypedResults.Ok(await repository.SearchSessionsAsync(userId, q!, limit ?? 50, cancellationToken)) : TypedResults.NotFound());
        users.MapGet("/sessions/recent", async Task<Results<Ok<IReadOnlyList<ChatSession>>, NotFound>> (string userId, double? hours, HttpContext http, SessionRepository repository, CancellationToken cancellationToken) =>
            Mine(userId, http) ? TypedResults.Ok(await repository.GetRecentSessionsAsync(userId, Hours(hours ?? 24), cancellationToken)) : TypedResults.NotFound());
        users.MapGet("/stats", async Task<Results<Ok<SessionStatistics>, NotFound>> (string userId, HttpContext http, SessionRepository repository, CancellationToken cancellationToken) =>
            Mine(userId, http) ? TypedResults.Ok(await repository.GetSessionStatisticsAsync(userId, cancellationToken)) : TypedResults.NotFound());

        app.MapGet("/agents/{agentId}/sessions", async (string agentId, int? limit, SessionRepository repository, CancellationToken cancellationToken) =>
            TypedResults.Ok(await repository.GetSessionsByAgentAsync(agentId, limit ?? 50, cancellationToken)))
            .RequireAuthorization(Authentication.AdminPolicy)
            .RequireRateLimiting(RateLimiting.PerUserPolicy);
    }

    /// <summary>The session when the caller may see it (theirs, or the caller is an administrator); null as for a missing one.</summary>
    private static async Task<ChatSession?> OwnedAsync(Guid id, HttpContext http, SessionRepository repository, CancellationToken cancellationToken, bool includeDeleted = false)
    {
        ChatSession? session = await repository.GetAsync(id, includeDeleted, cancellationToken);
        return session is not null && (session.UserId == http.UserId() || http.IsAdmin()) ? session : null;
    }

    /// <summary>The ids of a bulk change the caller may change; the others are left out, as missing ones are.</summary>
    private static async Task<Guid[]> OwnedIdsAsync(Guid[]? ids, HttpContext http, SessionRepository repository, CancellationToken cancellationToken)
    {
        if (ids is null || ids.Length > SessionRepository.MaxBulkSize || http.IsAdmin())
        {
            return ids!; // the repository refuses a missing or oversized list, naming it
        }

        var owned = new List<Guid>(ids.Length);
        foreach (Guid id in ids)
        {
            if (await OwnedAsync(id, http, repository, cancellationToken, includeDeleted: true) is not null)
            {
                owned.Add(id);
            }
        }

        return [.. owned];
    }

    /// <summary>Whether the caller may read <paramref name="userId"/>'s lists: their own, or the caller is an administrator.</summary>
    private static bool Mine(string userId, HttpContext http) => userId == http.UserId() || http.IsAdmin();

    private static Results<Ok<T>, NotFound> Found<T>(T? value) where T : class =>
        value is null ? TypedResults.NotFound() : TypedResults.Ok(value);

    private static TimeSpan Hours(double hours) =>
        hours > 0 && hours <= 24 * 366 ? TimeSpan.FromHours(hours) : throw new ArgumentOutOfRangeException(nameof(hours), hours, "hours must be more than 0 and at most 8784.");
}
