using System;
using System.Threading;

namespace Strata;

/// <summary>
/// A counter that many threads increment without contending on one cache line: each processor has its own padded
/// cell and <see cref="Sum"/> adds them up. Used for hits and misses, which every reader records.
/// </summary>
/// <remarks>
/// Cells are 64 bytes apart so two processors never share a line. The processor id is only a hint (a thread can
/// migrate between reading it and incrementing), which costs nothing in correctness because the increment is atomic.
/// </remarks>
internal sealed class StripedCounter
{
    private const int CellStride = 8; // longs per 64-byte cache line
    private readonly long[] _cells;
    private readonly int _mask;

    internal StripedCounter()
    {
        int cells = (int)Math.Min(64, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount));
        _mask = cells - 1;
        // One extra line of padding at the front keeps cell 0 away from the array header and its neighbours.
        _cells = new long[(cells + 1) * CellStride];
    }

    internal void Increment()
    {
        int cell = Thread.GetCurrentProcessorId() & _mask;
        Interlocked.Increment(ref _cells[(cell + 1) * CellStride]);
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
