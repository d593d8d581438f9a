using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Strata.Engine;

/// <summary>
/// How often keys were seen recently, approximately: a count-min sketch of 4-bit counters (after TinyLFU, Einziger et
/// al.), four rows of four counters per key of capacity, halved every ten capacities' worth of increments so that old
/// popularity fades. It decides whether an entry leaving the eviction window may take the place of the main queue's
/// victim (see <see cref="WindowedSieve{TValue}"/>).
/// </summary>
/// <remarks>
/// <para>
/// Sized for at least <see cref="MinKeys"/> keys, so a small cache still tells apart the keys of a working set several
/// times its size. Both sizes come from the recorded traces (bench/RESULTS.md): with one counter per key per row, keys
/// sharing counters made a cold candidate look as popular as main's victim often enough to churn main on loops and
/// scans; and when a sample was shorter than a loop (a cache of 50 entries halved every 500 increments, on a loop of
/// 1,011 keys), the candidate's fresh increment always outweighed the victim's halved one, so every new key was let
/// in and none stayed long enough to be hit. Four counters per key cost 8 bytes per entry of capacity (8 MB at a
/// million entries).
/// </para>
/// <para>
/// Shared by every stripe and written without a lock: readers bump it on a hit that sets an entry's visited bit (the
/// first hit since the eviction hand last cleared it, so a hot key's further hits write nothing), writers on every
/// insert. Each row is a <see cref="long"/> of sixteen counters read and written whole, so a race loses an increment
/// or a halving of one word, never corrupts a counter: the sketch is an estimate either way.
/// </para>
/// <para>
/// The row positions mix the key's hash with a per-sketch random seed, so keys chosen to collide in the table's hash do
/// not also share counters here and cannot make a cold key look popular.
/// </para>
/// </remarks>
internal sealed class FrequencySketch
{
    private const ulong OddMultiplier = 0x9E3779B97F4A7C15UL;
    private const ulong RowStep = 0xD6E8FEB86659FD93UL;
    private const long HalfMask = 0x7777_7777_7777_7777L; // each counter shifted right by one stays within its nibble

    private readonly long[] _table; // four rows of _rowWords longs
    private readonly int _rowShift; // log2 of the counters per row
    private readonly int _rowWords;
    private readonly ulong _seed;
    private readonly int _sampleSize;
    private int _additions;

    /// <summary>The fewest keys the sketch is sized for, whatever the capacity.</summary>
    internal const int MinKeys = 1024;

    /// <param name="capacity">The number of entries the cache holds when full (at least 1).</param>
    internal FrequencySketch(long capacity)
    {
        long keys = Math.Max(capacity, MinKeys);
        int counters = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Min(4 * keys, 1 << 26));
        _rowShift = BitOperations.Log2((uint)counters);
        _rowWords = counters / 16;
        _table = new long[4 * _rowWords];
        _sampleSize = (int)Math.Min(10L * keys, int.MaxValue);
        _seed = (ulong)Random.Shared.NextInt64() | 1;
    }

    /// <summary>Counts one more sighting of the key with <paramref name="hash"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // off the hit path's fast branch: it runs on a visited bit's 0 -> 1 only
    internal void Increment(int hash)
    {
        ulong mixed = Mix(hash);
        bool added = false;
        for (int row = 0; row < 4; row++)
        {
            ref long word = ref Word(mixed, row, out int shift);
            long current = word;
            if (((current >> shift) & 0xF) != 0xF)
            {
                word = current + (1L << shift);
                added = true;
            }
        }

        if (added && ++_additions >= _sampleSize)
        {
            Halve();
        }
    }

    /// <summary>The estimated recent count of the key with <paramref name="hash"/>: 0 to 15.</summary>
    internal int Frequency(int hash)
    {
        ulong mixed = Mix(hash);
        int frequency = 15;
        for (int row = 0; row < 4; row++)
        {
            int count = (int)(Word(mixed, row, out int shift) >> shift) & 0xF;
            frequency = Math.Min(frequency, count);
        }

        return frequency;
    }

    /// <summary>Halves every counter: what was popular a while ago counts for less than what is popular now.</summary>
    private void Halve()
    {
        _additions = 0;
        long[] table = _table;
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = (table[i] >> 1) & HalfMask;
        }
    }

    /// <summary>The key's mix of its hash and the seed, from which each row takes its own position.</summary>
    private ulong Mix(int hash)
    {
        ulong x = ((ulong)(uint)hash ^ _seed) * OddMultiplier;
        return x ^ (x >> 31);
    }

    /// <summary>The word that holds the key's counter in <paramref name="row"/>, and the counter's bit offset in it.</summary>
    private ref long Word(ulong mixed, int row, out int shift)
    {
        int counter = Position(mixed, row);
        shift = (counter & 15) << 2;
        return ref _table[(row * _rowWords) + (counter >> 4)];
    }

    /// <summary>The key's counter in <paramref name="row"/>: the top bits of a further mix that differs per row (a xor-shift before the multiply, so that two keys sharing a counter in one row do not share one in every row).</summary>
    private int Position(ulong mixed, int row)
    {
        ulong x = mixed + ((ulong)row * RowStep);
        x ^= x >> 32;
        return (int)((x * OddMultiplier) >> (64 - _rowShift));
    }
}
