using System;

namespace Strata.Tiering;

/// <summary>The one check every time to live a caller passes goes through: positive and at most the maximum, or null.</summary>
internal static class TimeToLiveGuard
{
    /// <summary>
    /// Returns <paramref name="value"/>, or throws naming <paramref name="parameterName"/> when it is zero or negative, or
    /// longer than <see cref="TieredCache.MaxTimeToLive"/>.
    /// </summary>
    internal static TimeSpan? Positive(TimeSpan? value, string parameterName) => value switch
    {
        { } ttl when ttl <= TimeSpan.Zero => throw new ArgumentOutOfRangeException(parameterName, ttl, "A time to live must be positive, or null for the default (or for none)."),
        { } ttl => AtMostMaximum(ttl, parameterName),
        null => null,
    };

    /// <summary>Returns <paramref name="value"/>, or throws naming <paramref name="parameterName"/> when it is past the maximum.</summary>
    internal static TimeSpan AtMostMaximum(TimeSpan value, string parameterName) =>
        value > TieredCache.MaxTimeToLive
            ? throw new ArgumentOutOfRangeException(parameterName, value, $"A time to live is at most {TieredCache.MaxTimeToLive.TotalDays:N0} days (TieredCache.MaxTimeToLive); for no expiry, pass null or Timeout.InfiniteTimeSpan where the method says so.")
            : value;
}
