using System;

namespace Strata.Tiering;

/// <summary>The one check every time to live a caller passes goes through: positive, or null.</summary>
internal static class TimeToLiveGuard
{
    /// <summary>Returns <paramref name="value"/>, or throws naming <paramref name="parameterName"/> when it is zero or negative.</summary>
    internal static TimeSpan? Positive(TimeSpan? value, string parameterName) =>
        value is { } ttl && ttl <= TimeSpan.Zero
            ? throw new ArgumentOutOfRangeException(parameterName, ttl, "A time to live must be positive, or null for the default (or for none).")
            : value;
}
