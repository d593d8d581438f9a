using System;
using System.IO;
using System.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Strata.Extensions;
using Strata.SessionApi;
using Strata.Sessions;
using Strata.Tiering;

// The sample service: chat sessions over REST. Embedded by default (Strata L1 in the process, SQLite in
// ./sessions.db); with REDIS_URL set, the cache is tiered, with the backplane keeping every instance's L1 coherent.
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
if (Authentication.Problems(builder.Configuration, builder.Environment) is { Count: > 0 } authProblems)
{
    return ServiceHosting.Report(authProblems, Console.Error);
}

if (args is ["token", string tokenUser, ..])
{
    // dotnet run --project samples/SessionApi -- token alice [admin]: a bearer token for the configured (or, in
    // Development, the development) key, valid for 12 hours.
    Console.WriteLine(Authentication.Mint(builder.Configuration, builder.Environment, tokenUser, admin: args.Contains("admin"), TimeSpan.FromHours(12)));
    return 0;
}

ServiceHosting.Configure(builder);
builder.AddBearerAuthentication();

builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<ApiExceptionHandler>();
builder.Services.ConfigureHttpJsonOptions(json =>
{
    json.SerializerOptions.WriteIndented = true;
    json.SerializerOptions.AllowDuplicateProperties = false;                                   // {"role":"user","role":"tool"} is refused
    json.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJson.Default);                   // no reflection: Native AOT ready
    json.SerializerOptions.Converters.Add(new JsonStringEnumConverter<MessageRole>(namingPolicy: null, allowIntegerValues: false)); // "role": 1 is refused: only the names
    json.SerializerOptions.Converters.Add(new JsonStringEnumConverter<SessionStatus>(namingPolicy: null, allowIntegerValues: false));
});

// A body that does not bind throws, in every environment, so that ApiExceptionHandler answers with the field and the
// reason (by default only Development does; elsewhere the answer was a bare "Bad Request").
builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);

builder.Services.AddStrata(strata => strata.Cache.Name = "session-api");
builder.Services.AddSessions();
builder.Services.AddHealthChecks()
    .AddStrataHealthCheck()                                // /health: pings Redis (bounded by the operation timeout)
    .AddStrataReadinessCheck(tags: [HealthEndpoints.Ready]); // /health/ready: the circuit's state only, never a round trip
builder.Services.AddPerUserRateLimiting();

// Metrics of the Strata meter, to the console or to an OTLP collector (OTEL_EXPORTER_OTLP_ENDPOINT) when asked for.
string? exporter = builder.Configuration["METRICS_EXPORTER"];
if (!string.IsNullOrWhiteSpace(exporter))
{
    bool otlp = exporter.Equals("otlp", StringComparison.OrdinalIgnoreCase);
    if (!otlp && !exporter.Equals("console", StringComparison.OrdinalIgnoreCase))
    {
        return ServiceHosting.Report([$"METRICS_EXPORTER must be 'console' or 'otlp'; it was '{exporter}'."], Console.Error);
    }

    builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
    {
        metrics.AddMeter(StrataTelemetry.MeterName);
        if (otlp)
        {
            metrics.AddOtlpExporter();
        }
        else
        {
            metrics.AddConsoleExporter();
        }
    });
}

WebApplication app = builder.Build();
ServiceHosting.UseRequestLogging(app);
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.MapSessionEndpoints();
app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthResponse.WriteAsync, Predicate = check => !check.Tags.Contains(HealthEndpoints.Ready) }).AllowAnonymous();
app.MapHealthChecks("/health/ready", new HealthCheckOptions { ResponseWriter = HealthResponse.WriteAsync, Predicate = check => check.Tags.Contains(HealthEndpoints.Ready) }).AllowAnonymous();
app.MapHealthChecks("/health/live", new HealthCheckOptions { ResponseWriter = HealthResponse.WriteAsync, Predicate = _ => false }).AllowAnonymous(); // the process answers

app.Lifetime.ApplicationStarted.Register(() =>
{
    TieredCache cache = app.Services.GetRequiredService<TieredCache>();
    SessionStoreOptions sessions = app.Services.GetRequiredService<IOptions<SessionStoreOptions>>().Value;
    app.Logger.LogInformation(
        "Session API ready: cache {Mode}, database {Database}, at most {MaxMessages} messages per session. Try: curl {Url}/health",
        cache.State == TieredCacheState.LocalOnly ? "L1 only (set REDIS_URL for Redis)" : $"tiered ({cache.State})",
        new SqliteConnectionStringBuilder(sessions.ConnectionString) is { Mode: not SqliteOpenMode.Memory } file ? Path.GetFullPath(file.DataSource) : sessions.ConnectionString,
        sessions.MaxMessages,
        app.Urls.Count > 0 ? string.Join(' ', app.Urls) : ServiceHosting.DefaultUrl);
});

try
{
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (ServiceHosting.ConfigurationProblems(ex) is { } problems)
{
    return ServiceHosting.Report(problems, Console.Error); // one line per bad setting, no stack trace
}

/// <summary>The entry point, visible to the integration tests' <c>WebApplicationFactory</c>.</summary>
public partial class Program;
