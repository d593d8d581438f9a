using System;
using Strata.Tiering;

namespace Strata.Extensions;

/// <summary>
/// The settings of <see cref="TieredCacheOptions"/> a configuration section can hold: the strings, numbers, switches
/// and times. The section is bound to this plain type rather than to the options themselves, so that the
/// configuration binding source generator (no reflection, safe under Native AOT and trimming) has nothing to walk
/// into: the options also hold a serializer, JSON options, a logger, a time provider and a weigher, which only code can
/// supply.
/// </summary>
/// <remarks>
/// The settings start as a copy of the options and go back onto them after binding, so a key the section does not
/// have leaves what the code (or the environment variables read before) had set.
/// </remarks>
internal sealed class CacheSettings
{
    public string? Redis { get; set; }

    public string KeyPrefix { get; set; } = "";

    public TimeSpan? DefaultTimeToLive { get; set; }

    public int? LocalMaxEntries { get; set; }

    public long? LocalMaxWeight { get; set; }

    public TimeSpan? LocalTimeToLive { get; set; }

    public int? LocalConcurrencyLevel { get; set; }

    public int? CompressionThreshold { get; set; }

    public TimeSpan? FailSafeMaxDuration { get; set; }

    public TimeSpan CircuitBreakDuration { get; set; }

    public TimeSpan OperationTimeout { get; set; }

    public bool Backplane { get; set; }

    public string Name { get; set; } = "";

    internal static CacheSettings From(TieredCacheOptions options) => new()
    {
        Redis = options.Redis,
        KeyPrefix = options.KeyPrefix,
        DefaultTimeToLive = options.DefaultTimeToLive,
        LocalMaxEntries = options.LocalMaxEntries,
        LocalMaxWeight = options.LocalMaxWeight,
        LocalTimeToLive = options.LocalTimeToLive,
        LocalConcurrencyLevel = options.LocalConcurrencyLevel,
        CompressionThreshold = options.CompressionThreshold,
        FailSafeMaxDuration = options.FailSafeMaxDuration,
        CircuitBreakDuration = options.CircuitBreakDuration,
        OperationTimeout = options.OperationTimeout,
        Backplane = options.Backplane,
        Name = options.Name,
    };

    internal void CopyTo(TieredCacheOptions options)
    {
        options.Redis = Redis;
        options.KeyPrefix = KeyPrefix;
        options.DefaultTimeToLive = DefaultTimeToLive;
        options.LocalMaxEntries = LocalMaxEntries;
        options.LocalMaxWeight = LocalMaxWeight;
        options.LocalTimeToLive = LocalTimeToLive;
        options.LocalConcurrencyLevel = LocalConcurrencyLevel;
        options.CompressionThreshold = CompressionThreshold;
        options.FailSafeMaxDuration = FailSafeMaxDuration;
        options.CircuitBreakDuration = CircuitBreakDuration;
        options.OperationTimeout = OperationTimeout;
        options.Backplane = Backplane;
        options.Name = Name;
    }
}
