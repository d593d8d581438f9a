using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Strata.SessionApi;

/// <summary>
/// The body of <c>/health</c>: the overall status and each check with its data, so the Strata check's
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
