using System;

namespace Strata.Engine;

/// <summary>
/// Redis-compatible glob matching, as used by <c>KEYS</c>, <c>SCAN MATCH</c> and pattern deletes.
/// </summary>
/// <remarks>
/// <para>
/// Semantics follow Redis <c>stringmatchlen</c> exactly: <c>*</c> matches any run of characters, <c>?</c> one
/// character, <c>[abc]</c> one of a set, <c>[^abc]</c> one outside it, <c>[a-z]</c> a range (a range written
/// backwards, <c>[z-a]</c>, is the same range), and <c>\x</c> the character <c>x</c> literally, inside or outside a
/// set. A set that is never closed runs to the end of the pattern, so <c>[a</c> matches <c>a</c>. Like Redis, an
/// empty text is matched only by an empty pattern (<c>*</c> does not match the empty string), and case folding is
/// ASCII only, except that an escaped character inside a set is always compared exactly.
/// </para>
/// <para>
/// Design: the matcher is iterative and keeps a single backtrack point, the most recent <c>*</c>. Every token other
/// than <c>*</c> consumes exactly one character, so on a mismatch only the latest star needs to try a longer run;
/// earlier stars never have to. The work is therefore bounded by O(pattern length x text length) for any input, with
/// no recursion and no allocation. (Redis itself needed two CVE fixes for its recursive matcher.)
/// </para>
/// </remarks>
public static class Glob
{
    /// <summary>Tells whether <paramref name="text"/> matches the Redis glob <paramref name="pattern"/>.</summary>
    /// <param name="pattern">The glob pattern.</param>
    /// <param name="text">The text to test, typically a key.</param>
    /// <param name="ignoreCase">Fold ASCII letters before comparing, as Redis does with its <c>nocase</c> flag.</param>
    /// <returns><see langword="true"/> when the whole text matches the whole pattern.</returns>
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text, bool ignoreCase = false)
    {
        long steps = 0;
        return IsMatch(pattern, text, ignoreCase, ref steps);
    }

    /// <summary>Tells whether <paramref name="pattern"/> matches every text, as a lone <c>*</c> does for SCAN.</summary>
    internal static bool MatchesEverything(string? pattern) => pattern is null || pattern is "*";

    /// <summary>
    /// The matcher itself; <paramref name="steps"/> is incremented once per comparison of a pattern token with a text
    /// character, so tests can check the O(pattern x text) bound by counting rather than timing.
    /// </summary>
    internal static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text, bool ignoreCase, ref long steps)
    {
        // Redis only enters its matching loop when both sides are non-empty; an empty text therefore matches
        // nothing but the empty pattern, stars included.
        if (text.IsEmpty)
        {
            return pattern.IsEmpty;
        }

        int p = 0;
        int t = 0;
        int starPattern = -1; // pattern index just past the latest run of '*'
        int starText = 0;     // text index where that star's current run ends

        while (true)
        {
            if (t == text.Length)
            {
                // Text consumed: only trailing stars may remain.
                while (p < pattern.Length && pattern[p] == '*')
                {
                    p++;
                }

                if (p == pattern.Length)
                {
                    return true;
                }
            }
            else if (p < pattern.Length)
            {
                if (pattern[p] == '*')
                {
                    while (p < pattern.Length && pattern[p] == '*')
                    {
                        p++;
                    }

                    if (p == pattern.Length)
                    {
                        return true; // a trailing star swallows the rest of the text
                    }

                    starPattern = p;
                    starText = t;
                    continue;
                }

                steps++;
                if (MatchToken(pattern, p, text[t], ignoreCase, out int tokenLength))
                {
                    p += tokenLength;
                    t++;
                    continue;
                }
            }

            // Mismatch, or pattern exhausted with text left: let the latest star swallow one more character.
            // A star is never retried against an empty remainder: every token after it needs one character.
            if (starPattern < 0 || starText + 1 >= text.Length)
            {
                return false;
            }

            starText++;
            t = starText;
            p = starPattern;
        }
    }

    /// <summary>
    /// Matches the single token at <paramref name="p"/> (not a star) against <paramref name="c"/>. The token's length
    /// depends on the pattern alone, never on the character, so it is reported whether or not it matched.
    /// </summary>
    private static bool MatchToken(ReadOnlySpan<char> pattern, int p, char c, bool ignoreCase, out int tokenLength)
    {
        switch (pattern[p])
        {
            case '?':
                tokenLength = 1;
                return true;
            case '[':
                return MatchSet(pattern, p, c, ignoreCase, out tokenLength);
            case '\\' when p + 1 < pattern.Length:
                tokenLength = 2;
                return CharEquals(pattern[p + 1], c, ignoreCase);
            default:
                // Includes a trailing lone '\', which Redis compares literally.
                tokenLength = 1;
                return CharEquals(pattern[p], c, ignoreCase);
        }
    }

    private static bool MatchSet(ReadOnlySpan<char> pattern, int open, char c, bool ignoreCase, out int tokenLength)
    {
        int i = open + 1;
        bool negate = i < pattern.Length && pattern[i] == '^';
        if (negate)
        {
            i++;
        }

        bool match = false;
        while (true)
        {
            if (i >= pattern.Length)
            {
                break; // unterminated set: it runs to the end of the pattern
            }

            char pc = pattern[i];
            if (pc == '\\' && i + 1 < pattern.Length)
            {
                // Redis compares an escaped set member exactly, even with nocase.
                i++;
                if (pattern[i] == c)
                {
                    match = true;
                }
            }
            else if (pc == ']')
            {
                break;
            }
            else if (i + 2 < pattern.Length && pattern[i + 1] == '-')
            {
                int start = pc;
                int end = pattern[i + 2];
                int value = c;
                if (start > end)
                {
                    (start, end) = (end, start);
                }

                if (ignoreCase)
                {
                    start = ToLowerAscii(start);
                    end = ToLowerAscii(end);
                    value = ToLowerAscii(value);
                }

                i += 2;
                if (value >= start && value <= end)
                {
                    match = true;
                }
            }
            else if (CharEquals(pc, c, ignoreCase))
            {
                match = true;
            }

            i++;
        }

        // Past the closing ']' (or the end of the pattern when the set was never closed).
        tokenLength = Math.Min(i + 1, pattern.Length) - open;
        return negate ? !match : match;
    }

    private static bool CharEquals(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && ToLowerAscii(a) == ToLowerAscii(b));

    private static int ToLowerAscii(int c) => c is >= 'A' and <= 'Z' ? c + ('a' - 'A') : c;
}
