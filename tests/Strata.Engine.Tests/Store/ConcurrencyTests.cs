using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Strata.Tests.Support;
using Xunit;

namespace Strata.Tests.Store;

/// <summary>Random operations from several threads, each run ending with the internal integrity check.</summary>
public class ConcurrencyTests
{
    [Theory]
    [InlineData(4, 1, null)]      // every thread on one stripe: maximum lock contention
    [InlineData(4, 4, 500)]       // bounded: eviction races with inserts on other stripes
    [InlineData(8, 16, 2000)]
    public async Task RandomOperations_FromManyThreads_LeaveTheStoreConsistent(int threads, int stripes, int? maxEntries)
    {
        var time = new FakeTimeProvider(TestCache.Epoch);
        long removedCallbacks = 0;
        using var cache = new LocalCache<string>(new LocalCacheOptions<string>
        {
            ConcurrencyLevel = stripes,
            MaxEntries = maxEntries,
            TimeProvider = time,
            OnRemoved = (_, _, _) => Interlocked.Increment(ref removedCallbacks),
        });
        const int OperationsPerThread = 40_000;
        using var barrier = new Barrier(threads + 1);

        Task[] workers = Enumerable.Range(0, threads).Select(id => Task.Factory.StartNew(() =>
        {
            var random = new Random(id * 7919);
            barrier.SignalAndWait();
            for (int i = 0; i < OperationsPerThread; i++)
            {
                string key = "k" + random.Next(3000);
                switch (random.Next(14))
                {
                    case 0: cache.Set(key, key, TimeSpan.FromMilliseconds(random.Next(1, 3000))); break;
                    case 1: cache.Remove(key); break;
                    case 2: cache.TryAdd(key, key); break;
                    case 3: cache.TryUpdate(key, v => v); break;
                    case 4: cache.Expire(key, TimeSpan.FromMilliseconds(random.Next(-100, 3000))); break;
                    case 5: cache.Persist(key); break;
                    case 6: cache.GetOrAdd(key, static k => k); break;
                    case 7: cache.TryRemove(key, out _); break;
                    case 8: cache.Scan(random.Next(2) == 0 ? 0 : random.Next(), "k1*", 20); break;
                    case 9:
                        if (id == 0 && random.Next(200) == 0)
                        {
                            time.Advance(TimeSpan.FromMilliseconds(700)); // fires the sweep on this thread
                        }

                        break;
                    case 10:
                        if (random.Next(5000) == 0)
                        {
                            cache.Clear();
                        }

                        break;
                    default:
                        if (cache.TryGet(key, out string? value))
                        {
                            Assert.Equal(key, value); // every writer stores the key as its value
                        }

                        break;
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        barrier.SignalAndWait();
        await Task.WhenAll(workers);

        cache.Validate();
        CacheStatistics stats = cache.GetStatistics();
        Assert.True(stats.Sets > 0 && stats.Hits > 0);
        Assert.True(maxEntries is null || stats.Count <= maxEntries);
        Assert.Equal(stats.Removals + stats.Evictions + stats.Expirations, CountRemovalsOtherThanReplaced(stats, removedCallbacks));
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

    private static long CountRemovalsOtherThanReplaced(CacheStatistics stats, long callbacks)
    {
        // Every overwrite raised Replaced as well; the callback total minus those is what the counters recorded.
        // Overwrites are the sets that did not insert, so: callbacks - (sets - inserts), inserts = count + removed.
        long removed = stats.Removals + stats.Evictions + stats.Expirations;
        long inserts = stats.Count + removed;
        long replaced = stats.Sets - inserts;
        return callbacks - replaced;
    }
}
