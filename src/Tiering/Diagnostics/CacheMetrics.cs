using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Strata.Tiering;

/// <summary>
/// The instruments of one <see cref="Meter"/> named <see cref="StrataTelemetry.MeterName"/>, shared by every cache
/// that publishes through it.
/// </summary>
/// <remarks>
/// A meter holds one instrument per name, so the caches register here and each observable instrument reports all of
/// them, told apart by the <c>cache</c> tag. Observation reads the caches' snapshots when a collector asks; nothing is
/// recorded on the read or write paths. Caches are held weakly: one that is dropped undisposed stops being reported
/// when it is collected, as its L1 sweep does.
/// </remarks>
internal sealed class CacheMetrics
{
    private const string L1 = "l1";
    private const string L2 = "l2";

    private static readonly Lazy<CacheMetrics> s_shared = new(() => new CacheMetrics(new Meter(StrataTelemetry.MeterName, Version)));
    private static readonly ConditionalWeakTable<Meter, CacheMetrics> s_byMeter = new();
    private static readonly string? Version = typeof(CacheMetrics).Assembly.GetName().Version?.ToString();

    private readonly Lock _gate = new();
    private readonly List<WeakReference<TieredCache>> _caches = [];

    private CacheMetrics(Meter meter)
    {
        RemoteDuration = meter.CreateHistogram(
            "strata.cache.l2.duration", unit: "s", description: "Duration of Redis round trips.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });

        Counter(meter, "strata.cache.hits", "{hit}", "Reads answered, per tier.", static (s, m) =>
        {
            m.Add(L1, s.Local.Hits);
            m.AddRemote(L2, s.RemoteHits);
        });
        Counter(meter, "strata.cache.misses", "{miss}", "Reads not answered, per tier.", static (s, m) =>
        {
            m.Add(L1, s.Local.Misses);
            m.AddRemote(L2, s.RemoteMisses);
        });
        Counter(meter, "strata.cache.sets", "{set}", "Values written to L1.", static (s, m) => m.Add(L1, s.Local.Sets));
        Counter(meter, "strata.cache.removals", "{removal}", "Values removed from L1 by a caller or an invalidation.", static (s, m) => m.Add(L1, s.Local.Removals));
        Counter(meter, "strata.cache.evictions", "{eviction}", "Values evicted from L1 by its bound.", static (s, m) => m.Add(L1, s.Local.Evictions));
        Counter(meter, "strata.cache.expirations", "{expiration}", "Values expired from L1.", static (s, m) => m.Add(L1, s.Local.Expirations));
        Counter(meter, "strata.cache.l2.errors", "{error}", "Redis calls that failed, timed out or were skipped while the circuit was open.", static (s, m) => m.AddRemote(L2, s.RemoteErrors));
        meter.CreateObservableCounter("strata.cache.backplane.messages", () => Observe(static (cache, list) =>
        {
            TieredCacheStatistics s = cache.GetStatistics();
            list.Add(new Measurement<long>(s.InvalidationsSent, new("cache", cache.Name), new("direction", "sent")));
            list.Add(new Measurement<long>(s.InvalidationsReceived, new("cache", cache.Name), new("direction", "received")));
        }), "{message}", "Invalidation messages sent to and received from the other instances.");

        NamespaceCounter(meter, "strata.cache.namespace.hits", "{hit}", "Reads answered, per namespace (either tier).", static s => s.Hits);
        NamespaceCounter(meter, "strata.cache.namespace.misses", "{miss}", "Reads not answered, per namespace.", static s => s.Misses);
        NamespaceCounter(meter, "strata.cache.namespace.sets", "{set}", "Values written, per namespace.", static s => s.Sets);

        meter.CreateObservableGauge("strata.cache.entries", () => Observe(static (cache, list) =>
            list.Add(new Measurement<long>(cache.GetStatistics().Local.Count, new("cache", cache.Name), new("tier", L1)))), "{entry}", "Entries held in L1.");
        meter.CreateObservableGauge("strata.cache.weight", () => Observe(static (cache, list) =>
            list.Add(new Measurement<long>(cache.GetStatistics().Local.Weight, new("cache", cache.Name), new("tier", L1)))), "{weight}", "Total weight of L1's entries, as its weigher measures it.");
    }

    /// <summary>Gets the histogram of Redis round trips.</summary>
    internal Histogram<double> RemoteDuration { get; }

    /// <summary>The instruments of <paramref name="factory"/>'s Strata meter, or of the process-wide one when null.</summary>
    internal static CacheMetrics For(IMeterFactory? factory) =>
        factory is null
            ? s_shared.Value
            : s_byMeter.GetValue(factory.Create(new MeterOptions(StrataTelemetry.MeterName) { Version = Version }), static meter => new CacheMetrics(meter));

    internal void Register(TieredCache cache)
    {
        lock (_gate)
        {
            _caches.Add(new WeakReference<TieredCache>(cache));
        }
    }

    internal void Unregister(TieredCache cache)
    {
        lock (_gate)
        {
            _caches.RemoveAll(reference => !reference.TryGetTarget(out TieredCache? target) || ReferenceEquals(target, cache));
        }
    }

    private void Counter(Meter meter, string name, string unit, string description, Action<TieredCacheStatistics, TierMeasurements> observe) =>
        meter.CreateObservableCounter(name, () => Observe((cache, list) => observe(cache.GetStatistics(), new TierMeasurements(cache, list))), unit, description);

    private void NamespaceCounter(Meter meter, string name, string unit, string description, Func<NamespaceStatistics, long> read) =>
        meter.CreateObservableCounter(name, () => Observe((cache, list) =>
        {
            foreach (CacheNamespace ns in cache.Namespaces)
            {
                list.Add(new Measurement<long>(read(ns.GetStatistics()), new("cache", cache.Name), new("namespace", ns.Name)));
            }
        }), unit, description);

    /// <summary>The measurements of every live cache; prunes the collected ones.</summary>
    private List<Measurement<long>> Observe(Action<TieredCache, List<Measurement<long>>> observe)
    {
        var measurements = new List<Measurement<long>>();
        lock (_gate)
        {
            _caches.RemoveAll(static reference => !reference.TryGetTarget(out _));
            foreach (WeakReference<TieredCache> reference in _caches)
            {
                if (reference.TryGetTarget(out TieredCache? cache))
                {
                    observe(cache, measurements);
                }
            }
        }

        return measurements;
    }

    /// <summary>Adds one cache's measurements of a counter, tagged with its name and a tier.</summary>
    private readonly struct TierMeasurements(TieredCache cache, List<Measurement<long>> list)
    {
        internal void Add(string tier, long value) =>
            list.Add(new Measurement<long>(value, new("cache", cache.Name), new("tier", tier)));

        /// <summary>Adds a measurement of the Redis tier, which an L1-only cache does not have.</summary>
        internal void AddRemote(string tier, long value)
        {
            if (cache.State != TieredCacheState.LocalOnly)
            {
                Add(tier, value);
            }
        }
    }
}
