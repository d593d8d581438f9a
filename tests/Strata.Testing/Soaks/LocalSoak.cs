using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Strata.Engine;

namespace Strata.Testing;

/// <summary>
/// Every <see cref="LocalCache{TValue}"/> operation from several threads at once, with TTLs, clock moves (which run the
/// sweep), clears and, when bounded, eviction; then the store's integrity check (<c>Validate</c>) and the books: the
/// bound holds at rest, a read only ever returns the key's own value (every writer stores the key as the value), and
/// the removal callbacks agree with the counters. Shared by the concurrency tests (short runs) and the soak console
/// mode of fuzz/Strata.Fuzz (<c>--soak</c>, long runs). Throws <see cref="InvalidOperationException"/> on a violation.
/// </summary>
public static class LocalSoak
{
    public sealed record Result(long Operations, double Seconds, CacheStatistics Statistics, long RemovedCallbacks);

    public static async Task<Result> RunAsync(int threads, int stripes, int? maxEntries, long operationsPerThread, int keySpace = 3000)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        long removedCallbacks = 0;
        using var cache = new LocalCache<string>(new LocalCacheOptions<string>
        {
            ConcurrencyLevel = stripes,
            MaxEntries = maxEntries,
            TimeProvider = time,
            OnRemoved = (_, _, _) => Interlocked.Increment(ref removedCallbacks),
        });
        string[] keys = Enumerable.Range(0, keySpace).Select(i => "k" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        using var barrier = new Barrier(threads + 1);
        Task[] workers = Enumerable.Range(0, threads).Select(id => Task.Factory.StartNew(() =>
        {
            var random = new Random(id * 7919);
            barrier.SignalAndWait();
            for (long i = 0; i < operationsPerThread; i++)
            {
                string key = keys[random.Next(keys.Length)];
                switch (random.Next(16))
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
                    case 11:
                        _ = cache.GetTimeToLive(key.AsSpan());
                        _ = cache.ContainsKey(key);
                        break;
                    case 12:
                        if (random.Next(2000) == 0)
                        {
                            cache.RemoveByPattern("k2?");
                        }

                        break;
                    case 13: cache.Set(key, key); break;
                    default:
                        bool hit = random.Next(2) == 0 ? cache.TryGet(key, out string? value) : cache.TryGet(key.AsSpan(), out value);
                        if (hit && value != key)
                        {
                            throw new InvalidOperationException($"read of {key} returned {value}");
                        }

                        break;
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        barrier.SignalAndWait();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(workers);
        watch.Stop();

        cache.Validate();
        CacheStatistics stats = cache.GetStatistics();
        if (maxEntries is { } bound && stats.Count > bound)
        {
            throw new InvalidOperationException($"{stats.Count} entries at rest, over the bound of {bound}");
        }

        // Every overwrite raised Replaced as well; the callback total minus those is what the counters recorded.
        // Overwrites are the sets that did not insert, so: callbacks - (sets - inserts), inserts = count + removed.
        long removed = stats.Removals + stats.Evictions + stats.Expirations;
        long replaced = stats.Sets - (stats.Count + removed);
        if (removedCallbacks - replaced != removed)
        {
            throw new InvalidOperationException($"{removedCallbacks} removal callbacks, {replaced} of them replacements, against {removed} removals counted");
        }

        return new Result(threads * operationsPerThread, watch.Elapsed.TotalSeconds, stats, removedCallbacks);
    }
}
