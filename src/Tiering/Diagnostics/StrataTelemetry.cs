namespace Strata.Tiering;

/// <summary>
/// The names under which Strata publishes its telemetry, for <c>AddMeter</c> and <c>AddSource</c> in OpenTelemetry or
/// for a <see cref="System.Diagnostics.Metrics.MeterListener"/> and an <see cref="System.Diagnostics.ActivityListener"/>.
/// </summary>
/// <remarks>
/// <para>
/// Metrics (meter <see cref="MeterName"/>; every measurement carries the tag <c>cache</c>, the cache's
/// <see cref="TieredCacheOptions.Name"/>). The counters are observed from the caches' own counters when a collector
/// asks, so they cost the hot path nothing:
/// </para>
/// <list type="bullet">
/// <item><c>strata.cache.hits</c>, <c>strata.cache.misses</c>: reads per tier (<c>tier</c> = <c>l1</c> or <c>l2</c>). An
/// L1 miss goes on to L2, so the cache's own misses are those of tier <c>l2</c> when Redis is configured.</item>
/// <item><c>strata.cache.sets</c>, <c>strata.cache.removals</c>, <c>strata.cache.evictions</c>,
/// <c>strata.cache.expirations</c>: L1 changes (<c>tier</c> = <c>l1</c>).</item>
/// <item><c>strata.cache.l2.errors</c>: Redis calls that failed, timed out or were skipped while the circuit was open.</item>
/// <item><c>strata.cache.backplane.messages</c>: invalidations (<c>direction</c> = <c>sent</c> or <c>received</c>).</item>
/// <item><c>strata.cache.namespace.hits</c>, <c>.misses</c>, <c>.sets</c>: per namespace (tag <c>namespace</c>), both tiers.</item>
/// <item><c>strata.cache.entries</c>, <c>strata.cache.weight</c>: gauges of L1 (<c>tier</c> = <c>l1</c>).</item>
/// <item><c>strata.cache.l2.duration</c>: a histogram of Redis round trips in seconds (tags <c>operation</c>, and
/// <c>error.type</c> when the call failed).</item>
/// </list>
/// <para>
/// Traces (activity source <see cref="ActivitySourceName"/>): a client span <c>strata.l2.{operation}</c> around every
/// Redis round trip and an internal span <c>strata.factory</c> around every get-or-set factory run; an L1 hit makes
/// no span.
/// </para>
/// </remarks>
public static class StrataTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/>: <c>Strata</c>.</summary>
    public const string MeterName = "Strata";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/>: <c>Strata</c>.</summary>
    public const string ActivitySourceName = "Strata";
}
