using System;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strata.Extensions;
using Strata.Tiering;

namespace Strata.SessionApi;

/// <summary>The <c>RateLimit</c> section: <see cref="PermitLimit"/> requests per <see cref="WindowSeconds"/> for each user.</summary>
internal sealed class RateLimitSettings
{
    public int PermitLimit { get; set; } = 100;

    public double WindowSeconds { get; set; } = 60;
}

/// <summary>
/// Per-user rate limiting through the Strata fixed-window limiter: <c>RateLimit:PermitLimit</c> requests per
/// <c>RateLimit:WindowSeconds</c> for each user, the bearer token's subject (a header cannot choose another budget),
/// counted in the cache so the limit holds across instances sharing Redis. A refused request gets 429, a
/// <c>Retry-After</c> header and a problem-details body.
/// </summary>
internal static class RateLimiting
{
    public const string PerUserPolicy = "per-user";

    public static IServiceCollection AddPerUserRateLimiting(this IServiceCollection services)
    {
        services.AddOptions<RateLimitSettings>()
            .BindConfiguration("RateLimit")
            .Validate(s => s.PermitLimit >= 1 && s.WindowSeconds > 0, "RateLimit:PermitLimit must be at least 1 and RateLimit:WindowSeconds positive.")
            .ValidateOnStart();
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(PerUserPolicy, context =>
            {
                string? user = context.User.FindFirst(Microsoft.IdentityModel.JsonWebTokens.JwtRegisteredClaimNames.Sub)?.Value;
                RateLimitSettings settings = context.RequestServices.GetRequiredService<IOptions<RateLimitSettings>>().Value;
                return StrataRateLimitPartition.GetFixedWindowLimiter(
                    string.IsNullOrEmpty(user) ? "anonymous" : user,
                    context.RequestServices.GetRequiredService<TieredCache>(),
                    _ => new StrataFixedWindowRateLimiterOptions { PermitLimit = settings.PermitLimit, Window = TimeSpan.FromSeconds(settings.WindowSeconds) });
            });
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                HttpContext http = rejected.HttpContext;
                RateLimitSettings settings = http.RequestServices.GetRequiredService<IOptions<RateLimitSettings>>().Value;
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan retryAfter))
                {
                    http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests.",
                        Detail = string.Create(CultureInfo.InvariantCulture, $"At most {settings.PermitLimit} requests per {settings.WindowSeconds} s per user; retry later."),
                    },
                });
            };
        });
        return services;
    }
}
