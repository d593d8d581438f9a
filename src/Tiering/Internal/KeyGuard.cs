using System;

namespace Strata.Tiering;

/// <summary>The checks every key a caller passes goes through, so that a bad key is refused before anything is written.</summary>
internal static class KeyGuard
{
    /// <summary>Throws unless <paramref name="key"/> is a non-empty string of at most <see cref="TieredCache.MaxKeyLength"/> characters.</summary>
    internal static void Valid(string key, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(key, parameterName);
        if ((uint)(key.Length - 1) >= TieredCache.MaxKeyLength)
        {
            ThrowBadLength(key, parameterName);
        }
    }

    /// <summary>
    /// Throws when <paramref name="key"/> contains a segment the cache keeps for itself (<c>__idx:</c>, <c>__tag:</c>,
    /// <c>__grp:</c>): a value written there would overwrite an index's Redis set.
    /// </summary>
    internal static void NotReserved(string key, string parameterName)
    {
        int at = key.IndexOf("__", StringComparison.Ordinal);
        while (at >= 0)
        {
            ReadOnlySpan<char> rest = key.AsSpan(at + 2);
            if (rest.StartsWith("idx:", StringComparison.Ordinal) || rest.StartsWith("tag:", StringComparison.Ordinal) || rest.StartsWith("grp:", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Key '{Shorten(key)}' contains '{key.AsSpan(at, 6)}', which the cache keeps for index and tag sets.", parameterName);
            }

            at = key.IndexOf("__", at + 1, StringComparison.Ordinal);
        }
    }

    private static void ThrowBadLength(string key, string parameterName) =>
        throw new ArgumentException(
            key.Length == 0 ? "A key cannot be empty." : $"A key is at most {TieredCache.MaxKeyLength} characters; this one has {key.Length}.",
            parameterName);

    private static string Shorten(string key) => key.Length <= 64 ? key : string.Concat(key.AsSpan(0, 61), "...");
}
