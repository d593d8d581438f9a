using System;

namespace Strata.Testing;

/// <summary>Allocation counts of a hot path, which are exact and so may be asserted (timings may not).</summary>
public static class Allocations
{
    /// <summary>
    /// Calls <paramref name="hit"/> once to warm it up, then <paramref name="calls"/> times: every call must report that
    /// it completed synchronously, and together they must allocate nothing on this thread. Build any delegate the call
    /// uses before, outside <paramref name="hit"/>: a lambda's first use allocates it.
    /// </summary>
    public static void AssertSynchronousAndFree(Func<bool> hit, int calls = 100)
    {
        if (!hit())
        {
            throw new CheckFailedException("The warm-up call did not complete synchronously.");
        }

        int synchronous = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < calls; i++)
        {
            synchronous += hit() ? 1 : 0;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated != 0 || synchronous != calls)
        {
            throw new CheckFailedException($"{calls} calls allocated {allocated} bytes and {synchronous} of them completed synchronously; expected 0 bytes and all of them.");
        }
    }
}
