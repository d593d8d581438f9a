using System;
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Strata.Engine;

/// <summary>
/// Redis-compatible glob matching, as used by <c>KEYS</c>, <c>SCAN MATCH</c> and pattern deletes.
/// </summary>
/// <remarks>
/// <para>
/// Semantics follow Redis <c>stringmatchlen</c> exactly, over the UTF-8 bytes of the pattern and the text, as Redis
/// sees a key: <c>*</c> matches any run of bytes, <c>?</c> one byte, <c>[abc]</c> one of a set, <c>[^abc]</c> one
/// outside it, <c>[a-z]</c> a range (a range written backwards, <c>[z-a]</c>, is the same range), and <c>\x</c> the
/// byte <c>x</c> literally, inside or outside a set. A set that is never closed runs to the end of the pattern, so
/// <c>[a</c> matches <c>a</c>. Like Redis, an empty text is matched only by an empty pattern (<c>*</c> does not match
/// the empty string), and case folding is ASCII only, except that an escaped byte inside a set is always compared
/// exactly.
/// </para>
/// <para>
/// So a non-ASCII character is several bytes: <c>?</c> does not match <c>é</c> (two bytes) but <c>??</c> does, and
/// <c>[é]</c> matches neither. Ranges compare bytes as the signed <c>char</c>s of Redis's C code, where every byte from
/// 0x80 up sorts below the ASCII ones: <c>[a-é]</c> is the range from the byte 0xC3 (-61) to <c>a</c>, which holds
/// <c>!</c> but not <c>b</c>. Strings are encoded as StackExchange.Redis sends them (<see cref="Encoding.UTF8"/>, so an
/// unpaired surrogate is the three bytes of U+FFFD). When both sides are ASCII, as most keys are, the characters are
/// matched directly, with no encoding.
/// </para>
/// <para>
/// Design: the matcher is iterative and keeps a single backtrack point, the most recent <c>*</c>. Every token other
/// than <c>*</c> consumes exactly one byte, so on a mismatch only the latest star needs to try a longer run; earlier
/// stars never have to. The work is therefore bounded by O(pattern length x text length) for any input, with no
/// recursion and no allocation. (Redis itself needed two CVE fixes for its recursive matcher, and since then refuses
/// to match a pattern that would nest its recursion more than 1,000 stars deep: see <see cref="MaxStarGroups"/>.)
/// </para>
/// </remarks>
public static class Glob
{
    /// <summary>
    /// The most runs of <c>*</c>, not counting a final one, that a pattern may have and still match anything: Redis 7
    /// stops its recursion at this depth and answers "no match", and so do we.
    /// </summary>
    public const int MaxStarGroups = 1000;

    /// <summary>Texts up to this many UTF-16 characters are encoded on the stack; longer ones in a pooled buffer.</summary>
    private const int StackChars = 256;

    /// <summary>Tells whether <paramref name="text"/> matches the Redis glob <paramref name="pattern"/>, both taken as UTF-8.</summary>
    /// <param name="pattern">The glob pattern.</param>
    /// <param name="text">The text to test, typically a key.</param>
    /// <param name="ignoreCase">Fold ASCII letters before comparing, as Redis does with its <c>nocase</c> flag.</param>
    /// <returns><see langword="true"/> when the whole text matches the whole pattern.</returns>
#pragma warning disable RS0026 // overloads with optional parameters: one per input type (UTF-16 or UTF-8), never ambiguous
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text, bool ignoreCase = false)
#pragma warning restore RS0026
    {
        long steps = 0;
        return IsMatch(pattern, text, ignoreCase, ref steps);
    }

    /// <summary>Tells whether the UTF-8 (or any binary) <paramref name="text"/> matches the Redis glob <paramref name="pattern"/>.</summary>
    /// <param name="pattern">The glob pattern's bytes.</param>
    /// <param name="text">The text's bytes, typically a key as Redis stores it.</param>
    /// <param name="ignoreCase">Fold ASCII letters before comparing, as Redis does with its <c>nocase</c> flag.</param>
    /// <returns><see langword="true"/> when the whole text matches the whole pattern.</returns>
#pragma warning disable RS0026 // see the UTF-16 overload
    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool ignoreCase = false)
