using System;
using System.Threading;
using Strata.Engine;
using Xunit;

namespace Strata.Engine.Tests.Store;

public class LocalCacheOptionsTests
{
    public static TheoryData<Action<LocalCacheOptions<string>>, string> InvalidOptions => new()
    {
        { o => o.MaxEntries = 0, "MaxEntries" },
        { o => o.MaxEntries = -1, "MaxEntries" },
        { o => o.MaxWeight = 0, "MaxWeight" },
        { o => o.MaxWeight = 10, "Weigher" },
        { o => o.Weigher = (_, _) => 1, "MaxWeight" },
        { o => o.DefaultTimeToLive = TimeSpan.Zero, "DefaultTimeToLive" },
        { o => o.DefaultTimeToLive = TimeSpan.FromSeconds(-1), "DefaultTimeToLive" },
        { o => o.TimeProvider = null!, "TimeProvider" },
        { o => o.ConcurrencyLevel = 0, "ConcurrencyLevel" },
        { o => o.ConcurrencyLevel = 257, "ConcurrencyLevel" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Constructor_InvalidSetting_ThrowsNamingIt(Action<LocalCacheOptions<string>> configure, string setting)
    {
        var options = new LocalCacheOptions<string>();
        configure(options);

        var ex = Assert.ThrowsAny<ArgumentException>(() => new LocalCache<string>(options));

        Assert.Equal("options", ex.ParamName);
        Assert.Contains(setting, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_InfiniteDefaultTimeToLive_MeansNoExpiry()
    {
        using var cache = new LocalCache<string>(new LocalCacheOptions<string> { DefaultTimeToLive = Timeout.InfiniteTimeSpan });
        cache.Set("k", "v");
        Assert.Equal(Timeout.InfiniteTimeSpan, cache.GetTimeToLive("k"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(256)]
    public void Constructor_AnyValidConcurrencyLevel_Works(int level)
    {
        using var cache = new LocalCache<string>(new LocalCacheOptions<string> { ConcurrencyLevel = level });
        for (int i = 0; i < 1000; i++)
        {
            cache.Set("k" + i, "v");
        }

        Assert.Equal(1000, cache.Count);
        cache.Validate();
    }
}
