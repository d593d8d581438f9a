using System;
using Strata.Engine;

namespace Strata.Testing;

/// <summary>
/// A slow, recursive reading of Redis's <c>stringmatchlen</c>, written for clarity rather than speed: the oracle the
/// production matcher is checked against. Exponential on adversarial input, so tests keep its inputs short.
/// </summary>
public static class ReferenceGlob
{
    public static bool IsMatch(string pattern, string text, bool ignoreCase = false) =>
        Match(pattern.AsSpan(), text.AsSpan(), ignoreCase);

    private static bool Match(ReadOnlySpan<char> p, ReadOnlySpan<char> s, bool nocase)
    {
        while (p.Length > 0 && s.Length > 0)
        {
            switch (p[0])
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
                        if (Match(p[1..], s, nocase))
                        {
                            return true;
                        }
                    }

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
