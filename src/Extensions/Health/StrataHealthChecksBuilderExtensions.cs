using System;
using System.Collections.Generic;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Strata.Extensions;
using Strata.Tiering;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Strata's health check.</summary>
public static class StrataHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the cache <c>AddStrata</c> registered: Healthy, Degraded while Redis is down (reads served from
    /// L1), or <paramref name="failureStatus"/> when the cache cannot be used; with the data <c>redis_status</c>
    /// (<c>healthy</c>, <c>unhealthy</c>, <c>not_initialized</c>, <c>error</c>), <c>redis_ping_ms</c> and <c>hit_ratio</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default <c>strata</c>.</param>
    /// <param name="failureStatus">The status when the cache cannot be used; null for Unhealthy.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <param name="timeout">How long the check may take, or null for no limit of its own (the ping is bounded by the cache's operation timeout).</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddStrataHealthCheck(this IHealthChecksBuilder builder, string name = "strata", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return builder.Add(new HealthCheckRegistration(
            name, services => new StrataHealthCheck(services.GetRequiredService<TieredCache>()), failureStatus, tags, timeout));
    }

    /// <summary>
    /// Adds a readiness check of the cache <c>AddStrata</c> registered, for probes that must answer at once: it reads
    /// the connection and circuit-breaker state (<see cref="TieredCache.State"/>) and never calls Redis. Healthy when
    /// both tiers are in use or L1 alone is configured, Degraded while Redis is down or failing (the service still
    /// serves, from L1); with the data <c>state</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default <c>strata-ready</c>.</param>
    /// <param name="tags">Tags to filter checks by, such as <c>ready</c> for a readiness endpoint.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddStrataReadinessCheck(this IHealthChecksBuilder builder, string name = "strata-ready", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return builder.Add(new HealthCheckRegistration(
            name, services => new StrataReadinessCheck(services.GetRequiredService<TieredCache>()), failureStatus: null, tags));
    }
}
