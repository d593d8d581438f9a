using System;
using System.Numerics;
using System.Threading;

namespace Strata;

/// <summary>
/// A counter for events every reader records (hits and misses), cheap enough for a lock-free read path: threads
/// spread over padded cells, increment their own cell with a plain store, and <see cref="Sum"/> adds the cells up.
/// </summary>
/// <remarks>
/// <para>
/// Why not <see cref="Interlocked.Increment(ref long)"/>: its <c>lock</c> prefix is a full fence, and on the hit path
/// that fence stops the processor from overlapping one lookup with the next. Measured on the reference machine, the
/// atomic counter cost about 3 ns of an 8 ns hit. A plain increment of a cell that only one thread writes is exact
/// and costs under half a nanosecond.
/// </para>
/// <para>
/// The cost of this choice: each thread takes a cell once, round-robin, and keeps it; with more concurrently reading
/// threads than cells, two threads can share a cell, and an increment they make at the same instant can be lost. So
/// the totals are exact for single-threaded use and whenever concurrent readers hold distinct cells, and may undercount
/// by a small fraction under contention. Cells are 64 bytes apart so neighbours never share a cache line.
/// </para>
/// </remarks>
internal sealed class StripedCounter
{
    private const int CellStride = 8; // longs per 64-byte cache line

    // The cell this thread uses in every counter, plus one (0: not chosen yet). One choice per thread, for all counters.
    [ThreadStatic]
    private static int t_cell;
    private static int s_nextCell;

    private readonly long[] _cells;
    private readonly int _mask;

    internal StripedCounter()
    {
        int cells = (int)Math.Min(64, BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, Environment.ProcessorCount * 2)));
        _mask = cells - 1;
        // One extra line of padding at the front keeps cell 0 away from the array header and its neighbours.
        _cells = new long[(cells + 1) * CellStride];
    }

    internal void Increment()
    {
        int cell = t_cell;
        if (cell == 0)
        {
            cell = t_cell = Interlocked.Increment(ref s_nextCell);
        }

        _cells[((cell & _mask) + 1) * CellStride]++; // plain: see the remarks on the type
    }

    internal long Sum()
    {
        long sum = 0;
        for (int i = 1; i <= _mask + 1; i++)
        {
            sum += Volatile.Read(ref _cells[i * CellStride]);
        }

        return sum;
    }
}
