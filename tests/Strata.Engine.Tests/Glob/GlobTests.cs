using System;
using System.Linq;
using System.Text;
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

    // Redis matches the UTF-8 bytes of a key: each row was checked with KEYS on redis-server 7.0.15 over the keys
    // "a", "é" (C3 A9), "日本" (E6 97 A5 E6 9C AC) and "!", with each byte of a range read as a signed char.
    [Theory]
    [InlineData("?", new[] { "a", "!" })]
    [InlineData("??", new[] { "é" })]
    [InlineData("??????", new[] { "日本" })]
    [InlineData("[^", new[] { "a", "!" })]       // one byte that is not in the (unterminated, empty) set
    [InlineData("[é]", new string[0])]           // a set of the two bytes of é matches one byte, and é is two
    [InlineData("[é]?", new[] { "é" })]
    [InlineData("é", new[] { "é" })]
    [InlineData("[a-é]", new[] { "a", "!" })]    // the range 0xC3 (-61) .. 'a' (97): every ASCII byte up to 'a'
    [InlineData("[!-é]*", new[] { "é", "日本", "!" })] // the range -61 .. 33 holds 0xC3 and 0xE6, and '!'
    [InlineData("*本", new[] { "日本" })]
    [InlineData("\\日*", new[] { "日本" })]     // an escape takes the first byte of 日; the rest are literals
    public void IsMatch_NonAsciiKeys_MatchTheirUtf8BytesAsRedisDoes(string pattern, string[] expected)
    {
        string[] keys = ["a", "é", "日本", "!"];
        Assert.Equal(expected.Order(), keys.Where(k => Strata.Engine.Glob.IsMatch(pattern, k)).Order());
        Assert.Equal(expected.Order(), keys.Where(k => ReferenceGlob.IsMatch(pattern, k)).Order());
        Assert.Equal(expected.Order(), keys.Where(k => Strata.Engine.Glob.IsMatch(Encoding.UTF8.GetBytes(pattern), Encoding.UTF8.GetBytes(k))).Order());

        using var cache = new LocalCache<int>();
        foreach (string key in keys)
        {
            cache.Set(key, 1);
        }

        Assert.Equal(expected.Order(), cache.Keys(pattern).Order());
        Assert.Equal(expected.Length, cache.RemoveByPattern(pattern));
        Assert.Equal(keys.Length - expected.Length, cache.Count);
    }

    [Fact]
    public void IsMatch_UnpairedSurrogate_IsTheBytesOfTheReplacementCharacter()
    {
        // StackExchange.Redis sends a key with an unpaired surrogate as UTF-8 with U+FFFD in its place (EF BF BD).
        Assert.True(Strata.Engine.Glob.IsMatch("???", "\ud800"));
        Assert.True(Strata.Engine.Glob.IsMatch("\ufffd", "\udfff"));
        Assert.False(Strata.Engine.Glob.IsMatch("????", "\ud800"));
    }

    [Fact]
    public void IsMatch_MoreThanAThousandStarGroups_MatchesNothing_AsRedisRefusesToRecurseThatDeep()
    {
        string text = new('a', 1200);
        string thousand = string.Concat(Enumerable.Repeat("a*", 1000)) + "a";
        string thousandAndOne = string.Concat(Enumerable.Repeat("a*", 1001)) + "a";

        Assert.True(Strata.Engine.Glob.IsMatch(thousand, text));
        Assert.False(Strata.Engine.Glob.IsMatch(thousandAndOne, text));
        Assert.True(Strata.Engine.Glob.IsMatch(thousandAndOne.AsSpan(0, thousandAndOne.Length - 1), text)); // its last star group is trailing: not a recursion
        Assert.Equal(ReferenceGlob.IsMatch(thousandAndOne, text), Strata.Engine.Glob.IsMatch(thousandAndOne, text));
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
        // Non-ASCII characters ('é' is 2 UTF-8 bytes, '日' 3, an emoji a surrogate pair of 4) exercise the byte-wise
        // matching and the signed ranges.
        Gen<string> text = Gen.Elements("a", "b", "A", "B", "-", "^", "]", "[", "\\", "*", "é", "日", "\ud83d\ude00").ArrayOf().Select(c => string.Concat(c.Take(8)));
        Gen<string> pattern = Gen.Elements("a", "b", "A", "B", "*", "?", "[", "]", "^", "-", "\\", "é", "日", "\ud83d\ude00").ArrayOf().Select(c => string.Concat(c.Take(8)));
        Prop.ForAll(pattern.ToArbitrary(), text.ToArbitrary(), (p, t) =>
            Strata.Engine.Glob.IsMatch(p, t, ignoreCase) == ReferenceGlob.IsMatch(p, t, ignoreCase))
            .QuickCheckThrowOnFailure();
    }

    [Property(MaxTest = 500)]
    public void IsMatch_TextAsItsOwnEscapedPattern_Matches(NonEmptyString value)
    {
        string text = value.Get;
        string escaped = string.Concat(text.EnumerateRunes().Select(r => "\\" + r)); // an unpaired surrogate reads as U+FFFD
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
        Assert.InRange(steps, 0, (long)(Encoding.UTF8.GetByteCount(pattern) + 1) * (Encoding.UTF8.GetByteCount(text) + 1));
    }
}
