using System.Threading;

namespace Strata.Tiering;

/// <summary>The live counters behind <see cref="NamespaceStatistics"/>, bumped by the cache's operations.</summary>
internal sealed class NamespaceCounters
{
    private long _hits;
    private long _misses;
    private long _sets;

    internal void Hit() => Interlocked.Increment(ref _hits);

    internal void Miss() => Interlocked.Increment(ref _misses);

    internal void Set() => Interlocked.Increment(ref _sets);

    internal void Read(bool hit)
    {
        if (hit)
        {
            Hit();
        }
        else
        {
            Miss();
        }
    }

    internal NamespaceStatistics Snapshot() => new()
    {
        Hits = Volatile.Read(ref _hits),
        Misses = Volatile.Read(ref _misses),
        Sets = Volatile.Read(ref _sets),
    };
}
