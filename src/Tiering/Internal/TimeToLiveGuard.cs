using System;

namespace Strata.Tiering;

/// <summary>The one check every time to live a caller passes goes through: positive, or null.</summary>
/// <remarks>
/// Every positive time to live is taken, up to <see cref="TimeSpan.MaxValue"/>, as Redis takes every PX up to the end
/// of its 64-bit millisecond clock: see <see cref="Lifetimes.Of"/> for how the tiers keep it without overflow.
/// </remarks>
internal static class TimeToLiveGuard
{
    /// <summary>Returns <paramref name="value"/>, or throws naming <paramref name="parameterName"/> when it is zero or negative.</summary>
    internal static TimeSpan? Positive(TimeSpan? value, string parameterName) => value is { } ttl && ttl <= TimeSpan.Zero
        ? throw new ArgumentOutOfRangeException(parameterName, ttl, "A time to live must be positive, or null for the default (or for none).")
        : value;
}