#pragma warning restore RS0026
    {
        long steps = 0;
        return Match(pattern, text, ignoreCase, ref steps);
    }

    /// <summary>Tells whether <paramref name="pattern"/> matches every text, as a lone <c>*</c> does for SCAN.</summary>
    internal static bool MatchesEverything(string? pattern) => pattern is null || pattern is "*";

    /// <summary>
    /// The matcher over UTF-16 input; <paramref name="steps"/> is incremented once per comparison of a pattern token
    /// with a text byte, so tests can check the O(pattern x text) bound by counting rather than timing.
    /// </summary>
    internal static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text, bool ignoreCase, ref long steps)
    {
        if (Ascii.IsValid(pattern))
        {
            return MatchText(pattern, text, ignoreCase, ref steps);
        }

        byte[]? rented = null;
        Span<byte> utf8 = pattern.Length <= StackChars ? stackalloc byte[pattern.Length * 3] : (rented = ArrayPool<byte>.Shared.Rent(pattern.Length * 3));
        try
        {
            return MatchText((ReadOnlySpan<byte>)utf8[..Encoding.UTF8.GetBytes(pattern, utf8)], text, ignoreCase, ref steps);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Matches a pattern already in its final form (ASCII characters, or UTF-8 bytes) against UTF-16 text, encoding the
    /// text only when it is not ASCII. <see cref="LocalCache{TValue}.Scan"/> calls this once per key with a pattern it
    /// prepared once.
    /// </summary>
    internal static bool MatchText<TPattern>(ReadOnlySpan<TPattern> pattern, ReadOnlySpan<char> text, bool ignoreCase, ref long steps)
        where TPattern : unmanaged, IBinaryInteger<TPattern>
    {
        if (Ascii.IsValid(text))
        {
            return Match(pattern, text, ignoreCase, ref steps);
        }

        byte[]? rented = null;
        Span<byte> utf8 = text.Length <= StackChars ? stackalloc byte[text.Length * 3] : (rented = ArrayPool<byte>.Shared.Rent(text.Length * 3));
        try
        {
            return Match(pattern, (ReadOnlySpan<byte>)utf8[..Encoding.UTF8.GetBytes(text, utf8)], ignoreCase, ref steps);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The matcher itself, over units that are bytes, or ASCII characters (which are their own bytes). Each unit is
    /// read as Redis's C code reads a <c>char</c>: signed.
    /// </summary>
    private static bool Match<TPattern, TText>(ReadOnlySpan<TPattern> pattern, ReadOnlySpan<TText> text, bool ignoreCase, ref long steps)
        where TPattern : unmanaged, IBinaryInteger<TPattern>
        where TText : unmanaged, IBinaryInteger<TText>
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
        int starGroups = 0;

        while (true)
        {
            if (t == text.Length)
            {
                // Text consumed: only trailing stars may remain.
                while (p < pattern.Length && Unit(pattern[p]) == '*')
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
                if (Unit(pattern[p]) == '*')
                {
                    while (p < pattern.Length && Unit(pattern[p]) == '*')
                    {
                        p++;
                    }

                    if (p == pattern.Length)
                    {
                        return true; // a trailing star swallows the rest of the text
                    }

                    // Redis's recursion depth guard: a deeper star fails whatever follows it, and so the whole match.
                    // (Backtracking only ever returns to the latest star, so each group is counted once.)
                    if (++starGroups > MaxStarGroups)
                    {
                        return false;
                    }

                    starPattern = p;
                    starText = t;
                    continue;
                }

                steps++;
                if (MatchToken(pattern, p, Unit(text[t]), ignoreCase, out int tokenLength))
                {
                    p += tokenLength;
                    t++;
                    continue;
                }
            }

            // Mismatch, or pattern exhausted with text left: let the latest star swallow one more unit.
            // A star is never retried against an empty remainder: every token after it needs one unit.
            if (starPattern < 0 || starText + 1 >= text.Length)
            {
                return false;
            }

            starText++;
            t = starText;
            p = starPattern;
        }
    }

    /// <summary>A unit as Redis reads it: a signed byte (ASCII characters are below 0x80 and read the same).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Unit<T>(T unit)
        where T : unmanaged, IBinaryInteger<T> => (sbyte)byte.CreateTruncating(unit);

    /// <summary>
    /// Matches the single token at <paramref name="p"/> (not a star) against <paramref name="c"/>. The token's length
    /// depends on the pattern alone, never on the text, so it is reported whether or not it matched.
    /// </summary>
    private static bool MatchToken<T>(ReadOnlySpan<T> pattern, int p, int c, bool ignoreCase, out int tokenLength)
        where T : unmanaged, IBinaryInteger<T>
    {
        switch (Unit(pattern[p]))
        {
            case '?':
                tokenLength = 1;
                return true;
            case '[':
                return MatchSet(pattern, p, c, ignoreCase, out tokenLength);
            case '\\' when p + 1 < pattern.Length:
                tokenLength = 2;
                return UnitEquals(Unit(pattern[p + 1]), c, ignoreCase);
            default:
                // Includes a trailing lone '\', which Redis compares literally.
                tokenLength = 1;
                return UnitEquals(Unit(pattern[p]), c, ignoreCase);
        }
    }

    private static bool MatchSet<T>(ReadOnlySpan<T> pattern, int open, int c, bool ignoreCase, out int tokenLength)
        where T : unmanaged, IBinaryInteger<T>
    {
        int i = open + 1;
        bool negate = i < pattern.Length && Unit(pattern[i]) == '^';
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

            int pc = Unit(pattern[i]);
            if (pc == '\\' && i + 1 < pattern.Length)
            {
                // Redis compares an escaped set member exactly, even with nocase.
                i++;
                if (Unit(pattern[i]) == c)
                {
                    match = true;
                }
            }
            else if (pc == ']')
            {
                break;
            }
            else if (i + 2 < pattern.Length && Unit(pattern[i + 1]) == '-')
            {
                int start = pc;
                int end = Unit(pattern[i + 2]);
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
            else if (UnitEquals(pc, c, ignoreCase))
            {
                match = true;
            }

            i++;
        }

        // Past the closing ']' (or the end of the pattern when the set was never closed).
        tokenLength = Math.Min(i + 1, pattern.Length) - open;
        return negate ? !match : match;
    }

    private static bool UnitEquals(int a, int b, bool ignoreCase) =>
        a == b || (ignoreCase && ToLowerAscii(a) == ToLowerAscii(b));

    private static int ToLowerAscii(int c) => c is >= 'A' and <= 'Z' ? c + ('a' - 'A') : c;
}
