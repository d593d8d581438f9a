using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FsCheck.Xunit;
using Strata.Engine;
using Xunit;

namespace Strata.Engine.Tests.Store;

public class KeyHashTests
{
    [Property(MaxTest = 1000)]
    public void Fast_StringAndSpanOfTheSameCharacters_HashAlike(string key)
    {
        key ??= string.Empty;
        string padded = "<" + key + ">";
        Assert.Equal(KeyHash.Fast(key), KeyHash.Fast(padded.AsSpan(1, key.Length)));
        Assert.Equal(KeyHash.Randomized(key), KeyHash.Randomized(padded.AsSpan(1, key.Length)));
    }

    [Fact]
    public void Fast_EveryLengthBranch_SpreadsSimilarKeysOverBuckets()
    {
        // Keys that differ in one character, at every length from 0 to 40 (each branch of the function), must not
        // pile into a few buckets: the fraction of distinct low 10 bits stays near that of random values.
        for (int length = 1; length <= 40; length++)
        {
            var buckets = new HashSet<int>();
            for (int i = 0; i < 1000; i++)
            {
                char[] chars = new string('k', length).ToCharArray();
                chars[i % length] = (char)('a' + (i / length % 26));
                chars[0] = (char)('A' + (i % 26));
                buckets.Add(KeyHash.Fast(new string(chars)) & 1023);
            }

            int distinctKeys = Enumerable.Range(0, 1000).Select(i => (i % length, i / length % 26, i % 26)).Distinct().Count();
            Assert.True(buckets.Count >= Math.Min(distinctKeys, 1024) * 0.55, $"length {length}: {buckets.Count} buckets for {distinctKeys} keys");
        }
    }

    [Fact]
    public void LongChain_SwitchesTheStripeToRandomizedHashing_AndKeepsEveryKey()
    {
        using var cache = new LocalCache<int>(new LocalCacheOptions<int> { ConcurrencyLevel = 1 });
        cache.SetCollisionThreshold(2); // any chain of three triggers it, which random placement soon produces
        for (int i = 0; i < 2000; i++)
        {
            cache.Set("key:" + i, i);
        }

        Assert.Equal(1, cache.RandomizedStripes());
        for (int i = 0; i < 2000; i++)
        {
            Assert.True(cache.TryGet("key:" + i, out int value));
            Assert.Equal(i, value);
            Assert.True(cache.TryGet(("key:" + i).AsSpan(), out _));
        }

        Assert.Equal(2000, cache.Keys().Distinct().Count());
        cache.Validate();
        cache.Clear();
        cache.Set("after", 1);
        Assert.Equal(1, cache.RandomizedStripes()); // the switch is for good
        cache.Validate();
    }

    [Fact]
    public async Task SwitchToRandomizedHashing_UnderConcurrentReaders_NeverMissesAPresentKey()
    {
        using var cache = new LocalCache<int>(new LocalCacheOptions<int> { ConcurrencyLevel = 1 });
        for (int i = 0; i < 64; i++)
        {
            cache.Set("stable:" + i, i);
        }

        cache.SetCollisionThreshold(4);
        int misses = 0;
        using var done = new CancellationTokenSource();
        Task[] readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                for (int i = 0; i < 64; i++)
                {
                    if (!cache.TryGet("stable:" + i, out _))
                    {
                        Interlocked.Increment(ref misses);
                    }
                }
            }
        })).ToArray();

        for (int i = 0; i < 20_000 && cache.RandomizedStripes() == 0; i++)
        {
            cache.Set("churn:" + i, i);
        }

        await done.CancelAsync();
        await Task.WhenAll(readers);
        Assert.Equal(1, cache.RandomizedStripes());
        Assert.Equal(0, misses);
        cache.Validate();
    }
}
