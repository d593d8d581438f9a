using System;

namespace Strata.Tiering;

/// <summary>
/// Tiers one call leaves out (<see cref="CacheEntryOptions.Flags"/>). A write that leaves a tier out removes the key's
/// older value from it, so that no tier keeps a value older than the one just written: leaving out L1 removes the
/// instance's copy, leaving out Redis removes the shared value and tells the other instances to drop theirs.
/// </summary>
[Flags]
public enum CacheEntryFlags
{
    /// <summary>Both tiers are read and written.</summary>
    None = 0,

    /// <summary>The call does not read L1: it asks Redis, or the factory.</summary>
    DisableLocalRead = 1,

    /// <summary>The call does not write L1 (a value read from Redis is not copied into it, and the key's L1 value is removed on a write).</summary>
    DisableLocalWrite = 2,

    /// <summary>The call neither reads nor writes L1.</summary>
    DisableLocal = DisableLocalRead | DisableLocalWrite,

    /// <summary>The call does not read Redis: an L1 miss goes to the factory.</summary>
    DisableRemoteRead = 4,

    /// <summary>The call does not write Redis: the value stays in this instance's L1, and the key's Redis value is removed.</summary>
    DisableRemoteWrite = 8,

    /// <summary>The call neither reads nor writes Redis.</summary>
    DisableRemote = DisableRemoteRead | DisableRemoteWrite,

    /// <summary>The value is written to Redis uncompressed, whatever its size.</summary>
    DisableCompression = 16,
}
