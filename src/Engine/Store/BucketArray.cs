using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Strata.Engine;

/// <summary>
/// Operations on a stripe's bucket array. The array's length also records which hash placed its nodes: a power of
/// two for <see cref="KeyHash.Fast"/>, a power of two plus one (the last slot unused) for
/// <see cref="KeyHash.Randomized"/>. A reader therefore loads a single reference and gets the chains and the hash that
/// goes with them, consistently, even while a writer replaces the array; no wrapper object, no extra load.
/// </summary>
internal static class BucketArray<TValue>
{
    internal static Bucket<TValue>[] Create(int capacity, bool randomized) =>
        new Bucket<TValue>[randomized ? capacity + 1 : capacity];

    internal static bool IsRandomized(Bucket<TValue>[] buckets) => (buckets.Length & 1) != 0;

    /// <summary>The number of usable buckets, a power of two.</summary>
    internal static int Capacity(Bucket<TValue>[] buckets) => buckets.Length & ~1;

    /// <summary>The hash by which <paramref name="buckets"/> places <paramref name="key"/>, given its fast hash.</summary>
    internal static int HashOf(Bucket<TValue>[] buckets, string key, int fastHash) =>
        IsRandomized(buckets) ? KeyHash.Randomized(key) : fastHash;

    /// <summary>The slot of the chain for <paramref name="hash"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ref Node<TValue>? Slot(Bucket<TValue>[] buckets, int hash) => ref buckets[hash & (Capacity(buckets) - 1)].Head;

    /// <summary>Finds the node for a key, live or expired, given its fast hash. Safe without the lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Node<TValue>? Find(Bucket<TValue>[] buckets, string key, int fastHash)
    {
        int hash = IsRandomized(buckets) ? KeyHash.Randomized(key) : fastHash;
        for (Node<TValue>? node = Volatile.Read(ref Slot(buckets, hash)); node is not null; node = Volatile.Read(ref node.Next))
        {
            // The reference test first: it reads the node's first cache line only, and callers often pass the very
            // string they stored.
            if (ReferenceEquals(node.Key, key) || (node.Hash == hash && KeyEquality.Equal(node.Key, key)))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>Finds the node for a key given as characters, given its fast hash. Safe without the lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Node<TValue>? Find(Bucket<TValue>[] buckets, ReadOnlySpan<char> key, int fastHash)
    {
        int hash = IsRandomized(buckets) ? KeyHash.Randomized(key) : fastHash;
        for (Node<TValue>? node = Volatile.Read(ref Slot(buckets, hash)); node is not null; node = Volatile.Read(ref node.Next))
        {
            if (node.Hash == hash && KeyEquality.Equal(node.Key, key))
            {
                return node;
            }
        }

        return null;
    }
}
