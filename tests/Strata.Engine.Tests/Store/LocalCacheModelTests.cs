using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;
using Strata.Engine;
using Strata.Engine.Tests.Support;
using Xunit;

namespace Strata.Engine.Tests.Store;

/// <summary>
/// Model-based properties: FsCheck draws sequences of operations, each is applied to a <see cref="LocalCache{TValue}"/>
/// on a fake clock and to a plain dictionary of (value, deadline), and every observable result must agree.
/// </summary>
public class LocalCacheModelTests
{
    private const int KeySpace = 12;

    /// <summary>The reference: what a key holds and until when, read at the fake clock's time.</summary>
    private sealed class Model
    {
        private readonly Dictionary<string, (int Value, long? Deadline)> _entries = [];

        public long Now { get; set; }

        public bool TryGet(string key, out int value)
        {
            if (_entries.TryGetValue(key, out var entry) && (entry.Deadline is null || entry.Deadline > Now))
            {
                value = entry.Value;
                return true;
            }

            _entries.Remove(key);
            value = 0;
            return false;
        }

        public void Set(string key, int value, long? ttl) => _entries[key] = (value, Now + ttl);

        public bool Remove(string key) => TryGet(key, out _) && _entries.Remove(key);

        public long? Deadline(string key) => _entries[key].Deadline;

        public void SetDeadline(string key, long? deadline) => _entries[key] = (_entries[key].Value, deadline);

        public IEnumerable<string> LiveKeys() => _entries.Keys.Where(k => TryGet(k, out _)).ToList();
    }

    [Property(MaxTest = 300, EndSize = 200)]
    public void Operations_WithoutEviction_MatchTheModel(int[] program)
    {
        var time = new FakeTimeProvider(TestCache.Epoch);
        using var cache = new LocalCache<int>(new LocalCacheOptions<int> { TimeProvider = time, ConcurrencyLevel = 4 });
        var model = new Model();
        long start = time.GetUtcNow().ToUnixTimeMilliseconds();

        foreach (int instruction in program ?? [])
        {
            model.Now = time.GetUtcNow().ToUnixTimeMilliseconds() - start;
            int op = (int)((uint)instruction % 15);
            string key = "k" + (int)((uint)instruction / 15 % KeySpace);
            int arg = (int)((uint)instruction / (15 * KeySpace) % 4000);
            switch (op)
            {
                case 0:
                    cache.Set(key, arg);
                    model.Set(key, arg, null);
                    break;
                case 1:
                    cache.Set(key, arg, TimeSpan.FromMilliseconds(arg + 1));
                    model.Set(key, arg, arg + 1);
                    break;
                case 2:
                case 3:
                {
                    bool expectedHit = model.TryGet(key, out int expected);
                    bool hit = op == 2 ? cache.TryGet(key, out int actual) : cache.TryGet(key.AsSpan(), out actual);
                    Assert.Equal(expectedHit, hit);
                    Assert.Equal(expected, hit ? actual : 0);
                    break;
                }

                case 4:
                    Assert.Equal(model.Remove(key), cache.Remove(key));
                    break;
                case 5:
                {
                    // TryUpdate keeps the time to live.
                    bool present = model.TryGet(key, out int current);
                    if (present)
                    {
                        long? deadline = model.Deadline(key);
                        model.Set(key, current + arg, null);
                        model.SetDeadline(key, deadline);
                    }

                    Assert.Equal(present, cache.TryUpdate(key, v => v + arg));
                    break;
                }

                case 6:
                {
                    // About one in eight is non-positive and deletes, like EXPIRE; -1 ms is InfiniteTimeSpan: no expiry.
                    int ttl = arg % 9 == 0 ? -1 : arg - 500;
                    bool present = model.TryGet(key, out _);
                    if (present && ttl == -1)
                    {
                        model.SetDeadline(key, null);
                    }
                    else if (present && ttl <= 0)
                    {
                        model.Remove(key);
                    }
                    else if (present)
                    {
                        model.SetDeadline(key, model.Now + ttl);
                    }

                    Assert.Equal(present, cache.Expire(key, TimeSpan.FromMilliseconds(ttl)));
                    break;
                }

                case 7:
                {
                    bool hadTtl = model.TryGet(key, out _) && model.Deadline(key) is not null;
                    if (hadTtl)
                    {
                        model.SetDeadline(key, null);
                    }

                    Assert.Equal(hadTtl, cache.Persist(key));
                    break;
                }

                case 8:
                case 9:
                    time.Advance(TimeSpan.FromMilliseconds(arg)); // fires the sweep timer on whole seconds
                    break;
                case 10:
                {
                    bool added = !model.TryGet(key, out _);
                    if (added)
                    {
                        model.Set(key, arg, null);
                    }

                    Assert.Equal(added, cache.TryAdd(key, arg));
                    break;
                }

                case 11:
                {
                    TimeSpan? expected = !model.TryGet(key, out _) ? null
                        : model.Deadline(key) is { } deadline ? TimeSpan.FromMilliseconds(deadline - model.Now)
                        : Timeout.InfiniteTimeSpan;
                    Assert.Equal(expected, cache.GetTimeToLive(key));
                    break;
                }

                case 12:
                {
                    bool present = model.TryGet(key, out int expected);
                    if (present)
                    {
                        model.Remove(key);
                    }

                    Assert.Equal(present, cache.TryRemove(key, out int removed));
                    Assert.Equal(expected, present ? removed : 0);
                    break;
                }

                case 13:
                    Assert.Equal(model.TryGet(key, out _), cache.ContainsKey(key));
                    break;
                default:
                {
                    // Pattern delete of one decade of keys, e.g. "k1*" removes k1, k10, k11.
                    string pattern = "k" + (arg % 10) + "*";
                    int expected = model.LiveKeys().Count(k => Strata.Engine.Glob.IsMatch(pattern, k));
                    foreach (string k in model.LiveKeys().Where(k => Strata.Engine.Glob.IsMatch(pattern, k)))
                    {
                        model.Remove(k);
                    }

                    Assert.Equal(expected, cache.RemoveByPattern(pattern));
                    break;
                }
            }
        }

        model.Now = time.GetUtcNow().ToUnixTimeMilliseconds() - start;
        Assert.Equal(model.LiveKeys().Order(StringComparer.Ordinal), cache.Keys().Order(StringComparer.Ordinal));
        cache.Validate();
    }

