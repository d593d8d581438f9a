using System.IO;
using System.Linq;
using Xunit;

namespace Strata.Tiering.Tests.Parts;

/// <summary>The embedded scripts: each documents itself, and what Redis receives is code only, includes expanded.</summary>
public class LuaScriptsTests
{
    public static TheoryData<string> Scripts => ["expire", "time-to-live", "increment", "update", "group-set", "group-query", "invalidate", "unlink"];

    [Theory]
    [MemberData(nameof(Scripts))]
    public void EveryScript_OpensWithWhatKeysAndArgvHoldAndWhatItReturns(string name)
    {
        string[] header = Read(name).Split('\n').TakeWhile(line => line.StartsWith("--", System.StringComparison.Ordinal) && !line.StartsWith("--#", System.StringComparison.Ordinal)).ToArray();
        string text = string.Join(' ', header);

        Assert.NotEmpty(header);
        Assert.Contains("KEYS", text, System.StringComparison.Ordinal);
        Assert.Contains("Returns", text, System.StringComparison.Ordinal);
    }

    [Fact]
    public void LoadedScripts_HaveNoCommentLines_AndTheirIncludesExpanded()
    {
        string[] loaded = [LuaScripts.Expire, LuaScripts.TimeToLive, LuaScripts.Increment, LuaScripts.Update, LuaScripts.GroupSet, LuaScripts.GroupQuery, LuaScripts.Invalidate, LuaScripts.Unlink];

        Assert.All(loaded, script => Assert.DoesNotContain(script.Split('\n'), line => line.TrimStart().StartsWith("--", System.StringComparison.Ordinal)));
        Assert.Contains("local function stretch", LuaScripts.Expire, System.StringComparison.Ordinal);
        Assert.Contains("local function trusted", LuaScripts.Invalidate, System.StringComparison.Ordinal);
        Assert.All([LuaScripts.Expire, LuaScripts.Increment, LuaScripts.Invalidate, LuaScripts.Unlink], script => Assert.Contains("local function live", script, System.StringComparison.Ordinal));
        Assert.Contains("local function envelope", LuaScripts.TimeToLive, System.StringComparison.Ordinal);
        Assert.Contains("'\\165'", LuaScripts.TimeToLive, System.StringComparison.Ordinal); // the envelope's magic byte, as a Lua escape
    }

    private static string Read(string name)
    {
        using Stream stream = typeof(LuaScripts).Assembly.GetManifestResourceStream($"Strata.Tiering.Scripts.{name}.lua")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
