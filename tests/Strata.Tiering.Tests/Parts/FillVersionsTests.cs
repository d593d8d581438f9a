using Xunit;

namespace Strata.Tiering.Tests.Parts;

/// <summary>The fill-race versions alone, without L1 or Redis: which interleavings drop a fill or an L1 copy.</summary>
public class FillVersionsTests
{
    [Fact]
    public void Note_ThenNothing_HasNotMoved_ThenABumpOrTheEpoch_HasMoved()
    {
        var versions = new FillVersions();
        FillMark before = versions.Note("k");
        Assert.False(versions.Moved(before));

        versions.Bump("k");
        Assert.True(versions.Moved(before));

        FillMark again = versions.Note("other");
        versions.BumpEpoch();
        Assert.True(versions.Moved(again));
    }

    [Fact]
    public void Settle_WithNothingBetween_KeepsTheWrite()
    {
        var versions = new FillVersions();
        WriteMark mark = versions.BeginWrite("k");

        Assert.False(versions.Settle("k", mark));
    }

    [Fact]
    public void Settle_AfterAnotherWriteToTheKey_DropsTheCopy()
    {
        var versions = new FillVersions();
        WriteMark mine = versions.BeginWrite("k");
        versions.BeginWrite("k"); // another writer: the two may reach L1 and Redis in opposite orders

        Assert.True(versions.Settle("k", mine));
    }

    [Fact]
    public void Settle_AfterAFillLandedOnTheSlot_DropsTheCopy()
    {
        var versions = new FillVersions();
        WriteMark mark = versions.BeginWrite("k");
        FillMark read = versions.Note("k"); // a read noted after the write's first bump, fetched Redis's older value
        Assert.False(versions.Filled(read)); // nothing moved during the read: it installs

        Assert.True(versions.Settle("k", mark)); // so the write, once Redis has it, drops what the read installed
    }

    [Fact]
    public void Filled_AfterTheWriteSettled_DropsTheFill()
    {
        var versions = new FillVersions();
        WriteMark mark = versions.BeginWrite("k");
        FillMark read = versions.Note("k");
        Assert.False(versions.Settle("k", mark)); // no fill yet: the write keeps its copy

        Assert.True(versions.Filled(read)); // the read, still in flight, drops what it fetched
    }

    [Fact]
    public void Settle_AfterAnEpochMove_DropsTheCopy()
    {
        var versions = new FillVersions();
        WriteMark mark = versions.BeginWrite("k");
        versions.BumpEpoch(); // a pattern removal or a clear ran meanwhile

        Assert.True(versions.Settle("k", mark));
    }
}
