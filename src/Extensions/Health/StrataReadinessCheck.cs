using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Strata.Tiering;

namespace Strata.Extensions;

/// <summary>
/// Reports whether the cache can serve, from what it already knows: the state of its connection and circuit breaker
/// (<see cref="TieredCache.State"/>), never a round trip. Healthy when both tiers are in use or L1 alone is configured,
/// Degraded while Redis is down or failing (reads are served from L1). So it answers at once however Redis behaves,
/// as a readiness probe must; the full check
/// (<see cref="StrataHealthCheck"/>) pings Redis and can wait up to the cache's operation timeout.
/// </summary>
internal sealed class StrataReadinessCheck(TieredCache cache) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        TieredCacheState state = cache.State;
        var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["state"] = state.ToString() };
        return Task.FromResult(state switch
        {
            TieredCacheState.LocalOnly => HealthCheckResult.Healthy("In-process cache only: no Redis is configured.", data),
            TieredCacheState.Connected => HealthCheckResult.Healthy("L1 and Redis are in use.", data),
            _ => HealthCheckResult.Degraded($"Redis is {state.ToString().ToLowerInvariant()}: reads are served from L1 and writes land there.", data: data),
        });
    }
}
