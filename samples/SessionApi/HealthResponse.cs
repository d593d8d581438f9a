using System;
using System.Collections.Generic;
using System.Globalization;
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
/// <c>redis_status</c> (<c>healthy</c>, <c>unhealthy</c>, <c>not_initialized</c>, <c>error</c>) is visible. Written
/// with <see cref="Utf8JsonWriter"/>, not the serializer: a check's data are objects of any type, which only
/// reflection could serialize; strings, numbers and switches are written as such, anything else as its text.
/// </summary>
internal static class HealthResponse
{
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        await using (var json = new Utf8JsonWriter(context.Response.BodyWriter, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteStartObject("checks");
            foreach (KeyValuePair<string, HealthReportEntry> entry in report.Entries)
            {
                json.WriteStartObject(entry.Key);
                json.WriteString("status", entry.Value.Status.ToString());
                json.WriteString("description", entry.Value.Description);
                json.WriteStartObject("data");
                foreach (KeyValuePair<string, object> datum in entry.Value.Data)
                {
                    WriteValue(json, datum.Key, datum.Value);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static void WriteValue(Utf8JsonWriter json, string name, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(name);
                break;
            case string text:
                json.WriteString(name, text);
                break;
            case bool flag:
                json.WriteBoolean(name, flag);
                break;
            case int or long or short or byte or uint or ulong or ushort or sbyte:
                json.WriteNumber(name, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double or float or decimal:
                json.WriteNumber(name, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case TimeSpan time:
                json.WriteNumber(name, time.TotalMilliseconds);
                break;
            default:
                json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
