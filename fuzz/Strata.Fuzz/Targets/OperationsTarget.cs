using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.Extensions.Time.Testing;
using Strata.Engine;

namespace Strata.Fuzz.Targets;

/// <summary>
/// Decodes bytes into a program of <see cref="LocalCache{TValue}"/> operations on a small key space, with a fake clock
/// and a bound small enough to evict, and checks every read against a model (a dictionary of values and deadlines);
/// then runs the store's own integrity check (<c>Validate</c>). With a bound, an entry the model holds may have been
/// evicted: a read may miss where the model hits, but never return another value, and never hit where the model misses.
/// </summary>
internal sealed class OperationsTarget : IFuzzTarget
{
    private const int KeySpace = 16;

    public string Name => "operations";

    public void Run(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2)
        {
            return;
        }

        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        bool bounded = (data[0] & 1) == 1;
        using var cache = new LocalCache<int>(new LocalCacheOptions<int>
        {
            TimeProvider = time,
            MaxEntries = bounded ? 4 + (data[0] >> 4) : null,
            ConcurrencyLevel = 1 + ((data[0] >> 1) & 3),
        });
        var model = new Dictionary<string, (int Value, long? Deadline)>();
        long now = 0;
        for (int i = 1; i + 1 < data.Length; i += 2)
        {
            int op = data[i] % 8;
            string key = "k" + (data[i] / 8 % KeySpace);
            int argument = data[i + 1];
            switch (op)
            {
                case 0:
                    cache.Set(key, argument);
                    model[key] = (argument, null);
                    break;
                case 1:
                    cache.Set(key, argument, TimeSpan.FromMilliseconds(argument + 1));
                    model[key] = (argument, now + argument + 1);
                    break;
                case 2:
                case 3:
                    bool hit = op == 2 ? cache.TryGet(key, out int value) : cache.TryGet(key.AsSpan(), out value);
                    bool expected = Live(model, key, now, out int modelValue);
                    if (hit && (!expected || value != modelValue))
                    {
                        throw new FuzzFailure($"read of {key} at {now} ms returned {value}; the model holds {(expected ? modelValue.ToString() : "nothing")}");
                    }

                    if (!hit && expected && !bounded)
                    {
                        throw new FuzzFailure($"read of {key} at {now} ms missed; the model holds {modelValue} and nothing can be evicted");
                    }

                    if (!hit)
                    {
                        model.Remove(key); // evicted (bounded) or expired: the model follows the cache
                    }

                    break;
                case 4:
                    bool removed = cache.Remove(key);
                    bool modelHad = Live(model, key, now, out _);
                    if (removed && !modelHad)
                    {
                        throw new FuzzFailure($"remove of {key} at {now} ms removed an entry the model does not hold");
                    }

                    model.Remove(key);
                    break;
                case 5:
                    time.Advance(TimeSpan.FromMilliseconds(argument * 4));
                    now += argument * 4;
                    break;
                case 6:
                    TimeSpan? left = cache.GetTimeToLive(key);
                    if (left is { } ttl && ttl != Timeout.InfiniteTimeSpan && Live(model, key, now, out _) && model[key].Deadline is { } deadline && (long)ttl.TotalMilliseconds != deadline - now)
                    {
                        throw new FuzzFailure($"time to live of {key} at {now} ms is {ttl.TotalMilliseconds} ms; the model says {deadline - now}");
                    }

                    break;
                default:
                    cache.RemoveByPattern("k1*");
                    foreach (string k in new List<string>(model.Keys))
                    {
                        if (k.StartsWith("k1", StringComparison.Ordinal))
                        {
                            model.Remove(k);
                        }
                    }

                    break;
            }
        }

        cache.Validate();
    }

    private static bool Live(Dictionary<string, (int Value, long? Deadline)> model, string key, long now, out int value)
    {
        if (model.TryGetValue(key, out var entry) && (entry.Deadline is null || entry.Deadline > now))
        {
            value = entry.Value;
            return true;
        }

        value = 0;
        return false;
    }
}
