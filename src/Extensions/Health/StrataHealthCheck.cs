using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Strata.Tiering;

namespace Strata.Extensions;

/// <summary>
/// Reports the cache's health: Healthy when both tiers answer (or L1 alone is configured), Degraded when Redis does
/// not answer and reads are served from L1, and the registration's failure status (Unhealthy by default) when the
/// cache itself cannot be used.
/// </summary>
/// <remarks>
/// The data carries the services' <c>redis_status</c>: <c>healthy</c> (connected and answering), <c>unhealthy</c>
/// (a connection error), <c>not_initialized</c> (no Redis configured) or <c>error</c> (an unexpected failure); and
/// <c>redis_ping_ms</c>, <c>hit_ratio</c>, <c>state</c> and <c>l1_entries</c>.
/// </remarks>
internal sealed class StrataHealthCheck(TieredCache cache) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        try
        {
            TimeSpan? ping = await cache.PingAsync(cancellationToken).ConfigureAwait(false); // throws once the cache is disposed
            TieredCacheStatistics statistics = cache.GetStatistics();
            data["hit_ratio"] = statistics.HitRatio;
            data["l1_entries"] = statistics.Local.Count;
            data["state"] = cache.State.ToString();
            if (cache.State == TieredCacheState.LocalOnly)
            {
                data["redis_status"] = "not_initialized";
                return HealthCheckResult.Healthy("In-process cache only: no Redis is configured.", data);
            }

            if (ping is { } latency)
            {
                data["redis_status"] = "healthy";
                data["redis_ping_ms"] = latency.TotalMilliseconds;
                return HealthCheckResult.Healthy("L1 and Redis answer.", data);
            }

            data["redis_status"] = "unhealthy";
            return HealthCheckResult.Degraded("Redis does not answer: reads are served from L1 and writes land there.", data: data);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            data["redis_status"] = "error";
            return new HealthCheckResult(context.Registration.FailureStatus, "The cache cannot be used.", ex, data);
        }
    }
}
