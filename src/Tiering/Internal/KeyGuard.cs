using System;
using System.Buffers;

namespace Strata.Tiering;

/// <summary>The checks every key a caller passes goes through, so that a bad key is refused before anything is written.</summary>
internal static class KeyGuard
{
    private static readonly SearchValues<char> s_surrogates = SearchValues.Create(Surrogates());

    /// <summary>
    /// Throws unless <paramref name="key"/> is a non-empty string of at most <see cref="TieredCache.MaxKeyLength"/>
    /// characters with no unpaired surrogate.
    /// </summary>
    internal static void Valid(string key, string parameterName)
    {
        ValidLength(key, parameterName);
        Encodable(key, parameterName);
    }

    /// <summary>
    /// The length half of <see cref="Valid"/>, for the L1 hit paths: a key with an unpaired surrogate was never stored,
    /// so it cannot hit, and those paths check <see cref="Encodable"/> on the way to Redis instead. (Checking on the hit
    /// too doubled the L1-only hit of <c>TieredCache</c>, 14 to 30 ns.)
    /// </summary>
    internal static void ValidLength(string key, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(key, parameterName);
        if ((uint)(key.Length - 1) >= TieredCache.MaxKeyLength)
        {
            ThrowBadLength(key, parameterName);
        }
    }

    /// <summary>Throws when <paramref name="key"/> has an unpaired surrogate (see <see cref="ThrowIfUnpairedSurrogate"/>).</summary>
    internal static void Encodable(string key, string parameterName)
    {
        // Vectorized: a key without surrogates (almost all of them) costs one pass. (Not IndexOfAnyInRange: it allocated
        // on every call here.)
        if (key.AsSpan().ContainsAny(s_surrogates))
        {
            ThrowIfUnpairedSurrogate(key, parameterName);
        }
    }

    /// <summary>
    /// Throws when <paramref name="key"/> holds a surrogate that is not half of a pair. Redis keys are UTF-8, which
    /// cannot encode one: it would be sent as U+FFFD, so "\ud800" and "\udfff" would share a Redis key (and a backplane
    /// message) while L1 kept them apart.
    /// </summary>
    private static void ThrowIfUnpairedSurrogate(string key, string parameterName)
    {
        int i = UnpairedSurrogate(key);
        if (i >= 0)
        {
            throw new ArgumentException($"Key '{Shorten(key)}' has an unpaired surrogate (U+{(int)key[i]:X4}) at index {i}; Redis keys are UTF-8, which cannot encode it.", parameterName);
        }
    }

    /// <summary>The index of the first surrogate in <paramref name="key"/> that is not half of a pair; -1 for none.</summary>
    private static int UnpairedSurrogate(string key)
    {
        for (int i = 0; i < key.Length; i++)
        {
            if (char.IsHighSurrogate(key[i]) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1]))
            {
                i++; // a pair
            }
            else if (char.IsSurrogate(key[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Throws when <paramref name="key"/> contains a segment the cache keeps for itself (<c>__idx:</c>, <c>__tag:</c>,
    /// <c>__grp:</c>): a value written there would overwrite an index's Redis set.
    /// </summary>
    internal static void NotReserved(string key, string parameterName)
    {
        int at = Reserved(key);
        if (at >= 0)
        {
            throw new ArgumentException($"Key '{Shorten(key)}' contains '{key.AsSpan(at, 6)}', which the cache keeps for index and tag sets.", parameterName);
        }
    }

    /// <summary>
    /// Whether <paramref name="key"/> passes every check a write makes (<see cref="Valid"/> and <see cref="NotReserved"/>),
    /// without throwing.
    /// </summary>
    internal static bool IsUsable(string? key) =>
        key is not null && (uint)(key.Length - 1) < TieredCache.MaxKeyLength
        && (!key.AsSpan().ContainsAny(s_surrogates) || UnpairedSurrogate(key) < 0)
        && Reserved(key) < 0;

    /// <summary>The index of the first segment of <paramref name="key"/> kept for index and tag sets; -1 for none.</summary>
    private static int Reserved(string key)
    {
        int at = key.IndexOf("__", StringComparison.Ordinal);
        while (at >= 0)
        {
            ReadOnlySpan<char> rest = key.AsSpan(at + 2);
            if (rest.StartsWith("idx:", StringComparison.Ordinal) || rest.StartsWith("tag:", StringComparison.Ordinal) || rest.StartsWith("grp:", StringComparison.Ordinal))
            {
                return at;
            }

            at = key.IndexOf("__", at + 1, StringComparison.Ordinal);
        }

        return -1;
    }

    private static void ThrowBadLength(string key, string parameterName) =>
        throw new ArgumentException(
            key.Length == 0 ? "A key cannot be empty." : $"A key is at most {TieredCache.MaxKeyLength} characters; this one has {key.Length}.",
            parameterName);

    private static char[] Surrogates()
    {
        var all = new char[0xE000 - 0xD800];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = (char)(0xD800 + i);
        }

        return all;
    }

    private static string Shorten(string key) => key.Length <= 64 ? key : string.Concat(key.AsSpan(0, 61), "...");
}
