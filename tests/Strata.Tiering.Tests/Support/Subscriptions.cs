using System;
using System.Threading;
using Xunit;

namespace Strata.Tiering.Tests.Support;

/// <summary>
/// Waits for a new cache's backplane subscription: under a loaded test run the first attempt may time out and the cache
/// retries in the background, and a test that publishes before then would wait for a message that was never delivered.
/// </summary>
internal static class Subscriptions
{
    public static void WaitFor(TieredCache cache, TieredCacheOptions options)
    {
        if (options.Redis is not null && options.Backplane)
        {
            Assert.True(SpinWait.SpinUntil(() => cache.IsSubscribed, TimeSpan.FromSeconds(20)), "The backplane subscription was not in place within 20 s.");
        }
    }
}
