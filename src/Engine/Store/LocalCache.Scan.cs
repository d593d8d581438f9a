using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Threading;

namespace Strata.Engine;

/// <summary>Cursor scans of <see cref="LocalCache{TValue}"/> (Redis <c>SCAN</c>) and what is built on them: key enumeration and pattern removal.</summary>
public sealed partial class LocalCache<TValue>
{
    /// <summary>
    /// Returns one page of a cursor scan over the keys (Redis <c>SCAN cursor MATCH pattern COUNT count</c>). Start
    /// with cursor 0 and pass each returned cursor back until it is 0. A key present for the whole scan is returned
    /// at least once, even while the cache is written and grows; a key may be returned more than once. (One
    /// exception: a stripe flooded with colliding keys rehashes once with a randomized hash, and a scan running across
    /// that rebuild may miss keys of that stripe.)
    /// </summary>
    /// <param name="cursor">0 to start, else a cursor returned by the previous call.</param>
    /// <param name="pattern">A Redis glob (see <see cref="Glob"/>), or <see langword="null"/> for every key.</param>
    /// <param name="count">The amount of work per call: about this many keys are examined (matched or not).</param>
    /// <returns>The next cursor and the matching keys of this page.</returns>
    public ScanResult Scan(long cursor, string? pattern = null, int count = 10)
    {
        ThrowIfDisposed();
        if (cursor < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(cursor), cursor, "A scan cursor is 0 or a value returned by Scan.");
        }

        if (count <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(count), count, "The scan count must be positive.");
        }

        // Cursor layout: the low bits pick the stripe, the rest is that stripe's reverse-binary bucket cursor.
        int stripeBits = 32 - _segmentShift;
        int stripe = (int)(cursor & (_segments.Length - 1));
        ulong bucketCursor = (ulong)cursor >> stripeBits;
        bool matchAll = Glob.MatchesEverything(pattern);
        GlobPattern glob = matchAll ? default : new GlobPattern(pattern!);
        long now = _clock.NowMilliseconds();
        var keys = new List<string>();
        int examined = 0;
        long bucketBudget = (long)count * ScanBucketsPerKey;

        while (true)
        {
            Bucket<TValue>[] buckets = _segments[stripe].Buckets;
            ulong mask = (ulong)BucketArray<TValue>.Capacity(buckets) - 1;
            for (Node<TValue>? node = Volatile.Read(ref buckets[(int)(bucketCursor & mask)].Head); node is not null; node = Volatile.Read(ref node.Next))
            {
                if (!node.IsExpired(now))
                {
                    examined++;
                    if (matchAll || glob.IsMatch(node.Key))
                    {
                        keys.Add(node.Key);
                    }
                }
            }

            bucketCursor = NextBucketCursor(bucketCursor, mask);
            if (bucketCursor == 0 && ++stripe == _segments.Length)
            {
                return new ScanResult(0, keys);
            }

            if (examined >= count || --bucketBudget <= 0)
            {
                return new ScanResult((long)(bucketCursor << stripeBits) | (uint)stripe, keys);
            }
        }
    }

    /// <summary>
    /// Enumerates the keys matching <paramref name="pattern"/> through <see cref="Scan"/>: it never holds a lock
    /// between pages, sees every key present for the whole enumeration, and may yield a key twice if the cache grows
    /// meanwhile.
    /// </summary>
    /// <param name="pattern">A Redis glob, or <see langword="null"/> for every key.</param>
    /// <returns>The matching keys.</returns>
    public IEnumerable<string> Keys(string? pattern = null)
    {
        ThrowIfDisposed();
        return Enumerate(pattern);

        IEnumerable<string> Enumerate(string? pattern)
        {
            long cursor = 0;
            do
            {
                ScanResult page = Scan(cursor, pattern, 256);
                foreach (string key in page.Keys)
                {
                    yield return key;
                }

                cursor = page.NextCursor;
            }
            while (cursor != 0);
        }
    }

    /// <summary>
    /// Removes every key matching <paramref name="pattern"/>, a page of a scan at a time, so writers are never held
    /// up for longer than one key's removal. Keys written while it runs may or may not be removed.
    /// </summary>
    /// <param name="pattern">A Redis glob; <c>*</c> removes everything.</param>
    /// <returns>The number of entries removed.</returns>
    public int RemoveByPattern(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        int removed = 0;
        foreach (string key in Keys(pattern))
        {
            if (Remove(key))
            {
                removed++;
            }
        }

        return removed;
    }

    private static ulong NextBucketCursor(ulong cursor, ulong mask)
    {
        // Redis's reverse-binary increment: count up in the high bits first, so that the buckets already visited
        // in a smaller table map to buckets already visited in a larger one.
        cursor |= ~mask;
        cursor = ReverseBits(cursor);
        cursor++;
        return ReverseBits(cursor);
    }

    private static ulong ReverseBits(ulong v)
    {
        v = ((v >> 1) & 0x5555555555555555UL) | ((v & 0x5555555555555555UL) << 1);
        v = ((v >> 2) & 0x3333333333333333UL) | ((v & 0x3333333333333333UL) << 2);
        v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((v & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return BinaryPrimitives.ReverseEndianness(v);
    }
}
