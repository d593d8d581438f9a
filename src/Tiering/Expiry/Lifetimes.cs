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
    /// <summary>The whole milliseconds in <see cref="TimeSpan.MaxValue"/>: 922,337,203,685,477.</summary>
    private const long MaxWholeMilliseconds = long.MaxValue / TimeSpan.TicksPerMillisecond;

    /// <summary>Gets the clock of both tiers.</summary>
    internal TimeProvider Time { get; } = time;

    /// <summary>Gets how long a value stays readable past its time to live while Redis cannot be reached; null for never.</summary>
    internal TimeSpan? FailSafe { get; } = failSafe;

    /// <summary>The lifetime of a write with <paramref name="timeToLive"/> (null: none), read from both clocks now.</summary>
    /// <remarks>
    /// Every time to live up to <see cref="TimeSpan.MaxValue"/> is taken: the logical expiry is computed in unix
    /// milliseconds (a <see cref="DateTimeOffset"/> would end at the year 9999), and the L1 freshness and the life
    /// saturate (see <see cref="FreshAfter"/> and <see cref="Plus"/>).
    /// </remarks>
    internal WriteLifetime Of(TimeSpan? timeToLive) => timeToLive is { } ttl
        ? new WriteLifetime(Time.GetUtcNow().ToUnixTimeMilliseconds() + Milliseconds(ttl), FreshAfter(Time.GetTimestamp(), ttl), Plus(ttl, FailSafe))
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

        // Any long may come from another writer's clock: the difference is taken without overflow.
        long fresh = logicalExpiryUnixMilliseconds > now.UnixMilliseconds ? (long)Math.Min((ulong)(logicalExpiryUnixMilliseconds - now.UnixMilliseconds), long.MaxValue) : 0;
        TimeSpan span = OfMilliseconds(fresh);
        freshUntil = FreshAfter(now.Timestamp, span);
        life = Plus(span, FailSafe);
        return fresh > 0;
    }

    /// <summary>A span as <see cref="TimeProvider"/> timestamp ticks, saturating at <see cref="long.MaxValue"/>.</summary>
    internal long ToTicks(TimeSpan span)
    {
        double ticks = span.TotalSeconds * Time.TimestampFrequency;
        return ticks >= long.MaxValue ? long.MaxValue : (long)ticks;
    }

    /// <summary>
    /// The timestamp <paramref name="span"/> after <paramref name="timestamp"/>, or <see cref="LocalEntry.FarFuture"/>
    /// when a timestamp cannot hold it (past about 292 years from the clock's origin at 1 GHz, the system clock's rate).
    /// </summary>
    internal long FreshAfter(long timestamp, TimeSpan span)
    {
        long ticks = ToTicks(span);
        return ticks >= LocalEntry.FarFuture - timestamp ? LocalEntry.FarFuture : timestamp + ticks;
    }

    /// <summary>A time to live as the milliseconds a Redis script takes (rounded up, like PX), or -1 for none.</summary>
    /// <remarks><see cref="TimeSpan.MaxValue"/> is 922,337,203,685,478 ms, which Redis accepts as a PX.</remarks>
    internal static long Milliseconds(TimeSpan? timeToLive) => timeToLive is { } ttl ? Milliseconds(ttl) : -1;

    /// <summary>
    /// A life as the expiry StackExchange.Redis is given for a SET: whole milliseconds, rounded up as the scripts' PX
    /// are, and never <see cref="TimeSpan.MaxValue"/>, which the client sends as no expiry at all.
    /// </summary>
    internal static TimeSpan? ClientExpiry(TimeSpan? life) => life is { } span
        ? TimeSpan.FromMilliseconds(Math.Min(Milliseconds(span), MaxWholeMilliseconds - 1))
        : null;

    /// <summary><paramref name="span"/> (positive) in milliseconds, rounded up.</summary>
    internal static long Milliseconds(TimeSpan span) =>
        (span.Ticks / TimeSpan.TicksPerMillisecond) + (span.Ticks % TimeSpan.TicksPerMillisecond == 0 ? 0 : 1);

    /// <summary><paramref name="a"/> plus <paramref name="b"/> (none: zero), saturating at <see cref="TimeSpan.MaxValue"/>.</summary>
    internal static TimeSpan Plus(TimeSpan a, TimeSpan? b) => b is { } add && a > TimeSpan.MaxValue - add ? TimeSpan.MaxValue : a + (b ?? TimeSpan.Zero);

    /// <summary>Milliseconds (not negative) as a span, saturating at <see cref="TimeSpan.MaxValue"/>.</summary>
    internal static TimeSpan OfMilliseconds(long milliseconds) =>
        milliseconds > MaxWholeMilliseconds ? TimeSpan.MaxValue : TimeSpan.FromTicks(milliseconds * TimeSpan.TicksPerMillisecond);
}

/// <summary>See <see cref="Lifetimes.Of"/>.</summary>
/// <param name="LogicalExpiry">Unix milliseconds, 0 for none: the envelope's field.</param>
/// <param name="FreshUntil">The L1 entry's <see cref="LocalEntry.FreshUntil"/>.</param>
/// <param name="Life">How long L1 and Redis keep the value; null for no expiry.</param>
internal readonly record struct WriteLifetime(long LogicalExpiry, long FreshUntil, TimeSpan? Life);

/// <summary>One instant on both clocks: wall time for envelopes (shared across instances), timestamps for L1.</summary>
internal readonly record struct Instant(long UnixMilliseconds, long Timestamp);
