using System;
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
/// The REST endpoints: one per <see cref="SessionRepository"/> operation. Unknown sessions answer 404, a full session
/// 409, bad input 400 with a problem-details body (see <see cref="ApiExceptionHandler"/>), and every route is rate
/// limited per user (<c>X-User-Id</c>).
/// </summary>
internal static class SessionEndpoints
{
    public static void MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder sessions = app.MapGroup("/sessions").RequireRateLimiting(RateLimiting.PerUserPolicy);
        sessions.MapPost("/", async Task<Created<ChatSession>> (CreateSessionRequest request, SessionRepository repository, CancellationToken cancellationToken) =>
        {
            ChatSession session = await repository.CreateAsync(request.UserId, request.AgentId, request.Title, Required.Object(request.Context, "context"), cancellationToken);
            return TypedResults.Created($"/sessions/{session.Id}", session);
        });
        sessions.MapGet("/{id:guid}", async Task<Results<Ok<ChatSession>, NotFound>> (Guid id, bool? includeDeleted, SessionRepository repository, CancellationToken cancellationToken) =>
            Found(await repository.GetAsync(id, includeDeleted ?? false, cancellationToken)));
        sessions.MapGet("/{id:guid}/messages", async Task<Results<Ok<SessionWithMessages>, NotFound>> (Guid id, SessionRepository repository, CancellationToken cancellationToken) =>
            Found(await repository.GetSessionWithMessagesAsync(id, cancellationToken)));
        sessions.MapPost("/{id:guid}/messages", async Task<Results<Ok<ChatSession>, NotFound>> (Guid id, AddMessageRequest request, SessionRepository repository, CancellationToken cancellationToken) =>
            Found(await repository.AddMessageAsync(id, Required.Field(request.Role, "role"), request.Content, Required.Object(request.Metadata, "metadata"), cancellationToken)));
        sessions.MapPatch("/{id:guid}/context", async Task<Results<Ok<ChatSession>, NotFound>> (Guid id, JsonElement context, SessionRepository repository, CancellationToken cancellationToken) =>
            Found(await repository.UpdateContextAsync(id, Required.Object(context, "context") ?? throw new ArgumentException("'context' must be a JSON object, not null.", "context"), cancellationToken)));
        sessions.MapDelete("/{id:guid}", async Task<Results<NoContent, NotFound>> (Guid id, SessionRepository repository, CancellationToken cancellationToken) =>
            await repository.DeleteAsync(id, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound());
        sessions.MapPost("/status", async (BulkStatusRequest request, SessionRepository repository, CancellationToken cancellationToken) =>
            TypedResults.Ok(new CountResponse(await repository.BulkUpdateStatusAsync(request.SessionIds, Required.Field(request.Status, "status"), cancellationToken))));
        sessions.MapPost("/cleanup", async (SessionRepository repository, CancellationToken cancellationToken) =>
            TypedResults.Ok(new CountResponse(await repository.CleanupExpiredSessionsAsync(cancellationToken))));

        RouteGroupBuilder users = app.MapGroup("/users/{userId}").RequireRateLimiting(RateLimiting.PerUserPolicy);
        users.MapGet("/sessions", async (string userId, bool? activeOnly, SessionRepository repository, CancellationToken cancellationToken) =>
            TypedResults.Ok(await repository.GetUserSessionsAsync(userId, activeOnly ?? false, cancellationToken)));
        users.MapGet("/sessions/page", async (string userId, int? page, int? pageSize, SessionRepository repository, CancellationToken cancellationToken) =>
            TypedResults.Ok(await repository.GetPaginatedUserSessionsAsync(userId, page ?? 1, pageSize ?? 10, cancellationToken)));
        users.MapGet("/sessions/search", async (string userId, string? q, int? limit, SessionRepository repository, CancellationToken cancellationToken) =>
            TypedResults.Ok(await repository.SearchSessionsAsync(userId, q!, limit ?? 50, cancellationToken)));
        users.MapGet("/sessions/recent", async (string userId, double? hours, SessionRepository repository, CancellationToken cancellationToken) =>
            TypedResults.Ok(await repository.GetRecentSessionsAsync(userId, Hours(hours ?? 24), cancellationToken)));
        users.MapGet("/stats", async (string userId, SessionRepository repository, CancellationToken cancellationToken) =>
            TypedResults.Ok(await repository.GetSessionStatisticsAsync(userId, cancellationToken)));

        app.MapGet("/agents/{agentId}/sessions", async (string agentId, int? limit, SessionRepository repository, CancellationToken cancellationToken) =>
            TypedResults.Ok(await repository.GetSessionsByAgentAsync(agentId, limit ?? 50, cancellationToken)))
            .RequireRateLimiting(RateLimiting.PerUserPolicy);
    }

    private static Results<Ok<T>, NotFound> Found<T>(T? value) where T : class =>
        value is null ? TypedResults.NotFound() : TypedResults.Ok(value);

    private static TimeSpan Hours(double hours) =>
        hours > 0 && hours <= 24 * 366 ? TimeSpan.FromHours(hours) : throw new ArgumentOutOfRangeException(nameof(hours), hours, "hours must be more than 0 and at most 8784.");
}
