namespace Strata.Tiering;

/// <summary>How a <see cref="TieredCache"/> stands with its Redis tier.</summary>
public enum TieredCacheState
{
    /// <summary>No Redis is configured: the cache is its in-process tier alone.</summary>
    LocalOnly = 0,

    /// <summary>Redis answers; both tiers are in use.</summary>
    Connected = 1,

    /// <summary>Redis is connected but recently failed or timed out: calls skip it until the circuit closes again.</summary>
    Degraded = 2,

    /// <summary>Redis cannot be reached: reads are served from L1 and writes land in L1.</summary>
    Disconnected = 3,

    /// <summary>
    /// Redis is configured and the first connection is still being made (in the background): a Redis call waits for it
    /// for up to the operation timeout, then the cache behaves as <see cref="Disconnected"/>.
    /// </summary>
    Connecting = 4,
}
