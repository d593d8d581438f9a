using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Strata.Tiering;

namespace Strata.Testing;

/// <summary>
/// Two <see cref="TieredCache"/> instances on one Redis with the backplane, each driven by several threads through the
/// whole key-value API on one shared key space (reads, writes, removals, get-or-set, batches, updates, expiry changes,
/// pattern removals). After the load stops and every invalidation has been delivered, each key is read through both
/// instances and through a third one with an empty L1 (so its answer is Redis's): an instance whose L1 holds a value
/// Redis does not is a stale read. Shared by the Tiering tests (a short run) and <c>Strata.Fuzz --tiered-soak</c>.
/// </summary>
public static class TieredSoak
{
    public sealed record Result(long Operations, double Seconds, int Keys, int KeysWithValues, long StaleReads, long Exceptions, long InvalidationsDelivered, string? FirstProblem);

    public static async Task<Result> RunAsync(string redis, long operationsPerThread, int threadsPerInstance = 2, int keySpace = 200)
    {
        string prefix = "soak:" + Guid.NewGuid().ToString("N")[..8] + ":";
        TieredCacheOptions Options(bool backplane) => new() { Redis = redis, KeyPrefix = prefix, Backplane = backplane, OperationTimeout = TimeSpan.FromSeconds(5) };
        await using var first = new TieredCache(Options(true));
        await using var second = new TieredCache(Options(true));
        await using var observer = new TieredCache(Options(false)); // reads only, never fills before the check
        TieredCache[] instances = [first, second];
        foreach (TieredCache instance in instances)
        {
            Subscriptions.WaitFor(instance);
        }

        string[] keys = Enumerable.Range(0, keySpace).Select(i => "k" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        long exceptions = 0;
        string? firstProblem = null;
        var watch = Stopwatch.StartNew();
        Task[] workers = instances.SelectMany((cache, c) => Enumerable.Range(0, threadsPerInstance).Select(t => Task.Run(async () =>
        {
            var random = new Random((c * 31) + t);
            string me = c + ":" + t + ":";
            for (long i = 0; i < operationsPerThread; i++)
            {
                string key = keys[random.Next(keys.Length)];
                string value = me + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                try
                {
                    await RunOneAsync(cache, random, keys, key, value).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref exceptions);
                    Interlocked.CompareExchange(ref firstProblem, $"{ex.GetType().Name}: {ex.Message}", null);
                }
            }
        }))).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        watch.Stop();

        // Quiescence: every message one instance sent has been applied by the other.
        var settle = Stopwatch.StartNew();
        while (first.GetStatistics().InvalidationsReceived < second.GetStatistics().InvalidationsSent
            || second.GetStatistics().InvalidationsReceived < first.GetStatistics().InvalidationsSent)
        {
            if (settle.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException("The invalidations were not all delivered within 30 s.");
            }

            await Task.Delay(10).ConfigureAwait(false);
        }

        long stale = 0;
        int withValues = 0;
        foreach (string key in keys)
        {
            CacheResult<string> truth = await observer.GetAsync<string>(key).ConfigureAwait(false);
            withValues += truth.HasValue ? 1 : 0;
            foreach (TieredCache instance in instances)
            {
                CacheResult<string> seen = await instance.GetAsync<string>(key).ConfigureAwait(false);
                if (seen != truth)
                {
                    stale++;
                    Interlocked.CompareExchange(ref firstProblem, $"'{key}': instance {Array.IndexOf(instances, instance)} reads {Show(seen)}, Redis holds {Show(truth)} ({Describe([.. instances, observer])})", null);
                }
            }
        }

        long delivered = first.GetStatistics().InvalidationsReceived + second.GetStatistics().InvalidationsReceived;
        return new Result(2L * threadsPerInstance * operationsPerThread, watch.Elapsed.TotalSeconds, keys.Length, withValues, stale, exceptions, delivered, firstProblem);
    }

    private static string Describe(TieredCache[] instances) => string.Join("; ", instances.Select((instance, i) =>
    {
        TieredCacheStatistics statistics = instance.GetStatistics();
        return $"instance {i}: {statistics.RemoteErrors} Redis errors, {instance.PendingRepairs} repairs pending, {statistics.RepairsReplayed} replayed";
    }));

    private static string Show(CacheResult<string> result) => result.HasValue ? "'" + result.Value + "'" : "nothing";

    private static async Task RunOneAsync(TieredCache cache, Random random, string[] keys, string key, string value)
    {
        TimeSpan ttl = TimeSpan.FromMinutes(5 + random.Next(5));
        switch (random.Next(20))
        {
            case 0:
            case 1:
            case 2:
                await cache.SetAsync(key, value, ttl).ConfigureAwait(false);
                break;
            case 3:
                await cache.RemoveAsync(key).ConfigureAwait(false);
                break;
            case 4:
            case 5:
                await cache.GetOrSetAsync(key, (_, _, _) => ValueTask.FromResult(value), new CacheEntryOptions { TimeToLive = ttl }).ConfigureAwait(false);
                break;
            case 6:
                await cache.GetManyAsync<string>([key, keys[random.Next(keys.Length)], keys[random.Next(keys.Length)]]).ConfigureAwait(false);
                break;
            case 7:
                await cache.SetManyAsync([new KeyValuePair<string, string>(key, value), new KeyValuePair<string, string>(keys[random.Next(keys.Length)], value)], ttl).ConfigureAwait(false);
                break;
            case 8:
                await cache.RemoveManyAsync([key, keys[random.Next(keys.Length)]]).ConfigureAwait(false);
                break;
            case 9:
                await cache.UpdateAsync<string>(key, current => current + "+").ConfigureAwait(false);
                break;
            case 10:
                await cache.ExpireAsync(key, ttl).ConfigureAwait(false);
                break;
            case 11:
                await cache.GetAndRemoveAsync<string>(key).ConfigureAwait(false);
                break;
            case 12:
                if (random.Next(50) == 0)
                {
                    await cache.RemoveByPatternAsync("k1?").ConfigureAwait(false);
                }

                break;
            default:
                await cache.GetAsync<string>(key).ConfigureAwait(false);
                break;
        }
    }
}
