using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Strata.Engine;
using Strata.Testing;
using Xunit;

namespace Strata.Engine.Tests.Store;

/// <summary>Random operations from several threads, each run ending with the internal integrity check.</summary>
public class ConcurrencyTests
{
    [Theory]
    [InlineData(4, 1, null)]      // every thread on one stripe: maximum lock contention
    [InlineData(4, 4, 500)]       // bounded: eviction races with inserts on other stripes
    [InlineData(8, 16, 2000)]
    [InlineData(2, 2, 64)]        // small bound: almost every insert evicts
    public async Task RandomOperations_FromManyThreads_LeaveTheStoreConsistent(int threads, int stripes, int? maxEntries)
    {
        // The soak's short version: LocalSoak throws on a bad read, a broken structure, the bound exceeded at rest, or
        // removal callbacks that disagree with the counters.
        LocalSoak.Result result = await LocalSoak.RunAsync(threads, stripes, maxEntries, operationsPerThread: 40_000);

        Assert.True(result.Statistics.Sets > 0 && result.Statistics.Hits > 0);
        Assert.Equal(threads * 40_000L, result.Operations);
    }

    [Fact]
    public async Task AWrite_RacingAGrowth_IsNeverLostToTheNodeGrowthReplaced()
    {
        // A write finds its key's node before taking the stripe's lock, and must look again under the lock when that
        // node left the table meanwhile: growth copies every node of the stripe into a new table. Each writer owns
        // its keys, so its own read right after its write must return that write. A fresh one-stripe cache per round
        // keeps the table small and growing: a rebuild at every power of two, eight or more per round.
        int lost = 0;
        for (int round = 0; round < 200; round++)
        {
            using var cache = new LocalCache<int>(new LocalCacheOptions<int> { ConcurrencyLevel = 1 });
            await Task.WhenAll(Enumerable.Range(0, 3).Select(t => Task.Run(() =>
            {
                for (int i = 0; i < 2_000; i++)
                {
                    string key = $"{t}:{i % 8}";
                    cache.Set(key, i);
                    cache.Set($"{t}:grow:{i}", i);
                    if (!cache.TryGet(key, out int read) || read != i)
                    {
                        Interlocked.Increment(ref lost);
                    }
                }
            })));
            cache.Validate();
        }

        Assert.Equal(0, lost);
    }

    [Fact]
    public void ConcurrentInsertsAtCapacity_NeverLeaveTheBoundExceededAtRest()
    {
        using var cache = new LocalCache<int>(new LocalCacheOptions<int> { MaxEntries = 64, ConcurrencyLevel = 8 });
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            for (int i = 0; i < 50_000; i++)
            {
                cache.Set($"{t}:{i}", i);
            }
        });

        Assert.Equal(64, cache.Count);
        cache.Validate();
    }
}
