using System;
using System.Linq;
using Strata.Engine;
using Strata.Engine.Tests.Support;
using Xunit;

namespace Strata.Engine.Tests.Expiry;

/// <summary>Expired entries are reclaimed by the background sweep, with no read, through the public API.</summary>
public class ExpiryTests
{
    [Fact]
    public void ExpiredEntry_WithNoReads_IsReclaimedWithinOneSweepInterval()
    {
        using var t = new TestCache();
        t.Cache.Set("k", "v", TimeSpan.FromMilliseconds(1500));
        t.Cache.Set("forever", "v");

        t.Time.Advance(TimeSpan.FromSeconds(1)); // sweep at 1 s: not due yet
        Assert.Equal(2, t.Cache.Count);

        t.Time.Advance(TimeSpan.FromSeconds(1)); // sweep at 2 s: 0.5 s past the deadline
        Assert.Equal(1, t.Cache.Count);
        Assert.Equal([("k", "v", RemovalReason.Expired)], t.Removals);
        Assert.Equal(1, t.Cache.GetStatistics().Expirations);
        t.Cache.Validate();
    }

    [Theory]
    [InlineData(50)]                   // finest level
    [InlineData(90_000)]               // 1.5 minutes: second level
    [InlineData(3 * 3_600_000)]        // 3 hours: third level
    [InlineData(2 * 86_400_000)]       // 2 days: fourth level (the overflow level is covered by TimerWheelTests)
    public void ExpiredEntry_AtAnyLevelOfTheWheel_IsReclaimedWithinASecondOfItsDeadline(long ttlMilliseconds)
    {
        using var t = new TestCache();
        t.Cache.Set("k", "v", TimeSpan.FromMilliseconds(ttlMilliseconds));

        // Walk the clock in one-second sweeps up to just before the deadline: the entry must survive every sweep.
        long elapsed = 0;
        long step = Math.Max(1000, ttlMilliseconds / 500 / 1000 * 1000);
        while (elapsed + step < ttlMilliseconds)
        {
            t.Time.Advance(TimeSpan.FromMilliseconds(step));
            elapsed += step;
            Assert.Equal(1, t.Cache.Count);
        }

        // At most one sweep interval after the deadline, it is gone.
        t.Time.Advance(TimeSpan.FromMilliseconds(ttlMilliseconds - elapsed + 1000));
        Assert.Equal(0, t.Cache.Count);
        Assert.Single(t.Removals, r => r.Reason == RemovalReason.Expired);
        t.Cache.Validate();
    }

    [Fact]
    public void ManyEntriesWithSpreadDeadlines_AreEachReclaimedOnTime()
    {
        using var t = new TestCache();
        var random = new Random(42);
        var deadlines = Enumerable.Range(0, 2000).ToDictionary(i => "k" + i, _ => (long)random.Next(1, 200_000));
        foreach (var (key, ttl) in deadlines)
        {
            t.Cache.Set(key, "v", TimeSpan.FromMilliseconds(ttl));
        }

        for (long now = 1000; now <= 201_000; now += 1000)
        {
            t.Time.Advance(TimeSpan.FromSeconds(1));
            // The wheel reclaims an entry at the first sweep at or after its deadline, so the count is exact.
            Assert.Equal(deadlines.Values.Count(d => d > now), t.Cache.Count);
        }

        Assert.Equal(0, t.Cache.Count);
        Assert.Equal(2000, t.Removals.Count);
        t.Cache.Validate();
    }

    [Fact]
    public void RewrittenEntry_MovesInTheWheel_AndKeepsItsNewDeadline()
    {
        using var t = new TestCache();
        t.Cache.Set("k", "v1", TimeSpan.FromSeconds(2));
        t.Cache.Set("k", "v2", TimeSpan.FromMinutes(10));

        t.Time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(t.Cache.TryGet("k", out string? value));
        Assert.Equal("v2", value);
        t.Cache.Validate();
    }

    /// <summary>
    /// Each operation that finds a key under the stripe lock, run when the key has just expired and the clock's next
    /// read fires the sweep on the calling thread. The sweep used to run inside the operation (the lock is re-entrant)
    /// and unlink the node the operation held: the long soak's "wheel holds a node that is not in the table" and the
    /// NullReferenceException in the chain walk. Now the clock is read before the lock, so the sweep runs first and the
    /// operation finds the key gone.
    /// </summary>
    [Theory]
    [InlineData("Set")]
    [InlineData("TryAdd")]
    [InlineData("Remove")]
    [InlineData("TryUpdate")]
    [InlineData("Expire")]
    [InlineData("Persist")]
    [InlineData("Sweep")]
    public void ClockThatFiresTheSweepWhenRead_NeverRunsItInsideAnOperation(string operation)
    {
        var time = new TimersOnReadTimeProvider();
        using var cache = new LocalCache<string>(new LocalCacheOptions<string> { TimeProvider = time, ConcurrencyLevel = 1 });
        for (int i = 0; i < 50; i++)
        {
            cache.Set("k" + i, "v", TimeSpan.FromMilliseconds(500));
        }

        time.MoveWithoutFiring(TimeSpan.FromSeconds(2)); // every entry has expired and the sweep timer is due

        bool found = operation switch
        {
            "Set" => Returns(true, () => cache.Set("k7", "new", TimeSpan.FromMinutes(1))),
            "TryAdd" => cache.TryAdd("k7", "new", TimeSpan.FromMinutes(1)),
            "Remove" => cache.Remove("k7"),
            "TryUpdate" => cache.TryUpdate("k7", v => v + "!", TimeSpan.FromMinutes(1)),
            "Expire" => cache.Expire("k7", TimeSpan.FromMinutes(1)),
            "Persist" => cache.Persist("k7"),
            _ => cache.SweepExpired() > 0,
        };

        Assert.Equal(1, time.CallbacksRunOnRead); // the sweep did run on this thread, during the operation's clock read
        bool stored = operation is "Set" or "TryAdd";
        Assert.Equal(stored || operation == "Sweep", found);
        Assert.Equal(stored ? 1 : 0, cache.Count);
        Assert.Equal(50, cache.GetStatistics().Expirations);
        cache.Validate();
    }

    private static bool Returns(bool result, Action action)
    {
        action();
        return result;
    }
}
