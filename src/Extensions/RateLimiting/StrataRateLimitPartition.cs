using System;
using System.Threading.RateLimiting;
using Strata.Tiering;

namespace Strata.Extensions;

/// <summary>Partitions for <see cref="PartitionedRateLimiter"/> (and ASP.NET Core's rate limiting middleware) counted in a Strata cache.</summary>
public static class StrataRateLimitPartition
{
    /// <summary>
    /// A partition whose limiter is a <see cref="StrataFixedWindowRateLimiter"/>: the same as
    /// <see cref="RateLimitPartition.GetFixedWindowLimiter{TKey}"/>, but counted in the cache, so the limit holds across
    /// every instance sharing its Redis.
    /// </summary>
    /// <typeparam name="TKey">The partition key's type; its invariant text is the counter's key.</typeparam>
    /// <param name="partitionKey">The partition (a user id, an API key, ...).</param>
    /// <param name="cache">The cache that holds the counts.</param>
    /// <param name="factory">The partition's settings.</param>
    /// <returns>The partition.</returns>
    public static RateLimitPartition<TKey> GetFixedWindowLimiter<TKey>(TKey partitionKey, TieredCache cache, Func<TKey, StrataFixedWindowRateLimiterOptions> factory)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(factory);
        return RateLimitPartition.Get(partitionKey, key =>
            new StrataFixedWindowRateLimiter(cache, Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty, factory(key)));
    }
}
