using System;
using System.Linq;
using Strata.Tests.Support;
using Xunit;

namespace Strata.Tests.Expiry;

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
}
