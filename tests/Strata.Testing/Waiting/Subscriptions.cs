using System;
using System.Threading;
using Strata.Tiering;

namespace Strata.Testing;

/// <summary>
/// Waits for a new cache's backplane subscription: under a loaded test run the first attempt may time out and the cache
/// retries in the background, and a test that publishes before then would wait for a message that was never delivered.
/// </summary>
public static class Subscriptions
{
    public static void WaitFor(TieredCache cache, TieredCacheOptions options)
    {
        if (options.Redis is not null && options.Backplane)
        {
            WaitFor(cache);
        }
    }

    /// <summary>Waits for a cache's backplane subscription, whatever its options.</summary>
    public static void WaitFor(TieredCache cache)
    {
        if (!SpinWait.SpinUntil(() => cache.IsSubscribed, TimeSpan.FromSeconds(20)))
        {
            throw new CheckFailedException("The backplane subscription was not in place within 20 s.");
        }
    }
}
