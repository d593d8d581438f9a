using System;
using System.Collections.Generic;
using FsCheck.Xunit;
using Xunit;

namespace Strata.Engine.Tests.Expiry;

public class TimerWheelTests
{
    [Property(MaxTest = 300)]
    public void Advance_AnyDeadlinesAndJumps_ReturnsEachNodeOnceAtTheFirstAdvancePastItsDeadline(long[] delays, int[] jumps)
    {
        const long Start = 1_000_000_000;
        var wheel = new TimerWheel<int>(Start);
        var pending = new Dictionary<Node<int>, long>(ReferenceEqualityComparer.Instance);
        foreach (long raw in delays ?? [])
        {
            // Delays from 0 up to about 100 days, so every level including the overflow bucket is used.
            long deadline = Start + (long)((ulong)raw % (100UL * 86_400_000));
            var node = new Node<int>("k" + pending.Count, 0, 0, deadline, 0, 0);
            wheel.Schedule(node);
            pending.Add(node, deadline);
        }

        long now = Start;
        foreach (int raw in jumps ?? [])
        {
            // Jumps from 1 ms to about 12 days: small steps within a bucket and leaps across whole levels.
            now += 1 + (long)((uint)raw % 1_000_000_000);
            Check(wheel, pending, now);
        }

        Check(wheel, pending, now + 200L * 86_400_000); // everything left is due by then
        Assert.Empty(pending);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Unschedule_RemovesNodeFromAnyLevel()
    {
        var wheel = new TimerWheel<int>(0);
        var nodes = new List<Node<int>>();
        foreach (long delay in new long[] { 5, 70_000, 5_000_000, 200_000_000, 10_000_000_000 })
        {
            var node = new Node<int>("k" + delay, 0, 0, delay, 0, 0);
            wheel.Schedule(node);
            nodes.Add(node);
        }

        foreach (Node<int> node in nodes)
        {
            Assert.True(wheel.Contains(node));
            wheel.Unschedule(node);
            Assert.False(wheel.Contains(node));
        }

        Assert.Equal(0, wheel.Count);
        Assert.Null(wheel.Advance(20_000_000_000));
    }

    private static void Check(TimerWheel<int> wheel, Dictionary<Node<int>, long> pending, long now)
    {
        for (Node<int>? node = wheel.Advance(now); node is not null; node = node.Links.WheelNext)
        {
            Assert.True(pending.Remove(node, out long deadline), $"{node.Key} was returned twice");
            Assert.True(deadline <= now, $"{node.Key} was returned at {now}, before its deadline {deadline}");
        }

        foreach (var (node, deadline) in pending)
        {
            Assert.True(deadline > now, $"{node.Key} (deadline {deadline}) was not returned by the advance to {now}");
        }

        Assert.Equal(pending.Count, wheel.Count);
    }
}
