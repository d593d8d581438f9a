using System;
using System.Text;
using Strata.Engine;

namespace Strata.Testing;

/// <summary>
/// A slow, recursive reading of Redis's <c>stringmatchlen</c>, written for clarity rather than speed: the oracle the
/// production matcher is checked against. Exponential on adversarial input, so tests keep its inputs short. Like Redis
/// it works on the UTF-8 bytes of both strings, each read as a signed C <c>char</c>, and gives up (no match) when its
/// recursion through stars goes deeper than 1,000.
/// </summary>
public static class ReferenceGlob
{
    public static bool IsMatch(string pattern, string text, bool ignoreCase = false) =>
        Match(Signed(pattern), Signed(text), ignoreCase, nesting: 0, out _);

    private static sbyte[] Signed(string value) => Array.ConvertAll(Encoding.UTF8.GetBytes(value), b => (sbyte)b);

    // skipLonger is Redis's skipLongerMatches: a star that tried every remaining run of the text and failed tells the
    // stars before it that no longer run of theirs can succeed either (the rest is only shorter). It changes no answer,
    // but without it an input that hits the nesting limit explores every combination of runs.
    private static bool Match(ReadOnlySpan<sbyte> p, ReadOnlySpan<sbyte> s, bool nocase, int nesting, out bool skipLonger)
    {
        skipLonger = false;
        if (nesting > 1000)
        {
            return false;
        }

        while (p.Length > 0 && s.Length > 0)
        {
            switch ((int)p[0])
            {
                case '*':
                    while (p.Length > 1 && p[1] == '*')
                    {
                        p = p[1..];
                    }

                    if (p.Length == 1)
                    {
                        return true;
                    }

                    for (; s.Length > 0; s = s[1..])
                    {
                        if (Match(p[1..], s, nocase, nesting + 1, out skipLonger))
                        {
                            return true;
                        }

                        if (skipLonger)
                        {
                            return false;
                        }
                    }

                    skipLonger = true;
                    return false;
                case '?':
                    s = s[1..];
                    break;
                case '[':
                {
                    p = p[1..];
                    bool not = p.Length > 0 && p[0] == '^';
                    if (not)
                    {
                        p = p[1..];
                    }

                    bool match = false;
                    while (true)
                    {
                        if (p.Length == 0)
                        {
                            break; // unterminated: the set ends with the pattern
                        }

                        if (p[0] == '\\' && p.Length >= 2)
                        {
                            p = p[1..];
                            match |= p[0] == s[0];
                        }
                        else if (p[0] == ']')
                        {
                            break;
                        }
                        else if (p.Length >= 3 && p[1] == '-')
                        {
                            int lo = p[0], hi = p[2], c = s[0];
                            if (lo > hi)
                            {
                                (lo, hi) = (hi, lo);
                            }

                            if (nocase)
                            {
                                lo = Lower(lo);
                                hi = Lower(hi);
                                c = Lower(c);
                            }

                            p = p[2..];
                            match |= c >= lo && c <= hi;
                        }
                        else
                        {
                            match |= nocase ? Lower(p[0]) == Lower(s[0]) : p[0] == s[0];
                        }

                        p = p[1..];
                    }

                    if (not)
                    {
                        match = !match;
                    }

                    if (!match)
                    {
                        return false;
                    }

                    s = s[1..];
                    if (p.Length == 0)
                    {
                        // The set ran to the end; step back so the common advance below lands on the end.
                        return s.Length == 0;
                    }

                    break;
                }

                case '\\' when p.Length >= 2:
                    p = p[1..];
                    if (nocase ? Lower(p[0]) != Lower(s[0]) : p[0] != s[0])
                    {
                        return false;
                    }

                    s = s[1..];
                    break;
                default:
                    if (nocase ? Lower(p[0]) != Lower(s[0]) : p[0] != s[0])
                    {
                        return false;
                    }

                    s = s[1..];
                    break;
            }

            p = p[1..];
            if (s.Length == 0)
            {
                while (p.Length > 0 && p[0] == '*')
                {
                    p = p[1..];
                }

                break;
            }
        }

        return p.Length == 0 && s.Length == 0;
    }

    private static int Lower(int c) => c is >= 'A' and <= 'Z' ? c + 32 : c;
}
