using System;
using System.Text;

namespace Strata.Engine;

/// <summary>
/// A glob prepared once for matching many keys, as a scan does: an ASCII pattern is kept as its characters, any other
/// as its UTF-8 bytes, so no key's match encodes the pattern again.
/// </summary>
internal readonly struct GlobPattern
{
    private readonly string? _ascii;
    private readonly byte[]? _utf8;

    internal GlobPattern(string pattern)
    {
        if (Ascii.IsValid(pattern))
        {
            _ascii = pattern;
        }
        else
        {
            _utf8 = Encoding.UTF8.GetBytes(pattern);
        }
    }

    /// <summary>Tells whether <paramref name="text"/> matches, as <see cref="Glob.IsMatch(ReadOnlySpan{char}, ReadOnlySpan{char}, bool)"/> would.</summary>
    internal bool IsMatch(ReadOnlySpan<char> text)
    {
        long steps = 0;
        return _utf8 is null
            ? Glob.MatchText(_ascii.AsSpan(), text, ignoreCase: false, ref steps)
            : Glob.MatchText((ReadOnlySpan<byte>)_utf8, text, ignoreCase: false, ref steps);
    }
}
