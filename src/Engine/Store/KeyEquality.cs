using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Strata.Engine;

/// <summary>
/// Ordinal key equality for the lookup path, inlined for keys of up to 16 characters (most cache keys) so a hit makes
/// no call: <see cref="string.Equals(string, string)"/> ends in a call to the runtime's <c>SequenceEqual</c>, and
/// around that call the lookup spills the node, the hash and the bucket array to the stack and reloads them.
/// </summary>
/// <remarks>
/// Each comparison reads the first and the last block of the key, overlapping when the length is not a multiple of
/// the block: every read stays within the characters of both keys, which have the same length by then.
/// </remarks>
internal static class KeyEquality
{
    /// <summary>Whether two keys of equal length <paramref name="length"/> (in characters) hold the same characters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool SameCharacters(ref char first, ref char second, int length)
    {
        ref byte a = ref Unsafe.As<char, byte>(ref first);
        ref byte b = ref Unsafe.As<char, byte>(ref second);
        nuint bytes = (nuint)(uint)length * sizeof(char);
        if (bytes >= 16)
        {
            if (bytes > 32 || !Vector128.IsHardwareAccelerated)
            {
                return MemoryMarshal.CreateReadOnlySpan(ref first, length).SequenceEqual(MemoryMarshal.CreateReadOnlySpan(ref second, length));
            }

            // 8 to 16 characters: the first and the last 16 bytes.
            Vector128<byte> head = Vector128.LoadUnsafe(ref a) ^ Vector128.LoadUnsafe(ref b);
            Vector128<byte> tail = Vector128.LoadUnsafe(ref a, bytes - 16) ^ Vector128.LoadUnsafe(ref b, bytes - 16);
            return (head | tail) == Vector128<byte>.Zero;
        }

        if (bytes >= 8)
        {
            // 4 to 7 characters: the first and the last 8 bytes.
            return ((Unsafe.ReadUnaligned<ulong>(ref a) ^ Unsafe.ReadUnaligned<ulong>(ref b)) |
                (Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref a, bytes - 8)) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, bytes - 8)))) == 0;
        }

        if (bytes >= 4)
        {
            // 2 or 3 characters: the first and the last 4 bytes.
            return ((Unsafe.ReadUnaligned<uint>(ref a) ^ Unsafe.ReadUnaligned<uint>(ref b)) |
                (Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref a, bytes - 4)) ^ Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, bytes - 4)))) == 0;
        }

        return bytes == 0 || first == second; // none or one character
    }

    /// <summary>Ordinal equality of a stored key and a looked-up one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Equal(string stored, string key) =>
        stored.Length == key.Length && SameCharacters(ref MemoryMarshal.GetReference(stored.AsSpan()), ref MemoryMarshal.GetReference(key.AsSpan()), key.Length);

    /// <summary>Ordinal equality of a stored key and a looked-up span of characters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Equal(string stored, ReadOnlySpan<char> key) =>
        stored.Length == key.Length && SameCharacters(ref MemoryMarshal.GetReference(stored.AsSpan()), ref MemoryMarshal.GetReference(key), key.Length);
}
