using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests.Chaos;

/// <summary>
/// Hostile input through the public API of a tiered cache on a real Redis, with a second instance reading what the
/// first wrote: each input gets a precise exception naming its parameter, or a documented result, and both instances
/// keep working afterwards. (The L1-only contract, the engine and the decoders have their own: CacheApiContractTests,
/// LocalCacheTests, the fuzz targets.)
/// </summary>
public sealed class BadInputSweepTests(SingleRedis redis) : IClassFixture<SingleRedis>, IAsyncDisposable
{
    private readonly string _prefix = "bad:" + Guid.NewGuid().ToString("N")[..8] + ":";
    private readonly List<TieredCache> _caches = [];

    public async ValueTask DisposeAsync()
    {
        foreach (TieredCache cache in _caches)
        {
            await cache.DisposeAsync();
        }
    }

    private TieredCache NewCache(ICacheSerializer? serializer = null, TimeSpan? failSafe = null)
    {
        var options = new TieredCacheOptions { Redis = redis.Configuration, KeyPrefix = _prefix, OperationTimeout = TimeSpan.FromSeconds(5), FailSafeMaxDuration = failSafe };
        if (serializer is not null)
        {
            options.Serializer = serializer;
        }

        var cache = new TieredCache(options);
        _caches.Add(cache);
        Subscriptions.WaitFor(cache, options);
        return cache;
    }

    public static TheoryData<string> UnusualKeys => new()
    {
        "\0", "a\0b", "\0\0\0", "🔑", "ключ", "tab\there", "new\nline", "sp ace", "*", "[a-z]?", "\\", "\u00e9\u0301",
        new string('k', TieredCache.MaxKeyLength), string.Concat(Enumerable.Repeat("🔑", TieredCache.MaxKeyLength / 2)),
    };

    [Theory]
    [MemberData(nameof(UnusualKeys))]
    public async Task UnusualButValidKeys_RoundTripThroughRedis_AndStayDistinct(string key)
    {
        TieredCache writer = NewCache(), reader = NewCache();
        string neighbour = key.Length < TieredCache.MaxKeyLength ? key + "x" : key[..^2] + "xy"; // differs in the last character
        await writer.SetAsync(key, "v:" + key.Length);
        await writer.SetAsync(neighbour, "other");

        Assert.Equal("v:" + key.Length, (await reader.GetAsync<string>(key)).Value); // read from Redis: reader's L1 is empty
        Assert.Equal("other", (await reader.GetAsync<string>(neighbour)).Value);
        Assert.True(await writer.RemoveAsync(key));
        await Eventually.True(async () => !(await reader.GetAsync<string>(key)).HasValue, "the removal to reach the reader");
        Assert.Equal("other", (await reader.GetAsync<string>(neighbour)).Value);
    }

    // By index: xunit would turn an unpaired surrogate into U+FFFD when it serializes theory data.
    private static readonly string[] s_unpairedSurrogates = ["\ud800", "\udfff", "a\ud800b", "\udc00\ud800", "ok🔑\ud83d", new string('k', 100) + "\udbff"];

    public static TheoryData<int> UnpairedSurrogates => new(Enumerable.Range(0, s_unpairedSurrogates.Length));

    [Theory]
    [MemberData(nameof(UnpairedSurrogates))]
    public async Task KeysWithUnpairedSurrogates_AreRefused_BecauseRedisWouldStoreThemAsAnotherKey(int index)
    {
        string key = s_unpairedSurrogates[index];
        // UTF-8 has no encoding for an unpaired surrogate: sent to Redis it would become U+FFFD, and "\ud800" and "\udfff"
        // would share one Redis key while L1 keeps them apart.
        TieredCache cache = NewCache();
        await AssertKeyRefused(() => cache.SetAsync(key, 1).AsTask());
        await AssertKeyRefused(() => cache.GetAsync<int>(key).AsTask());
        await AssertKeyRefused(() => cache.GetOrSetAsync(key, (_, _, _) => ValueTask.FromResult(1)).AsTask());
        await AssertKeyRefused(() => cache.RemoveAsync(key).AsTask());
        await AssertKeyRefused(() => cache.IncrementAsync(key).AsTask());
        await AssertKeyRefused(() => cache.Namespace("n").SetAsync(key, 1).AsTask());
        Assert.Equal("keys", (await Assert.ThrowsAnyAsync<ArgumentException>(() => cache.GetManyAsync<int>(["fine", key]).AsTask())).ParamName);
        Assert.Equal("items", (await Assert.ThrowsAnyAsync<ArgumentException>(() => cache.SetManyAsync([KeyValuePair.Create(key, 1)]).AsTask())).ParamName);
        Assert.Equal(0, cache.GetStatistics().Local.Count);
    }

