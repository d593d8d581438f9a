using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpLogging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Strata.SessionApi;

/// <summary>
/// How the service is hosted, the ASP.NET Core way: where it listens, what its logs look like, and how a bad setting
/// ends the start.
/// </summary>
internal static class ServiceHosting
{
    /// <summary>Where the service listens when nothing says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>
    /// Listens on <see cref="DefaultUrl"/> unless <c>ASPNETCORE_URLS</c>, <c>--urls</c>, a <c>Urls</c> setting,
    /// <c>ASPNETCORE_HTTP_PORTS</c> / <c>HTTPS_PORTS</c> or a <c>Kestrel:Endpoints</c> section chooses; logs one line per
    /// event with a UTC timestamp; logs each request (method, path, status, duration) when <c>RequestLogging</c> is true.
    /// </summary>
    public static void Configure(WebApplicationBuilder builder)
    {
        IConfiguration configuration = builder.Configuration;
        bool chosen = new[] { "urls", "http_ports", "https_ports" }.Any(key => !string.IsNullOrWhiteSpace(configuration[key]))
            || configuration.GetSection("Kestrel:Endpoints").Exists();
        if (!chosen)
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });

        if (RequestLogging(configuration))
        {
            builder.Services.AddHttpLogging(logging => logging.LoggingFields =
                HttpLoggingFields.RequestMethod | HttpLoggingFields.RequestPath | HttpLoggingFields.ResponseStatusCode | HttpLoggingFields.Duration);
            builder.Logging.AddFilter("Microsoft.AspNetCore.HttpLogging", LogLevel.Information);
        }
    }

    /// <summary>Adds the request log, when <see cref="Configure"/> registered it.</summary>
    public static void UseRequestLogging(WebApplication app)
    {
        if (RequestLogging(app.Configuration))
        {
            app.UseHttpLogging();
        }
    }

    /// <summary>
    /// The lines to print for a start stopped by bad settings: one per problem, no stack trace. Null for any other
    /// exception, which is not a configuration problem and keeps its stack.
    /// </summary>
    public static IReadOnlyList<string>? ConfigurationProblems(Exception exception) => exception switch
    {
        OptionsValidationException invalid => [.. invalid.Failures],
        AggregateException { InnerExceptions: var inner } when inner.All(e => e is OptionsValidationException) =>
            [.. inner.Cast<OptionsValidationException>().SelectMany(e => e.Failures)],
        _ => null,
    };

    /// <summary>Prints the problems of <see cref="ConfigurationProblems"/> to standard error; the exit code.</summary>
    public static int Report(IReadOnlyList<string> problems, TextWriter error)
    {
        error.WriteLine($"The Session API did not start: {problems.Count} setting{(problems.Count == 1 ? " is" : "s are")} not valid.");
        foreach (string problem in problems)
        {
            error.WriteLine(problem);
        }

        return 2;
    }

    private static bool RequestLogging(IConfiguration configuration) =>
        bool.TryParse(configuration["RequestLogging"], out bool on) && on;
}
