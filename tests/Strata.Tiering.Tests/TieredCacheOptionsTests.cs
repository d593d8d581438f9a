using System;
using Xunit;

namespace Strata.Tiering.Tests;

public class TieredCacheOptionsTests
{
    public static TheoryData<Action<TieredCacheOptions>, string> InvalidOptions => new()
    {
        { o => o.KeyPrefix = "", "KeyPrefix" },
        { o => o.DefaultTimeToLive = TimeSpan.Zero, "DefaultTimeToLive" },
        { o => o.LocalMaxEntries = 0, "LocalMaxEntries" },
        { o => o.Serializer = null!, "Serializer" },
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
}
