using System;
using System.Linq;
using System.Threading.Tasks;
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
    public void ARepairCarriedOutDuringARead_StillCoversThatRead_NotTheNextOne()
    {
        var repairs = new RemoteRepairs();
        var key = new RemoteRepair(RepairKind.Key, "k");
        repairs.Add(key);
        long mark = repairs.Mark; // a read notes the mark, then sends its GET, which Redis answers before the repair's UNLINK

        repairs.Forget(key, repairs.Snapshot().Single().Value); // the drain replays and forgets it before the reply is checked

        Assert.False(repairs.Covers("k"));
        Assert.True(repairs.Covers("k", mark), "the reply may predate the repair's removal");
        Assert.True(repairs.Covers("other", mark)); // which key a replay was for is not kept: any replay does
        Assert.False(repairs.Covers("k", repairs.Mark)); // a read that began after the replay trusts Redis again
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

    [Fact]
    public async Task RecordingWhileADrainForgets_KeepsTheCountsEqualToTheSet_AndEveryLastRecordingPending()
    {
        // Writers keep re-recording a few keys while a drain replays and forgets them: the re-recording of a repair the
        // drain has just removed must count it again, or the counts drift from the set (a negative count kept the drain
        // spinning on nothing, and a lost one would hide a pending repair from Any).
        var repairs = new RemoteRepairs();
        long deadline = Environment.TickCount64 + 1500; // not a timer: the four loops keep the pool's threads busy
        Task[] writers = Enumerable.Range(0, 3).Select(w => Task.Run(() =>
        {
            for (int i = 0; Environment.TickCount64 < deadline; i++)
            {
                repairs.Add(RepairKey("k" + (i % 4)));
                if (i % 64 == w)
                {
                    repairs.Add(new RemoteRepair(RepairKind.Group, "tag", "scope:"));
                }
            }
        })).ToArray();
        Task drain = Task.Run(() =>
        {
            while (Environment.TickCount64 < deadline)
            {
                foreach ((RemoteRepair repair, long generation) in repairs.Snapshot())
                {
                    repairs.Forget(repair, generation);
                }
            }
        });
        await Task.WhenAll([.. writers, drain]);

        int pending = repairs.Snapshot().Count;
        Assert.Equal(pending, repairs.Count);
        Assert.Equal(pending != 0, repairs.Any);
        foreach ((RemoteRepair repair, long generation) in repairs.Snapshot())
        {
            repairs.Forget(repair, generation);
        }

        Assert.Equal(0, repairs.Count);
        Assert.Empty(repairs.Snapshot());
        Assert.False(repairs.Covers("k0"));
    }

    private static RemoteRepair RepairKey(string key) => new(RepairKind.Key, key);
}
