using System;
using System.Threading.Tasks;
using Xunit;

namespace Strata.Tiering.Tests.CacheApi;

public abstract partial class CacheApiContractTests
{
    public static TheoryData<string> BadKeys => new() { "", new string('k', TieredCache.MaxKeyLength + 1), "users:__idx:user:alice", "__tag:org:7", "a__grp:b" };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task BadKey_EveryWriteRefusesIt_NamingTheParameter_BeforeWriting(string key)
    {
        TieredCache cache = NewCache();

        await AssertKeyRefused(() => cache.SetAsync(key, 1).AsTask());
        await AssertKeyRefused(() => cache.SetAsync(key, 1, new CacheEntryOptions { Tags = { "t" } }).AsTask());
        await AssertKeyRefused(() => cache.GetOrSetAsync(key, (_, _, _) => ValueTask.FromResult(1)).AsTask());
        await AssertKeyRefused(() => cache.IncrementAsync(key).AsTask());

        Assert.Equal(0, cache.GetStatistics().Local.Count);
        Assert.Empty(await cache.GetKeysByIndexAsync("user", "alice"));
    }

    [Fact]
    public async Task BadKey_EmptyOrTooLong_IsRefusedByReadsToo_AndTheLongestAllowedWorks()
    {
        TieredCache cache = NewCache();
        CacheNamespace users = cache.Namespace("users");
        string longest = new('k', TieredCache.MaxKeyLength);

        await AssertKeyRefused(() => cache.GetAsync<int>("").AsTask());
        await AssertKeyRefused(() => cache.RemoveAsync(longest + "k").AsTask());
        await AssertKeyRefused(() => cache.UpdateAsync<int>("", n => n).AsTask());
        await AssertKeyRefused(() => cache.SetTimeToLiveAsync("", TimeSpan.FromMinutes(1)).AsTask());
        await AssertKeyRefused(() => users.SetAsync("", 1).AsTask());
        await AssertKeyRefused(() => users.GetOrSetAsync("", (_, _, _) => ValueTask.FromResult(1)).AsTask());
        await AssertKeyRefused(() => users.SetAsync(longest[6..] + "x", 1).AsTask()); // "users:" counts
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentNullException>(() => cache.GetAsync<int>(null!).AsTask())).ParamName);

        await cache.SetAsync(longest, 7);
        Assert.Equal(7, (await cache.GetAsync<int>(longest)).Value);
        Assert.Equal(1, cache.GetStatistics().Local.Count);
    }

    [Fact]
    public async Task NonPositiveTimesToLive_AreRefused_NamingTheParameter()
    {
        TieredCache cache = NewCache();
        await cache.SetAsync("k", 1);

        Assert.Equal("timeToLive", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cache.SetAsync("k", 2, TimeSpan.Zero).AsTask())).ParamName);
        Assert.Equal("timeToLive", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cache.SetTimeToLiveAsync("k", TimeSpan.FromSeconds(-1)).AsTask())).ParamName);
        Assert.Equal("timeToLiveWhenCreated", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cache.IncrementAsync("c", 1, TimeSpan.Zero).AsTask())).ParamName);
        Assert.Equal("restartTimeToLive", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cache.UpdateAsync<int>("k", n => n + 1, TimeSpan.Zero).AsTask())).ParamName);
        Assert.Equal("TimeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => new CacheEntryOptions { TimeToLive = TimeSpan.FromMilliseconds(-5) }).ParamName);
        Assert.Equal("defaultTimeToLive", Assert.Throws<ArgumentOutOfRangeException>(() => cache.Namespace("n", TimeSpan.Zero)).ParamName);

        Assert.Equal(1, (await cache.GetAsync<int>("k")).Value);
        Assert.False(await cache.ExistsAsync("c"));
    }

    private static async Task AssertKeyRefused(Func<Task> call) =>
        Assert.Equal("key", (await Assert.ThrowsAnyAsync<ArgumentException>(call)).ParamName);
}
