using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Strata.SessionApi;

/// <summary>The health endpoints: <c>/health</c> (every check but readiness), <c>/health/ready</c> and <c>/health/live</c>.</summary>
internal static class HealthEndpoints
{
    /// <summary>The tag of the checks <c>/health/ready</c> runs: they answer from state, without I/O.</summary>
    public const string Ready = "ready";
}

/// <summary>
/// The body of the health endpoints: the overall status and each check with its data, so the Strata check's
/// <c>redis_status</c> (<c>healthy</c>, <c>unhealthy</c>, <c>not_initialized</c>, <c>error</c>) is visible.
/// </summary>
internal static class HealthResponse
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new
                {
                    status = entry.Value.Status.ToString(),
                    description = entry.Value.Description,
                    data = entry.Value.Data,
                }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, s_json));
    }
}
