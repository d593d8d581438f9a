namespace Strata.Tiering;

/// <summary>
/// The counters behind <see cref="TieredCacheStatistics"/> that no single part owns, bumped with
/// <see cref="System.Threading.Interlocked"/> by the parts that see the events and read with volatile reads for a
/// snapshot. The parts with state of their own keep their own counts (the circuit breaker its errors, the backplane its
/// messages, the repair drain its replays, L1 its hits and misses).
/// </summary>
internal sealed class TieredCounters
{
    internal long RemoteHits;
    internal long RemoteMisses;
    internal long DecodeErrors;
    internal long FailSafeHits;
    internal long FactoryRuns;
    internal long FactoryErrors;
    internal long FactoryFailSafeHits;
    internal long EagerRefreshes;
    internal long FactoryFillsDropped;
    internal long RemoteWritesTooLarge;
}
