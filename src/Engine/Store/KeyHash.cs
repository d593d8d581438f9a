using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Strata.Engine;

/// <summary>
/// The hashes of cache keys: a fast one used by default, and the runtime's randomized one that a segment falls back to
/// when its chains show that someone is flooding it with colliding keys.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Fast"/> is a wyhash-style function (a 64x64 to 128-bit multiply folded to 64 bits): keys of up to eight
/// characters cost two multiplies, longer ones one more per eight characters. Its constants are fixed, so an attacker
/// who knows them can build colliding keys; that is what <see cref="Randomized"/> (Marvin with a per-process seed, as
/// <see cref="string.GetHashCode()"/>) is for. The runtime's own dictionaries make the same trade: a non-randomized
/// string hash until a chain passes 100 entries. Marvin costs about 6 ns on a short key on the reference machine,
/// which alone would make a cache hit half again as slow as <c>ConcurrentDictionary</c>'s.
/// </para>
/// <para>Both work on characters, so a <see cref="string"/> key and the same key as a span hash alike.</para>
/// </remarks>
internal static class KeyHash
{
    private const ulong Secret0 = 0xa0761d6478bd642fUL;
    private const ulong Secret1 = 0xe7037ed1a0b428dbUL;

    /// <summary>The default, non-randomized hash.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Fast(ReadOnlySpan<char> key)
    {
        ref byte start = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(key));
        int length = key.Length * sizeof(char);
        ulong seed = Secret0 ^ (ulong)length;
        ulong a, b;
        if (length <= 16)
        {
            if (length >= 8)
            {
                // The first and the last eight bytes, overlapping for keys of five to seven characters.
                a = Unsafe.ReadUnaligned<ulong>(ref start);
                b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, length - 8));
            }
            else if (length >= 4)
            {
                a = Unsafe.ReadUnaligned<uint>(ref start);
                b = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, length - 4));
            }
            else
            {
                a = length == 2 ? Unsafe.ReadUnaligned<ushort>(ref start) : 0UL;
                b = 0;
            }
        }
        else
        {
            int offset = 0;
            for (; length - offset > 16; offset += 16)
            {
                seed = Mix(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset)) ^ Secret1,
                    Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset + 8)) ^ seed);
            }

            a = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, length - 16));
            b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, length - 8));
        }

        ulong hash = Mix(Secret1 ^ (ulong)length, Mix(a ^ Secret1, b ^ seed));
        return (int)hash ^ (int)(hash >> 32);
    }

    /// <summary>The randomized fallback: the runtime's per-process Marvin hash.</summary>
    internal static int Randomized(ReadOnlySpan<char> key) => string.GetHashCode(key);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong x, ulong y)
    {
        if (Bmi2.X64.IsSupported)
        {
            // High and low halves as two independent multiplies: Math.BigMul returns the low half through memory,
            // a store and a reload in the middle of the hash's dependency chain.
            return Bmi2.X64.MultiplyNoFlags(x, y) ^ (x * y);
        }

        UInt128 product = Math.BigMul(x, y);
        return (ulong)(product >> 64) ^ (ulong)product;
    }
}
