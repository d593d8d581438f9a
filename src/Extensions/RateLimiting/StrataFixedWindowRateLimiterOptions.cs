using System;

namespace Strata.Extensions;

/// <summary>The settings of a <see cref="StrataFixedWindowRateLimiter"/>.</summary>
public sealed class StrataFixedWindowRateLimiterOptions
{
    /// <summary>Gets or sets the permits each partition has per window: positive.</summary>
    public int PermitLimit { get; set; }

    /// <summary>Gets or sets the window's length: at least a millisecond. Windows start at multiples of it since the Unix epoch, on every instance alike.</summary>
    public TimeSpan Window { get; set; }

    /// <summary>Gets or sets the first part of the counters' keys (<c>{KeyPrefix}:{partition}:{window}</c>). Default <c>rate_limit</c>.</summary>
    public string KeyPrefix { get; set; } = "rate_limit";

    /// <summary>
    /// Gets or sets whether a request is let through when the count cannot be read because Redis is unreachable
    /// (true, the default: the cache being down does not take the service down), or refused (false).
    /// </summary>
    public bool AllowWhenUnavailable { get; set; } = true;

    /// <summary>Gets or sets the clock that places requests in windows; null for the system clock.</summary>
    public TimeProvider? TimeProvider { get; set; }
}
