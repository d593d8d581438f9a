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

    private TieredCache NewCache(ICacheSerializer? serializer = null)
    {
        var options = new TieredCacheOptions { Redis = redis.Configuration, KeyPrefix = _prefix, OperationTimeout = TimeSpan.FromSeconds(5) };
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

    public static TheoryData<TimeSpan> HugeTimesToLive => new() { TimeSpan.MaxValue, TimeSpan.FromDays(365 * 10_000), TieredCache.MaxTimeToLive + TimeSpan.FromMilliseconds(1) };

    [Theory]
    [MemberData(nameof(HugeTimesToLive))]
    public async Task TimesToLiveBeyondTheMaximum_AreRefused_NamingTheParameter(TimeSpan timeToLive)
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("k", 1);

        Assert.Equal("timeToLive", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cache.SetAsync("k", 2, timeToLive).AsTask())).ParamName);
        Assert.Equal("timeToLive", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cache.ExpireAsync("k", timeToLive).AsTask())).ParamName);
        Assert.Equal("timeToLive", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cache.SetManyAsync([KeyValuePair.Create("m", 2)], timeToLive).AsTask())).ParamName);
        Assert.Equal("TimeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => new CacheEntryOptions { TimeToLive = timeToLive }).ParamName);
        Assert.Equal("timeToLiveWhenCreated", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cache.IncrementAsync("c", 1, timeToLive).AsTask())).ParamName);
        Assert.Equal(1, (await cache.GetAsync<int>("k")).Value); // nothing changed
    }

    [Fact]
    public async Task TheLongestTimeToLive_IsKeptByBothTiers()
    {
        TieredCache writer = NewCache(), reader = NewCache();
        await writer.SetAsync("k", 1, TieredCache.MaxTimeToLive);

        Assert.Equal(1, (await reader.GetAsync<int>("k")).Value);
        Assert.InRange((await reader.GetTimeToLiveAsync("k"))!.Value, TieredCache.MaxTimeToLive - TimeSpan.FromMinutes(1), TieredCache.MaxTimeToLive);
        Assert.True(await writer.ExpireAsync("k", TieredCache.MaxTimeToLive));
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
