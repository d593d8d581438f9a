using System;
using System.Diagnostics;
using System.Threading.Tasks;

namespace Strata.Testing;

/// <summary>Polls for a condition with a deadline: how tests wait for a message to be delivered, never by sleeping.</summary>
public static class Eventually
{
    public static async Task True(Func<Task<bool>> condition, string what, double seconds = 20)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed.TotalSeconds > seconds)
            {
                throw new CheckFailedException($"Gave up after {seconds} s waiting for {what}.");
            }

            await Task.Delay(10);
        }
    }

    public static Task True(Func<bool> condition, string what, double seconds = 20) =>
        True(() => Task.FromResult(condition()), what, seconds);
}
