using System.Linq;
using Xunit;

namespace Strata.Tiering.Tests.Chaos;

/// <summary>The book of removals Redis owes an instance after an outage (the chaos tests cover the drain).</summary>
public sealed class RemoteRepairsTests
{
    [Fact]
    public void ARepairRecordedAgainDuringItsReplay_IsNotForgottenByThatReplay()
    {
        var repairs = new RemoteRepairs();
        var key = new RemoteRepair(RepairKind.Key, "k");
        repairs.Add(key);
        long replayed = repairs.Snapshot().Single().Value;

        repairs.Add(key); // the key's Redis half failed again while the replay ran
        repairs.Forget(key, replayed);

        Assert.True(repairs.Contains(key));
        Assert.True(repairs.Covers("k"));
        repairs.Forget(key, repairs.Snapshot().Single().Value);
        Assert.False(repairs.Any);
        Assert.False(repairs.Covers("k"));
    }

    [Fact]
    public void PendingGroupsPatternsOrClears_CoverEveryKey_KeysOnlyThemselves()
    {
        var repairs = new RemoteRepairs();
        repairs.Add(new RemoteRepair(RepairKind.Key, "a"));
        Assert.True(repairs.Covers("a"));
        Assert.False(repairs.Covers("b"));

        var pattern = new RemoteRepair(RepairKind.Pattern, "user:*");
        repairs.Add(pattern);
        Assert.True(repairs.Covers("b")); // a pattern may match any key: Redis's answer is not trusted until it has run
        repairs.Forget(pattern, repairs.Snapshot().Single(p => p.Key == pattern).Value);
        Assert.False(repairs.Covers("b"));
        Assert.Equal(RepairKind.Key, repairs.Snapshot().Single().Key.Kind);
    }

    [Fact]
    public void PastTheBound_TheRepairsCollapseIntoOneClear_WhichComesFirst()
    {
        var repairs = new RemoteRepairs();
        for (int i = 0; i < RemoteRepairs.MaxPending; i++)
        {
            repairs.Add(new RemoteRepair(RepairKind.Key, "k" + i));
        }

        Assert.Equal(RemoteRepairs.MaxPending, repairs.Count);
        repairs.Add(new RemoteRepair(RepairKind.Key, "one more"));

        Assert.Equal(1, repairs.Count);
        Assert.Equal(RepairKind.All, repairs.Snapshot().Single().Key.Kind);
        repairs.Add(new RemoteRepair(RepairKind.Group, "tag", "scope:")); // a clear covers it
        Assert.Equal(1, repairs.Count);
        Assert.True(repairs.Covers("anything"));
    }
}
