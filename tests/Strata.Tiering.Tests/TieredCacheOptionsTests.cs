using System;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Strata.Engine;
using Xunit;

namespace Strata.Tiering.Tests;

public class TieredCacheOptionsTests
{
    public static TheoryData<Action<TieredCacheOptions>, string> InvalidOptions => new()
    {
        { o => o.KeyPrefix = "", "KeyPrefix" },
        { o => o.DefaultTimeToLive = TimeSpan.Zero, "DefaultTimeToLive" },
        { o => o.LocalMaxEntries = 0, "LocalMaxEntries" },
        { o => o.LocalMaxWeight = 0, "LocalMaxWeight" },
        { o => o.LocalMaxWeight = 1000, "LocalWeigher" },
        { o => o.LocalTimeToLive = TimeSpan.FromSeconds(-1), "LocalTimeToLive" },
        { o => o.LocalConcurrencyLevel = 0, "LocalConcurrencyLevel" },
        { o => o.LocalConcurrencyLevel = 257, "LocalConcurrencyLevel" },
        { o => o.Serializer = new IdSerializer(0), "Serializer" },
        { o => o.Serializer = new IdSerializer(4), "Serializer" },
        { o => o.FailSafeMaxDuration = TimeSpan.FromSeconds(-1), "FailSafeMaxDuration" },
        { o => o.CircuitBreakDuration = TimeSpan.FromSeconds(-1), "CircuitBreakDuration" },
        { o => o.OperationTimeout = TimeSpan.Zero, "OperationTimeout" },
        { o => o.TimeProvider = null!, "TimeProvider" },
        { o => o.Redis = "http://not-redis", "Redis" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Constructor_InvalidSetting_ThrowsNamingIt(Action<TieredCacheOptions> configure, string setting)
    {
        var options = new TieredCacheOptions();
        configure(options);

        var ex = Assert.ThrowsAny<ArgumentException>(() => new TieredCache(options));
        Assert.Contains(setting == "Redis" ? "http://not-redis" : setting, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalMaxWeight_BoundsL1ByTheWeigher()
    {
        using var cache = new TieredCache(new TieredCacheOptions
        {
            LocalMaxEntries = null,
            LocalMaxWeight = 100,
            LocalWeigher = (key, value) => ((string)value!).Length,
        });

        for (int i = 0; i < 30; i++)
        {
            await cache.SetAsync("k" + i, new string('x', 10));
        }

        CacheStatistics local = cache.GetStatistics().Local;
        Assert.Equal(10, local.Count);
        Assert.Equal(100, local.Weight);
        Assert.Equal(20, local.Evictions);
        Assert.True((await cache.GetAsync<string>("k29")).HasValue);
    }

    [Fact]
    public async Task LocalTimeToLive_IsIgnoredWithoutRedis()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var cache = new TieredCache(new TieredCacheOptions { LocalTimeToLive = TimeSpan.FromSeconds(10), TimeProvider = time });
        await cache.SetAsync("k", "v");

        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(CacheResult<string>.Hit("v"), await cache.GetAsync<string>("k")); // L1 is the only copy
    }

    [Fact]
    public void Operations_RejectBadArgumentsWithTheirNames()
    {
        using var cache = new TieredCache(new TieredCacheOptions());
        Assert.Equal("key", Assert.Throws<ArgumentNullException>(() => cache.GetAsync<string>(null!)).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentNullException>(() => cache.SetAsync<string>(null!, "v")).ParamName);
        Assert.Equal("timeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => cache.SetAsync("k", "v", TimeSpan.Zero)).ParamName);
        Assert.Equal("connection", Assert.Throws<ArgumentNullException>(() => new TieredCache(new TieredCacheOptions(), null!)).ParamName);
    }

    [Fact]
    public void Dispose_ThenAnyCall_ThrowsObjectDisposed()
    {
        var cache = new TieredCache(new TieredCacheOptions());
        cache.Dispose();
        cache.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => cache.GetAsync<string>("k"));
    }

    private sealed class IdSerializer(byte id) : ICacheSerializer
    {
        public byte Id => id;

        public void Serialize<T>(T value, System.Buffers.IBufferWriter<byte> destination) => throw new NotSupportedException();

        public T? Deserialize<T>(ReadOnlySpan<byte> source) => throw new NotSupportedException();
    }
}
