using System;
using System.Text;
using Strata.Engine;
using Strata.Testing;

namespace Strata.Fuzz.Targets;

/// <summary>
/// The glob matcher against the slow reference reading of Redis's <c>stringmatchlen</c>: the first byte splits the
/// rest into pattern and text and picks case-insensitivity; bytes map onto an alphabet dense in glob syntax. Fails on
/// any disagreement, and when the matcher's step count passes (pattern + 1) x (text + 1), its documented bound.
/// </summary>
internal sealed class GlobTarget : IFuzzTarget
{
    private const string Alphabet = "ab*?[]^-\\Acé日"; // é and 日 are 2 and 3 UTF-8 bytes: the matcher works on bytes
    private const int OracleStars = 4; // the reference recurses per star: beyond this it may not finish

    public string Name => "glob";

    public void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        bool ignoreCase = (data[0] & 0x80) != 0;
        int split = Math.Min(data[0] & 0x7F, data.Length - 1);
        string pattern = Map(data.Slice(1, split));
        string text = Map(data[(1 + split)..]);

        long steps = 0;
        bool matched = Glob.IsMatch(pattern, text, ignoreCase, ref steps);
        long bound = (long)(Encoding.UTF8.GetByteCount(pattern) + 1) * (Encoding.UTF8.GetByteCount(text) + 1); // one step per byte
        if (steps > bound)
        {
            throw new FuzzFailure($"glob took {steps} steps, over its bound {bound}: pattern '{pattern}', text '{text}'");
        }

        if (Stars(pattern) <= OracleStars && pattern.Length <= 24 && text.Length <= 24 && ReferenceGlob.IsMatch(pattern, text, ignoreCase) != matched)
        {
            throw new FuzzFailure($"glob says {matched}, the reference {!matched}: pattern '{pattern}', text '{text}', ignoreCase {ignoreCase}");
        }
    }

    private static string Map(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            chars[i] = Alphabet[bytes[i] % Alphabet.Length];
        }

        return new string(chars);
    }

    private static int Stars(string pattern) => pattern.AsSpan().Count('*');
}