    [Fact]
    public async Task PatternsOfTenThousandStars_AreBoundedWork_AndMeanWhatRedisMeans()
    {
        TieredCache writer = NewCache(), reader = NewCache();
        for (int i = 0; i < 50; i++)
        {
            await writer.SetAsync("p" + i, i);
        }

        await writer.SetAsync("other", 0);
        Assert.Equal(0, await writer.RemoveByPatternAsync(new string('*', 10_000) + "nothing-ends-like-this"));
        Assert.Equal(0, await writer.RemoveByPatternAsync(string.Concat(Enumerable.Repeat("*a", 5_000)))); // no key has 5,000 a's
        Assert.Equal(50, await writer.RemoveByPatternAsync("p" + new string('*', 10_000)));

        Assert.Equal(0, (await reader.GetAsync<int>("other")).Value);
        Assert.False((await reader.GetAsync<int>("p7")).HasValue);
        Assert.False((await writer.GetAsync<int>("p7")).HasValue);
        Assert.Equal(1, await writer.RemoveByPatternAsync(new string('*', 10_000)));
        await Eventually.True(async () => !(await reader.GetAsync<int>("other")).HasValue, "the pattern invalidation to reach the reader");
    }

    // The top of the range: Redis takes every PX up to the end of its 64-bit millisecond clock, and TimeSpan.MaxValue is
    // 922,337,203,685,478 ms rounded up. 10,000 years is past DateTimeOffset's year 9999; 300 years is past what a 1 GHz
    // timestamp holds.
    public static TheoryData<TimeSpan, bool> HugeTimesToLive => new()
    {
        { TimeSpan.MaxValue, false }, { TimeSpan.MaxValue, true }, { TimeSpan.MaxValue - TimeSpan.FromTicks(1), true },
        { TimeSpan.FromDays(365 * 10_000), false }, { TimeSpan.FromDays(365 * 10_000), true }, { TimeSpan.FromDays(365 * 300), true },
    };

    [Theory]
    [MemberData(nameof(HugeTimesToLive))]
    public async Task EveryTimeToLive_UpToTimeSpanMaxValue_IsKeptByBothTiers_InEveryOperation(TimeSpan timeToLive, bool failSafe)
    {
        TimeSpan? window = failSafe ? TimeSpan.FromSeconds(3) : null;
        TieredCache writer = NewCache(failSafe: window), reader = NewCache(failSafe: window);
        TimeSpan least = timeToLive - TimeSpan.FromMinutes(1);
        TimeSpan most = timeToLive > TimeSpan.MaxValue - TimeSpan.FromMilliseconds(1) ? TimeSpan.MaxValue : timeToLive + TimeSpan.FromMilliseconds(1); // whole milliseconds, rounded up as PX

        await writer.SetAsync("k", 1, timeToLive);
        await writer.SetManyAsync([KeyValuePair.Create("m", 2)], timeToLive);
        Assert.Equal(3, await writer.GetOrSetAsync("g", (_, _, _) => ValueTask.FromResult(3), new CacheEntryOptions { TimeToLive = timeToLive }));
        Assert.Equal(1, await writer.IncrementAsync("c", 1, timeToLive));
        await writer.SetAsync("e", 5);
        Assert.True(await writer.ExpireAsync("e", timeToLive));
        await writer.SetAsync("u", 6);
        Assert.Equal(7, (await writer.UpdateAsync<int>("u", n => n + 1, timeToLive)).Value);

        foreach (TieredCache cache in new[] { writer, reader })
        {
            Assert.Equal(1, (await cache.GetAsync<int>("k")).Value);
            Assert.Equal(2, (await cache.GetAsync<int>("m")).Value);
            Assert.Equal(3, (await cache.GetAsync<int>("g")).Value);
            Assert.Equal(1, (await cache.GetAsync<long>("c")).Value);
            Assert.Equal(7, (await cache.GetAsync<int>("u")).Value);
            foreach (string key in new[] { "k", "m", "g", "c", "e", "u" })
            {
                Assert.InRange((await cache.GetTimeToLiveAsync(key))!.Value, least, most);
                Assert.True(await cache.ExistsAsync(key));
            }
        }

        // Read back from L1 alone (here while Redis is up, through the L1-only path of a cache without Redis).
        await using var local = new TieredCache(new TieredCacheOptions { FailSafeMaxDuration = window });
        await local.SetAsync("k", 1, timeToLive);
        Assert.Equal(1, await local.IncrementAsync("c", 1, timeToLive));
        Assert.True(await local.SetTimeToLiveAsync("k", timeToLive));
        Assert.InRange((await local.GetTimeToLiveAsync("k"))!.Value, least - (window ?? TimeSpan.Zero), most);
        Assert.InRange((await local.GetTimeToLiveAsync("c"))!.Value, least, most);
        Assert.Equal(1, (await local.GetAsync<int>("k")).Value);
    }

