using System;

namespace Strata.Tiering;

/// <summary>
/// What a time to live means in each place a value lives: the envelope's logical expiry (wall-clock unix
/// milliseconds, shared by every instance), the L1 entry's freshness (a <see cref="TimeProvider"/> timestamp of this
/// process), and the life of both copies, which is the time to live plus the fail-safe window.
/// </summary>
/// <remarks>
/// Redis drops a value at its logical expiry plus the fail-safe window, and L1 is given exactly the same life when it
/// fills from Redis, so L1 never outlives L2 for the same write. The one caveat is clock skew: each instance reads the
/// logical expiry against its own wall clock.
/// </remarks>
internal sealed class Lifetimes(TimeProvider time, TimeSpan? failSafe)
{
    /// <summary>Gets the clock of both tiers.</summary>
    internal TimeProvider Time { get; } = time;

    /// <summary>Gets how long a value stays readable past its time to live while Redis cannot be reached; null for never.</summary>
    internal TimeSpan? FailSafe { get; } = failSafe;

    /// <summary>The lifetime of a write with <paramref name="timeToLive"/> (null: none), read from both clocks now.</summary>
    internal WriteLifetime Of(TimeSpan? timeToLive) => timeToLive is { } ttl
        ? new WriteLifetime(Time.GetUtcNow().Add(ttl).ToUnixTimeMilliseconds(), Time.GetTimestamp() + ToTicks(ttl), ttl + (FailSafe ?? TimeSpan.Zero))
        : new WriteLifetime(0, LocalEntry.Forever, null);

    /// <summary>Reads both clocks once; a batch reads them once for all its keys.</summary>
    internal Instant Now() => new(Time.GetUtcNow().ToUnixTimeMilliseconds(), Time.GetTimestamp());

    /// <summary>
    /// Turns an envelope's logical expiry into L1 terms: fresh until, and a life of the rest of that time plus the
    /// fail-safe window, which is exactly when Redis drops the value. False when the value is no longer fresh.
    /// </summary>
    internal bool TryLocalLife(long logicalExpiryUnixMilliseconds, Instant now, out long freshUntil, out TimeSpan? life)
    {
        if (logicalExpiryUnixMilliseconds == 0)
        {
            freshUntil = LocalEntry.Forever;
            life = null;
            return true;
        }

        long fresh = logicalExpiryUnixMilliseconds - now.UnixMilliseconds;
        freshUntil = now.Timestamp + ToTicks(TimeSpan.FromMilliseconds(Math.Max(fresh, 0)));
        life = TimeSpan.FromMilliseconds(fresh) + (FailSafe ?? TimeSpan.Zero);
        return fresh > 0;
    }

    /// <summary>A span as <see cref="TimeProvider"/> timestamp ticks.</summary>
    internal long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Time.TimestampFrequency);

    /// <summary>A time to live as the milliseconds a Redis script takes (rounded up, like PX), or -1 for none.</summary>
    internal static long Milliseconds(TimeSpan? timeToLive) => timeToLive is { } ttl ? (long)Math.Ceiling(ttl.TotalMilliseconds) : -1;
}

/// <summary>See <see cref="Lifetimes.Of"/>.</summary>
/// <param name="LogicalExpiry">Unix milliseconds, 0 for none: the envelope's field.</param>
/// <param name="FreshUntil">The L1 entry's <see cref="LocalEntry.FreshUntil"/>.</param>
/// <param name="Life">How long L1 and Redis keep the value; null for no expiry.</param>
internal readonly record struct WriteLifetime(long LogicalExpiry, long FreshUntil, TimeSpan? Life);

/// <summary>One instant on both clocks: wall time for envelopes (shared across instances), timestamps for L1.</summary>
internal readonly record struct Instant(long UnixMilliseconds, long Timestamp);
