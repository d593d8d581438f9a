using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Strata.Engine;
using Strata.Engine.Tests.Support;
using Xunit;

namespace Strata.Engine.Tests.Store;

public class LocalCacheTests
{
    [Fact]
    public void SetWithoutTimeToLive_OnTheSystemClock_OverAnExpiredEntry_ReportsItExpired_NotReplaced()
    {
        // On the system clock a write without a time to live reads the clock only when it finds a node with a
        // deadline; it must still read it then, or the expired value would be reported as replaced.
        var removed = new List<(string Key, string Value, RemovalReason Reason)>();
        using var cache = new LocalCache<string>(new LocalCacheOptions<string> { OnRemoved = (k, v, r) => removed.Add((k, v, r)) });
        cache.Set("k", "old", TimeSpan.FromMilliseconds(1));
        // Real time, since the behaviour is the system clock's: wait until a read sees the deadline passed (the sweep,
        // once a second, may also reclaim the entry meanwhile, as Expired too).
        Assert.True(SpinWait.SpinUntil(() => cache.GetTimeToLive("k") is null, TimeSpan.FromSeconds(10)), "the entry to expire");
        cache.Set("k", "new");

        Assert.Equal([("k", "old", RemovalReason.Expired)], removed);
        Assert.True(cache.TryGet("k", out string? value) && value == "new");
        Assert.Equal(1, cache.Count);
        Assert.Equal(Timeout.InfiniteTimeSpan, cache.GetTimeToLive("k"));
    }

    [Fact]
    public void TryGet_AfterSet_ReturnsValueForStringAndSpanKeys()
    {
        using var t = new TestCache();
        t.Cache.Set("user:1", "alice");

        Assert.True(t.Cache.TryGet("user:1", out string? byString));
        Assert.True(t.Cache.TryGet("xuser:1x".AsSpan(1, 6), out string? bySpan));
        Assert.Equal("alice", byString);
        Assert.Equal("alice", bySpan);
        Assert.False(t.Cache.TryGet("user:2", out _));
        Assert.False(t.Cache.TryGet("user:2".AsSpan(), out _));
    }

    [Fact]
    public void Set_ExistingKey_ReplacesValueAndReportsReplaced()
    {
        using var t = new TestCache();
        t.Cache.Set("k", "v1");
        t.Cache.Set("k", "v2");

        Assert.True(t.Cache.TryGet("k", out string? value));
        Assert.Equal("v2", value);
        Assert.Equal(1, t.Cache.Count);
        Assert.Equal([("k", "v1", RemovalReason.Replaced)], t.Removals);
    }

    [Fact]
    public void Set_LargeStructValue_OverwritesWithoutTearing()
    {
        // A 32-byte struct cannot be written atomically, so an overwrite publishes a new node.
        using var cache = new LocalCache<(long, long, long, long)>();
        cache.Set("k", (1, 1, 1, 1));
        cache.Set("k", (2, 2, 2, 2));

        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal((2L, 2L, 2L, 2L), value);
        cache.Validate();
    }

    [Fact]
    public void TryAdd_PresentKey_KeepsOldValue()
    {
        using var t = new TestCache();
        Assert.True(t.Cache.TryAdd("k", "first"));
        Assert.False(t.Cache.TryAdd("k", "second"));

        Assert.True(t.Cache.TryGet("k", out string? value));
        Assert.Equal("first", value);
    }

    [Fact]
    public void TryAdd_ExpiredKey_Succeeds()
    {
        using var t = new TestCache();
        t.Cache.Set("k", "old", TimeSpan.FromSeconds(1));
        t.Time.Advance(TimeSpan.FromMilliseconds(1500));

        Assert.True(t.Cache.TryAdd("k", "new"));
        Assert.True(t.Cache.TryGet("k", out string? value));
        Assert.Equal("new", value);
    }

