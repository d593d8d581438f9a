using System;
using System.Globalization;

namespace Strata.Tiering;

/// <summary>
/// Builds cache keys the way the services Strata replaces built them, <c>prefix:module:function:args_hash</c>, with one
/// allocation for the key and none for the hash of short arguments.
/// </summary>
/// <remarks>
/// The hash is stable: the same arguments give the same hash in every process, on every machine and across restarts
/// (unlike <see cref="string.GetHashCode()"/>, which is randomized per process), so instances sharing Redis agree on
/// keys. It is 64-bit FNV-1a over each argument's invariant text, tagged with the argument's kind and length so that
/// <c>("ab", "c")</c> and <c>("a", "bc")</c> differ; it is meant to tell calls apart, not to resist an adversary.
/// </remarks>
public static class CacheKey
{
    /// <summary>The separator between the parts of a key.</summary>
    public const char Separator = ':';

    private const ulong FnvOffset = 14695981039346656037;
    private const ulong FnvPrime = 1099511628211;

    /// <summary>Joins parts with <see cref="Separator"/>: <c>Join("users", "profile", "42")</c> is <c>users:profile:42</c>.</summary>
    /// <param name="parts">The parts; none may be null or empty.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">There are no parts, or one is null or empty.</exception>
    public static string Join(params ReadOnlySpan<string> parts)
    {
        if (parts.IsEmpty)
        {
            throw new ArgumentException("A key needs at least one part.", nameof(parts));
        }

        int length = parts.Length - 1;
        for (int i = 0; i < parts.Length; i++)
        {
            if (string.IsNullOrEmpty(parts[i]))
            {
                throw new ArgumentException($"Part {i} of the key is null or empty.", nameof(parts));
            }

            length += parts[i].Length;
        }

        Span<char> key = length <= 256 ? stackalloc char[length] : new char[length];
        int at = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            if (i > 0)
            {
                key[at++] = Separator;
            }

            parts[i].CopyTo(key[at..]);
            at += parts[i].Length;
        }

        return new string(key);
    }

    /// <summary>
    /// Returns a stable hash of a call's arguments as 16 lowercase hex digits, for the last part of a key. Arguments
    /// are read as invariant-culture text (numbers, dates and anything <see cref="IFormattable"/>) or
    /// <see cref="object.ToString"/>; null is distinct from every string.
    /// </summary>
    /// <param name="arguments">The arguments, in order.</param>
    /// <returns>The hash.</returns>
    public static string HashArguments(params ReadOnlySpan<object?> arguments)
    {
        ulong hash = FnvOffset;
        Span<char> buffer = stackalloc char[64];
        foreach (object? argument in arguments)
        {
            switch (argument)
            {
                case null:
                    hash = Mix(hash, 0);
                    break;
                case string text:
                    hash = MixText(Mix(hash, 1), text);
                    break;
                case ISpanFormattable formattable when formattable.TryFormat(buffer, out int written, default, CultureInfo.InvariantCulture):
                    hash = MixText(Mix(hash, 2), buffer[..written]);
                    break;
                case IFormattable formattable:
                    hash = MixText(Mix(hash, 2), formattable.ToString(null, CultureInfo.InvariantCulture));
                    break;
                default:
                    hash = MixText(Mix(hash, 3), argument.ToString());
                    break;
            }
        }

        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }

    private static ulong MixText(ulong hash, ReadOnlySpan<char> text)
    {
        hash = Mix(hash, (uint)text.Length);
        foreach (char c in text)
        {
            hash = Mix(hash, c);
        }

        return hash;
    }

    private static ulong Mix(ulong hash, uint value)
    {
        // Byte by byte, as FNV-1a is defined; four bytes cover a length and a char alike.
        for (int i = 0; i < 4; i++)
        {
            hash = (hash ^ ((value >> (8 * i)) & 0xFF)) * FnvPrime;
        }

        return hash;
    }
}
