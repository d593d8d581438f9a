using System;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Strata.Engine;
using Strata.Testing;
using Xunit;

namespace Strata.Engine.Tests.Glob;

public class GlobTests
{
    // Each row was checked against redis-server 7.0.15 with KEYS, except '*' on the empty key: KEYS * answers that
    // through its match-all shortcut, not the matcher (compare '**'), and LocalCache.Scan keeps the same shortcut.
    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("*", "", false)]            // stringmatchlen: only the empty pattern matches the empty string
    [InlineData("**", "", false)]
    [InlineData("", "", true)]
    [InlineData("", "a", false)]
    [InlineData("h?llo", "hello", true)]
    [InlineData("h?llo", "hllo", false)]
    [InlineData("h*llo", "hllo", true)]
    [InlineData("h*llo", "heeeello", true)]
    [InlineData("h[ae]llo", "hallo", true)]
    [InlineData("h[ae]llo", "hillo", false)]
    [InlineData("h[^e]llo", "hallo", true)]
    [InlineData("h[^e]llo", "hello", false)]
    [InlineData("h[a-b]llo", "hbllo", true)]
    [InlineData("h[b-a]llo", "hallo", true)]   // a range written backwards is the same range
    [InlineData("[a", "a", true)]              // an unterminated set runs to the end of the pattern
    [InlineData("[a", "b", false)]
    [InlineData("[a", "ab", false)]
    [InlineData("[^", "x", true)]
    [InlineData("[", "x", false)]
    [InlineData("[]a]", "a", false)]           // '[]' is an empty set, then a literal 'a]'
    [InlineData("[]a]", "]", false)]
    [InlineData("[a-]", "^", true)]            // 'a-]' is the range ']'..'a' and the set is unterminated
    [InlineData("[a-]", "b", false)]
    [InlineData("a\\*b", "a*b", true)]
    [InlineData("a\\*b", "axb", false)]
    [InlineData("[\\]]", "]", true)]
    [InlineData("[\\-]", "-", true)]
    [InlineData("a\\", "a\\", true)]           // a trailing backslash is a literal backslash
    [InlineData("user:*:profile", "user:42:profile", true)]
    [InlineData("user:*:profile", "user:42:settings", false)]
    [InlineData("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaab", true)]
    [InlineData("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaa", false)]
    public void IsMatch_RedisCases_AgreeWithRedis(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, Strata.Engine.Glob.IsMatch(pattern, text));
        Assert.Equal(expected, ReferenceGlob.IsMatch(pattern, text));
    }

    [Theory]
    [InlineData("HELLO", "hello", true)]
    [InlineData("h[A-Z]llo", "hello", true)]
    [InlineData("[\\E]", "e", false)]         // an escaped set member is compared exactly even with nocase
    [InlineData("\\E", "e", true)]
    [InlineData("Ä", "ä", false)]             // folding is ASCII only, as in Redis
    public void IsMatch_IgnoreCase_FoldsAsciiOnly(string pattern, string text, bool expected) =>
        Assert.Equal(expected, Strata.Engine.Glob.IsMatch(pattern, text, ignoreCase: true));

    [Property(MaxTest = 2000)]
    public void IsMatch_RandomPatterns_AgreeWithReference(bool ignoreCase)
    {
        // Patterns and texts are drawn from the characters that mean something to the matcher, so the generator
        // reaches sets, ranges, escapes and stars far more often than arbitrary strings would.
        Gen<string> text = Gen.Elements('a', 'b', 'A', 'B', '-', '^', ']', '[', '\\', '*').ArrayOf().Select(c => new string(c.Take(8).ToArray()));
        Gen<string> pattern = Gen.Elements('a', 'b', 'A', 'B', '*', '?', '[', ']', '^', '-', '\\').ArrayOf().Select(c => new string(c.Take(8).ToArray()));
        Prop.ForAll(pattern.ToArbitrary(), text.ToArbitrary(), (p, t) =>
            Strata.Engine.Glob.IsMatch(p, t, ignoreCase) == ReferenceGlob.IsMatch(p, t, ignoreCase))
            .QuickCheckThrowOnFailure();
    }

    [Property(MaxTest = 500)]
    public void IsMatch_TextAsItsOwnEscapedPattern_Matches(NonEmptyString value)
    {
        string text = value.Get;
        string escaped = string.Concat(text.Select(c => "\\" + c));
        Assert.True(Strata.Engine.Glob.IsMatch(escaped, text));
    }

    [Fact]
    public void IsMatch_PathologicalPattern_StaysWithinQuadraticSteps()
    {
        // The shape that hung Redis before CVE-2022-36021: many stars and a final character that never matches.
        string pattern = string.Concat(Enumerable.Repeat("*a", 100)) + "b";
        string text = new('a', 10_000);
        long steps = 0;

        bool matched = Strata.Engine.Glob.IsMatch(pattern, text, ignoreCase: false, ref steps);

        Assert.False(matched);
        Assert.InRange(steps, 1, (long)(pattern.Length + 1) * (text.Length + 1));
    }

    [Fact]
    public void IsMatch_TenThousandStars_IsLinear()
    {
        string pattern = new('*', 10_000);
        long steps = 0;

        Assert.True(Strata.Engine.Glob.IsMatch(pattern + "x", new string('y', 5000) + "x", ignoreCase: false, ref steps));
        Assert.InRange(steps, 1, 2 * 5001);
    }

    [Property(MaxTest = 300)]
    public void IsMatch_AnyInput_StepsBoundedByPatternTimesText(string pattern, string text)
    {
        pattern ??= string.Empty;
        text ??= string.Empty;
        long steps = 0;
        Strata.Engine.Glob.IsMatch(pattern, text, ignoreCase: false, ref steps);
        Assert.InRange(steps, 0, (long)(pattern.Length + 1) * (text.Length + 1));
    }
}