    [Property(MaxTest = 300, EndSize = 300)]
    public void Operations_AtSmallCapacity_StayBoundedAndNeverReturnStaleValues(int[] program, bool weighted)
    {
        // Every read returns the last value written for that key, or a miss; the bound holds after every call.
        const int Capacity = 5;
        var options = new LocalCacheOptions<int> { ConcurrencyLevel = 2 };
        if (weighted)
        {
            options.MaxWeight = 20;
            options.Weigher = (_, value) => value % 8;
        }
        else
        {
            options.MaxEntries = Capacity;
        }

        using var cache = new LocalCache<int>(options);
        var lastWritten = new Dictionary<string, int>();

        foreach (int instruction in program ?? [])
        {
            string key = "k" + (int)((uint)instruction / 4 % 20);
            int value = (int)((uint)instruction / 80 % 1000);
            switch ((uint)instruction % 4)
            {
                case 0:
                case 1:
                    cache.Set(key, value);
                    lastWritten[key] = value;
                    break;
                case 2:
                    if (cache.TryGet(key, out int read))
                    {
                        Assert.True(lastWritten.TryGetValue(key, out int expected), $"{key} was read but never written or was removed");
                        Assert.Equal(expected, read);
                    }

                    break;
                default:
                    cache.Remove(key);
                    lastWritten.Remove(key);
                    break;
            }

            CacheStatistics stats = cache.GetStatistics();
            Assert.True(weighted ? stats.Weight <= 20 : stats.Count <= Capacity, $"bound exceeded: {stats}");
        }

        cache.Validate();
    }
}