    [Fact]
    public void GetOrAdd_Miss_RunsFactoryOnceThenHits()
    {
        using var t = new TestCache();
        int calls = 0;

        string first = t.Cache.GetOrAdd("k", key => { calls++; return key + "!"; });
        string second = t.Cache.GetOrAdd("k", key => { calls++; return "other"; });

        Assert.Equal("k!", first);
        Assert.Equal("k!", second);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void GetOrAdd_WithState_PassesStateToFactory()
    {
        using var t = new TestCache();
        string value = t.Cache.GetOrAdd("k", static (key, suffix) => key + suffix, "-made");

        Assert.Equal("k-made", value);
        Assert.True(t.Cache.ContainsKey("k"));
    }

    [Fact]
    public async Task GetOrAdd_RacingThreads_AllReturnTheOneValueStored()
    {
        using var cache = new LocalCache<object>(new LocalCacheOptions<object> { ConcurrencyLevel = 1 });
        using var start = new Barrier(4);
        Task<object>[] racers = Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            return cache.GetOrAdd("k", _ => new object());
        }, TaskCreationOptions.LongRunning)).ToArray();

        object[] results = await Task.WhenAll(racers);

        Assert.True(cache.TryGet("k", out object? stored));
        Assert.All(results, r => Assert.Same(stored, r));
    }

    [Fact]
    public void DroppedCacheWithoutDispose_IsCollected_TheSweepTimerHoldsItWeakly()
    {
        WeakReference reference = CreateAndDrop();
        for (int i = 0; i < 10 && reference.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(reference.IsAlive);

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static WeakReference CreateAndDrop()
        {
            var cache = new LocalCache<string>(new LocalCacheOptions<string> { DefaultTimeToLive = TimeSpan.FromMinutes(1) });
            cache.Set("k", "v");
            return new WeakReference(cache);
        }
    }

    [Fact]
    public void GetOrAdd_FactoryThrows_PropagatesAndStoresNothing()
    {
        using var t = new TestCache();
        Assert.Throws<InvalidOperationException>(() => t.Cache.GetOrAdd("k", _ => throw new InvalidOperationException("boom")));
        Assert.False(t.Cache.ContainsKey("k"));
    }

    [Fact]
    public void TryUpdate_PresentKey_AppliesFunctionAndKeepsTimeToLive()
    {
        using var t = new TestCache();
        t.Cache.Set("k", "a", TimeSpan.FromSeconds(10));
        t.Time.Advance(TimeSpan.FromSeconds(4));

        Assert.True(t.Cache.TryUpdate("k", v => v + "b"));

        Assert.True(t.Cache.TryGet("k", out string? value));
        Assert.Equal("ab", value);
        Assert.Equal(TimeSpan.FromSeconds(6), t.Cache.GetTimeToLive("k"));
    }

    [Fact]
    public void TryUpdate_WithTimeToLive_RestartsIt()
    {
        using var t = new TestCache();
        t.Cache.Set("k", "a", TimeSpan.FromSeconds(10));
        t.Time.Advance(TimeSpan.FromSeconds(4));

        Assert.True(t.Cache.TryUpdate("k", v => v + "b", TimeSpan.FromSeconds(30)));

        Assert.Equal(TimeSpan.FromSeconds(30), t.Cache.GetTimeToLive("k"));
    }

    [Fact]
    public void TryUpdate_MissingOrExpiredKey_ReturnsFalseWithoutCallingFunction()
    {
        using var t = new TestCache();
        t.Cache.Set("gone", "a", TimeSpan.FromSeconds(1));
        t.Time.Advance(TimeSpan.FromSeconds(2));

        Assert.False(t.Cache.TryUpdate("missing", _ => throw new InvalidOperationException()));
        Assert.False(t.Cache.TryUpdate("gone", _ => throw new InvalidOperationException()));
    }

    [Fact]
    public void TryUpdate_ConcurrentIncrements_LoseNothing()
    {
        using var cache = new LocalCache<int>(new LocalCacheOptions<int> { ConcurrencyLevel = 1 });
        cache.Set("counter", 0);
        const int Threads = 4, PerThread = 2000;

        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                Assert.True(cache.TryUpdate("counter", v => v + 1));
            }
        });

        Assert.True(cache.TryGet("counter", out int total));
        Assert.Equal(Threads * PerThread, total);
        cache.Validate();
    }

    [Fact]
    public void TryRemove_PresentKey_ReturnsValueAndReportsRemoved()
    {
        using var t = new TestCache();
        t.Cache.Set("k", "v");

        Assert.True(t.Cache.TryRemove("k", out string? value));
        Assert.Equal("v", value);
        Assert.False(t.Cache.TryRemove("k", out _));
        Assert.False(t.Cache.Remove("k"));
        Assert.Equal(0, t.Cache.Count);
        Assert.Equal([("k", "v", RemovalReason.Removed)], t.Removals);
    }

    [Fact]
    public void TryRemove_OfAKeyAndValue_RemovesOnlyWhileTheKeyStillHoldsIt()
    {
        using var t = new TestCache();
        t.Cache.Set("k", "v1");
        t.Cache.Set("gone", "v", TimeSpan.FromSeconds(1));
        t.Time.Advance(TimeSpan.FromSeconds(2));

        Assert.False(t.Cache.TryRemove(KeyValuePair.Create("k", "v0"))); // replaced meanwhile: kept
        Assert.Equal("v1", t.Cache.TryGet("k", out string? kept) ? kept : null);
        Assert.False(t.Cache.TryRemove(KeyValuePair.Create("gone", "v"))); // expired: not live
        Assert.False(t.Cache.TryRemove(KeyValuePair.Create("missing", "v")));
        Assert.True(t.Cache.TryRemove(KeyValuePair.Create("k", "v1")));

        Assert.False(t.Cache.TryGet("k", out _));
        Assert.Equal([("k", "v1", RemovalReason.Removed)], t.Removals.Where(r => r.Reason == RemovalReason.Removed));
        Assert.Equal("item", Assert.Throws<ArgumentNullException>(() => t.Cache.TryRemove(KeyValuePair.Create<string, string>(null!, "v"))).ParamName);
    }

    [Fact]
    public void Clear_RemovesEverythingAndReportsEachEntry()
    {
        using var t = new TestCache();
        for (int i = 0; i < 100; i++)
        {
            t.Cache.Set("k" + i, "v" + i, TimeSpan.FromMinutes(1));
        }

        t.Cache.Clear();

        Assert.Equal(0, t.Cache.Count);
        Assert.Empty(t.Cache.Keys());
        Assert.Equal(100, t.Removals.Count(r => r.Reason == RemovalReason.Removed));
        t.Cache.Validate();
        t.Cache.Set("after", "clear");
        Assert.True(t.Cache.ContainsKey("after"));
    }

    [Fact]
    public void GetTimeToLive_FollowsPttlSemantics()
    {
        using var t = new TestCache();
        t.Cache.Set("forever", "v");
        t.Cache.Set("soon", "v", TimeSpan.FromMilliseconds(2500));
        t.Time.Advance(TimeSpan.FromMilliseconds(1000));

        Assert.Null(t.Cache.GetTimeToLive("missing"));
        Assert.Equal(Timeout.InfiniteTimeSpan, t.Cache.GetTimeToLive("forever"));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), t.Cache.GetTimeToLive("soon"));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), t.Cache.GetTimeToLive("soon".AsSpan()));

        t.Time.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.Null(t.Cache.GetTimeToLive("soon"));
    }

    [Fact]
    public void Reads_AtTheExactDeadline_Miss()
    {
        using var t = new TestCache();
        t.Cache.Set("k", "v", TimeSpan.FromMilliseconds(100));

        t.Time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.True(t.Cache.TryGet("k", out _));
        Assert.Equal(TimeSpan.FromMilliseconds(1), t.Cache.GetTimeToLive("k"));

        t.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(t.Cache.TryGet("k", out _));
        Assert.False(t.Cache.TryGet("k".AsSpan(), out _));
        Assert.False(t.Cache.ContainsKey("k"));
        Assert.False(t.Cache.ContainsKey("k".AsSpan()));
        Assert.Null(t.Cache.GetTimeToLive("k"));
        Assert.Empty(t.Cache.Keys());
    }

    [Fact]
    public void Set_SubMillisecondTimeToLive_RoundsUpToOneMillisecond()
    {
        using var t = new TestCache();
        t.Cache.Set("k", "v", TimeSpan.FromTicks(1));
        Assert.Equal(TimeSpan.FromMilliseconds(1), t.Cache.GetTimeToLive("k"));
    }

    [Fact]
    public void Expire_PresentKey_SetsNewTimeToLive()
    {
        using var t = new TestCache();
        t.Cache.Set("k", "v");

        Assert.True(t.Cache.Expire("k", TimeSpan.FromSeconds(5)));
        Assert.Equal(TimeSpan.FromSeconds(5), t.Cache.GetTimeToLive("k"));
        Assert.False(t.Cache.Expire("missing", TimeSpan.FromSeconds(5)));

        t.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(t.Cache.TryGet("k", out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Expire_NonPositive_DeletesKeyLikeRedis(int milliseconds)
    {
        using var t = new TestCache();
        t.Cache.Set("k", "v");

        Assert.True(t.Cache.Expire("k", TimeSpan.FromMilliseconds(milliseconds)));
        Assert.False(t.Cache.ContainsKey("k"));
        Assert.False(t.Cache.Expire("k", TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Fact]
    public void Expire_InfiniteTimeSpan_RemovesTheExpiryLikeEverywhereElseInTheApi()
    {
        using var t = new TestCache();
        t.Cache.Set("k", "v", TimeSpan.FromSeconds(5));

        Assert.True(t.Cache.Expire("k", Timeout.InfiniteTimeSpan));
        Assert.Equal(Timeout.InfiniteTimeSpan, t.Cache.GetTimeToLive("k"));
        Assert.False(t.Cache.Expire("missing", Timeout.InfiniteTimeSpan));

        t.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(t.Cache.ContainsKey("k"));
        t.Cache.Validate();
    }

    [Fact]
    public void Persist_RemovesTimeToLiveOnlyWhenThereIsOne()
    {
        using var t = new TestCache();
        t.Cache.Set("ttl", "v", TimeSpan.FromSeconds(5));
        t.Cache.Set("plain", "v");

        Assert.True(t.Cache.Persist("ttl"));
        Assert.False(t.Cache.Persist("ttl"));
        Assert.False(t.Cache.Persist("plain"));
        Assert.False(t.Cache.Persist("missing"));

        t.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(t.Cache.ContainsKey("ttl"));
        Assert.Equal(Timeout.InfiniteTimeSpan, t.Cache.GetTimeToLive("ttl"));
        t.Cache.Validate();
    }

    [Fact]
    public void DefaultTimeToLive_AppliesToWritesWithoutOne()
    {
        using var t = new TestCache(o => o.DefaultTimeToLive = TimeSpan.FromSeconds(30));
        t.Cache.Set("a", "v");
        t.Cache.TryAdd("b", "v");
        t.Cache.GetOrAdd("c", _ => "v");
        t.Cache.Set("d", "v", Timeout.InfiniteTimeSpan);

        Assert.Equal(TimeSpan.FromSeconds(30), t.Cache.GetTimeToLive("a"));
        Assert.Equal(TimeSpan.FromSeconds(30), t.Cache.GetTimeToLive("b"));
        Assert.Equal(TimeSpan.FromSeconds(30), t.Cache.GetTimeToLive("c"));
        Assert.Equal(Timeout.InfiniteTimeSpan, t.Cache.GetTimeToLive("d"));
    }

    [Fact]
    public void TryPeek_FindsLiveValues_WithoutCountingAHitOrAMiss()
    {
        using var t = new TestCache();
        t.Cache.Set("a", "1");
        t.Cache.Set("short", "2", TimeSpan.FromSeconds(1));
        t.Time.Advance(TimeSpan.FromMilliseconds(1500)); // "short" has expired; the sweep may not have run

        Assert.True(t.Cache.TryPeek("a", out string? value));
        Assert.Equal("1", value);
        Assert.False(t.Cache.TryPeek("short", out _));
        Assert.False(t.Cache.TryPeek("missing", out _));

        CacheStatistics stats = t.Cache.GetStatistics();
        Assert.Equal(0, stats.Hits);
        Assert.Equal(0, stats.Misses);
        Assert.Throws<ArgumentNullException>("key", () => t.Cache.TryPeek(null!, out _));
    }

    [Fact]
    public void GetStatistics_CountsEveryKindOfEvent()
    {
        using var t = new TestCache(o => o.MaxEntries = 2);
        t.Cache.Set("a", "1");
        t.Cache.Set("a", "2");
        t.Cache.TryGet("a", out _);
        t.Cache.TryGet("missing", out _);
        t.Cache.Remove("a");
        t.Cache.Set("t", "v", TimeSpan.FromSeconds(1));
        t.Time.Advance(TimeSpan.FromSeconds(2)); // the sweep timer reclaims "t"
        t.Cache.Set("x", "1");
        t.Cache.Set("y", "1");
        t.Cache.Set("z", "1"); // evicts one of x, y

        CacheStatistics stats = t.Cache.GetStatistics();

        Assert.Equal(1, stats.Hits);
        Assert.Equal(1, stats.Misses);
        Assert.Equal(0.5, stats.HitRatio);
        Assert.Equal(6, stats.Sets);
        Assert.Equal(1, stats.Removals);
        Assert.Equal(1, stats.Expirations);
        Assert.Equal(1, stats.Evictions);
        Assert.Equal(2, stats.Count);
    }

    [Fact]
    public void OnRemoved_Throwing_IsCountedReportedAndStoreStaysValid()
    {
        Exception? reported = null;
        using var cache = new LocalCache<string>(new LocalCacheOptions<string>
        {
            OnRemoved = (_, _, _) => throw new InvalidOperationException("callback failed"),
            OnCallbackError = ex => reported = ex,
        });
        cache.Set("k", "v1");

        cache.Set("k", "v2");
        Assert.True(cache.Remove("k"));

        Assert.Equal(2, cache.GetStatistics().CallbackErrors);
        Assert.Equal("callback failed", reported?.Message);
        Assert.False(cache.ContainsKey("k"));
        cache.Validate();
    }

    [Theory]
    [InlineData(RemovalReason.Removed)]
    [InlineData(RemovalReason.Replaced)]
    [InlineData(RemovalReason.Evicted)]
    [InlineData(RemovalReason.Expired)]
    public void OnRemoved_IsRaisedOutsideTheStripeLock(RemovalReason reason)
    {
        // One stripe: were the callback raised under the lock, a write from another thread would wait for it and the
        // callback, waiting for that write, would time out.
        bool? otherWriterFinished = null;
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TestCache.Epoch);
        LocalCache<string>? cache = null;
        cache = new LocalCache<string>(new LocalCacheOptions<string>
        {
            ConcurrencyLevel = 1,
            MaxEntries = 1,
            TimeProvider = time,
            OnRemoved = (key, _, r) =>
            {
                if (r == reason && key == "k")
                {
                    otherWriterFinished = Task.Run(() => cache!.Set("other" + key, "v")).Wait(TimeSpan.FromSeconds(30));
                }
            },
        });
        using (cache)
        {
            cache.Set("k", "v1", TimeSpan.FromSeconds(1));
            switch (reason)
            {
                case RemovalReason.Removed: cache.Remove("k"); break;
                case RemovalReason.Replaced: cache.Set("k", "v2"); break;
                case RemovalReason.Evicted: cache.Set("newcomer", "v"); break;
                case RemovalReason.Expired: time.Advance(TimeSpan.FromSeconds(2)); break;
            }

            Assert.True(otherWriterFinished);
            cache.Validate();
        }
    }

    [Fact]
    public void Dispose_ThenAnyCall_ThrowsObjectDisposed()
    {
        var cache = new LocalCache<string>();
        cache.Set("k", "v");
        cache.Dispose();

        Assert.Throws<ObjectDisposedException>(() => cache.TryGet("k", out _));
        Assert.Throws<ObjectDisposedException>(() => cache.Set("k", "v"));
        Assert.Throws<ObjectDisposedException>(() => cache.Scan(0));
    }

    [Fact]
    public void NullKeys_AreRejectedWithTheParameterName()
    {
        using var t = new TestCache();
        Action[] calls =
        [
            () => t.Cache.TryGet(null!, out _),
            () => t.Cache.ContainsKey(null!),
            () => t.Cache.Set(null!, "v"),
            () => t.Cache.Set(null!, "v", TimeSpan.FromSeconds(1)),
            () => t.Cache.TryAdd(null!, "v"),
            () => t.Cache.GetOrAdd(null!, _ => "v"),
            () => t.Cache.TryUpdate(null!, v => v),
            () => t.Cache.Remove(null!),
            () => t.Cache.TryRemove(null!, out _),
            () => t.Cache.GetTimeToLive(null!),
            () => t.Cache.Expire(null!, TimeSpan.FromSeconds(1)),
            () => t.Cache.Persist(null!),
        ];

        foreach (Action call in calls)
        {
            Assert.Equal("key", Assert.Throws<ArgumentNullException>(call).ParamName);
        }

        Assert.Equal("factory", Assert.Throws<ArgumentNullException>(() => t.Cache.GetOrAdd("k", null!)).ParamName);
        Assert.Equal("update", Assert.Throws<ArgumentNullException>(() => t.Cache.TryUpdate("k", null!)).ParamName);
        Assert.Equal("pattern", Assert.Throws<ArgumentNullException>(() => t.Cache.RemoveByPattern(null!)).ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1000)]
    public void Set_NonPositiveTimeToLive_IsRejected(int milliseconds)
    {
        using var t = new TestCache();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => t.Cache.Set("k", "v", TimeSpan.FromMilliseconds(milliseconds)));
        Assert.Equal("timeToLive", ex.ParamName);
        Assert.Equal("timeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => t.Cache.TryAdd("k", "v", TimeSpan.FromMilliseconds(milliseconds))).ParamName);
        Assert.Equal("timeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => t.Cache.TryUpdate("k", v => v, TimeSpan.FromMilliseconds(milliseconds))).ParamName);
        Assert.False(t.Cache.ContainsKey("k"));
    }

    [Fact]
    public void Set_MaximumTimeToLive_DoesNotOverflow()
    {
        using var t = new TestCache();
        t.Cache.Set("k", "v", TimeSpan.MaxValue);
        t.Cache.Set("j", "v", TimeSpan.MaxValue - TimeSpan.FromTicks(1));

        t.Time.Advance(TimeSpan.FromDays(1));
        Assert.True(t.Cache.ContainsKey("k"));
        Assert.True(t.Cache.ContainsKey("j"));
        Assert.True(t.Cache.GetTimeToLive("k") > TimeSpan.FromDays(365 * 1000));
        t.Cache.Validate();
    }

    [Fact]
    public void Keys_EmptyAndUnusualKeys_AreStoredExactly()
    {
        using var t = new TestCache();
        string[] keys = ["", "\0", "a\0b", "\ud800", new string('x', 100_000), "ключ", "🔑"];
        foreach (string key in keys)
        {
            t.Cache.Set(key, "v:" + key.Length);
        }

        foreach (string key in keys)
        {
            Assert.True(t.Cache.TryGet(key, out string? value));
            Assert.Equal("v:" + key.Length, value);
        }

        Assert.Equal(keys.Length, t.Cache.Count);
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), t.Cache.Keys().OrderBy(k => k, StringComparer.Ordinal));
        t.Cache.Validate();
    }
}