    [Fact]
    public async Task TimeSpanMaxValue_IsWhatRedisKeepsForTheLongestPx()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("k", 1, TimeSpan.MaxValue);
        await cache.SetManyAsync([KeyValuePair.Create("m", 2)], TimeSpan.MaxValue);

        // StackExchange.Redis sends a SET with TimeSpan.MaxValue as one with no expiry, which would outlive the value.
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        foreach (string key in new[] { "k", "m" })
        {
            long pttl = (long)await connection.GetDatabase().ExecuteAsync("PTTL", _prefix + key);
            Assert.InRange(pttl, 922_337_203_685_478 - 60_000, 922_337_203_685_478); // about the PX of TimeSpan.MaxValue
        }

        Assert.InRange((await cache.GetTimeToLiveAsync("k"))!.Value, TimeSpan.MaxValue - TimeSpan.FromMinutes(1), TimeSpan.MaxValue);
    }

    [Fact]
    public async Task SerializerThatThrowsOnWrite_ThrowsToTheWriter_AndNothingIsStoredAnywhere()
    {
        TieredCache cache = NewCache(new FailingSerializer { FailWrites = true }), reader = NewCache();
        await cache.SetAsync("k", "kept"); // a string is stored raw: no serializer involved

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => cache.SetAsync("k", new[] { 1 }).AsTask());
        Assert.Equal(FailingSerializer.Message, thrown.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.SetManyAsync([KeyValuePair.Create("k", new[] { 1 }), KeyValuePair.Create("j", new[] { 2 })]).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetOrSetAsync("g", (_, _, _) => ValueTask.FromResult(new[] { 3 })).AsTask());

        Assert.Equal("kept", (await reader.GetAsync<string>("k")).Value);
        Assert.Equal("kept", (await cache.GetAsync<string>("k")).Value);
        Assert.False((await reader.GetAsync<int[]>("j")).HasValue);
        Assert.False((await reader.GetAsync<int[]>("g")).HasValue);
        Assert.False((await cache.GetAsync<int[]>("g")).HasValue);
        Assert.Equal(0, cache.PendingRepairs);
    }

    [Fact]
    public async Task SerializerThatThrowsOnRead_IsAMissAndACountedError_NeverAnException()
    {
        TieredCache writer = NewCache(new FailingSerializer()), reader = NewCache(new FailingSerializer { FailReads = true });
        await writer.SetAsync("k", new[] { 1, 2, 3 });

        Assert.False((await reader.GetAsync<int[]>("k")).HasValue);
        Assert.False((await reader.GetManyAsync<int[]>(["k"]))[0].HasValue);
        Assert.Equal(new[] { 1, 2, 3 }, (await writer.GetAsync<int[]>("k")).Value ?? []);
        Assert.Equal(new[] { 7 }, await reader.GetOrSetAsync("k", (_, _, _) => ValueTask.FromResult(new[] { 7 }))); // a miss: the factory runs
        Assert.True(reader.GetStatistics().DecodeErrors >= 2);
        await Eventually.True(async () => (await writer.GetAsync<int[]>("k")).Value is [7], "the factory's value to replace the unreadable one");
    }

    private static async Task AssertKeyRefused(Func<Task> call) =>
        Assert.Equal("key", (await Assert.ThrowsAnyAsync<ArgumentException>(call)).ParamName);

    /// <summary>MemoryPack, except that it throws on demand.</summary>
    private sealed class FailingSerializer : ICacheSerializer
    {
        public const string Message = "This serializer refuses the value.";

        public bool FailWrites { get; init; }

        public bool FailReads { get; init; }

        public byte Id => MemoryPackCacheSerializer.Instance.Id;

        public void Serialize<T>(T value, IBufferWriter<byte> destination)
        {
            if (FailWrites)
            {
                throw new InvalidOperationException(Message);
            }

            MemoryPackCacheSerializer.Instance.Serialize(value, destination);
        }

        public T? Deserialize<T>(ReadOnlySpan<byte> source) =>
            FailReads ? throw new InvalidOperationException(Message) : MemoryPackCacheSerializer.Instance.Deserialize<T>(source);
    }
}
