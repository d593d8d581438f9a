using System;
using System.Diagnostics;
using System.Threading.Tasks;
using Xunit.Sdk;

namespace Strata.Tiering.Tests.Support;

/// <summary>Polls for a condition with a deadline: how tests wait for a message to be delivered, never by sleeping.</summary>
internal static class Eventually
{
    public static async Task True(Func<Task<bool>> condition, string what, double seconds = 20)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed.TotalSeconds > seconds)
            {
                throw new XunitException($"Gave up after {seconds} s waiting for {what}.");
            }

            await Task.Delay(10);
        }
    }

    public static Task True(Func<bool> condition, string what, double seconds = 20) =>
        True(() => Task.FromResult(condition()), what, seconds);
}
