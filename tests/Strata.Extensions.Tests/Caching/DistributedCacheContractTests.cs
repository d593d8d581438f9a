using System;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Strata.Extensions.Tests.Caching;

/// <summary>
/// <see cref="IDistributedCache"/> as its documentation describes it, run against Microsoft's in-memory implementation
/// (which keeps the suite honest) and against Strata's adapter, L1-only and tiered.
/// </summary>
public abstract class DistributedCacheContractTests : IAsyncLifetime
{
    private static readonly byte[] Value = [1, 2, 3];

    protected FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    protected IDistributedCache Cache { get; private set; } = null!;

    public async Task InitializeAsync() => Cache = await CreateAsync(Time);

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The implementation under test, on <paramref name="time"/>.</summary>
    protected abstract Task<IDistributedCache> CreateAsync(FakeTimeProvider time);

    [Fact]
    public async Task Get_Missing_ReturnsNull()
    {
        Assert.Null(await Cache.GetAsync("missing"));
        Assert.Null(Cache.Get("missing"));
    }

    [Fact]
    public async Task Set_ThenGet_ReturnsTheBytes()
    {
        await Cache.SetAsync("k", Value, new DistributedCacheEntryOptions());
        Cache.Set("sync", [9], new DistributedCacheEntryOptions());

        Assert.Equal(Value, await Cache.GetAsync("k"));
        Assert.Equal(new byte[] { 9 }, Cache.Get("sync"));
    }

    [Fact]
    public async Task Set_AnExistingKey_Overwrites()
    {
        await Cache.SetAsync("k", Value, new DistributedCacheEntryOptions());
        await Cache.SetAsync("k", [4], new DistributedCacheEntryOptions());

        Assert.Equal(new byte[] { 4 }, await Cache.GetAsync("k"));
    }

    [Fact]
    public async Task Remove_RemovesTheEntry_AndAMissingKeyIsFine()
    {
        await Cache.SetAsync("k", Value, new DistributedCacheEntryOptions());
        Cache.Set("sync", Value, new DistributedCacheEntryOptions());

        await Cache.RemoveAsync("k");
        Cache.Remove("sync");
        await Cache.RemoveAsync("never-there");

        Assert.Null(await Cache.GetAsync("k"));
        Assert.Null(Cache.Get("sync"));
    }

    [Fact]
    public async Task AbsoluteExpirationRelativeToNow_EndsTheEntry()
    {
        await Cache.SetAsync("k", Value, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(10) });

        Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(Value, await Cache.GetAsync("k"));
        Time.Advance(TimeSpan.FromSeconds(6));
        Assert.Null(await Cache.GetAsync("k"));
    }

    [Fact]
    public async Task AbsoluteExpiration_EndsTheEntryAtThatInstant()
    {
        await Cache.SetAsync("k", Value, new DistributedCacheEntryOptions { AbsoluteExpiration = Time.GetUtcNow().AddSeconds(10) });

        Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(Value, await Cache.GetAsync("k"));
        Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await Cache.GetAsync("k"));
    }

    [Fact]
    public async Task AbsoluteExpiration_InThePast_IsRefusedOrNeverReturned()
    {
        // The interface leaves this open: Microsoft's in-memory cache stores an expired entry, its Redis cache refuses it.
        Exception? refused = await Record.ExceptionAsync(() =>
            Cache.SetAsync("k", Value, new DistributedCacheEntryOptions { AbsoluteExpiration = Time.GetUtcNow().AddSeconds(-1) }));

        if (refused is null)
        {
            Assert.Null(await Cache.GetAsync("k"));
        }
        else
        {
            Assert.IsType<ArgumentOutOfRangeException>(refused);
        }
    }

    [Fact]
    public async Task SlidingExpiration_EachReadExtendsTheEntry()
    {
        await Cache.SetAsync("k", Value, new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(10) });

        for (int i = 0; i < 3; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(6)); // 18 s in all: past the window, but each read slid it
            Assert.Equal(Value, await Cache.GetAsync("k"));
        }

        Time.Advance(TimeSpan.FromSeconds(11));
        Assert.Null(await Cache.GetAsync("k"));
    }

    [Fact]
    public async Task Refresh_ExtendsASlidingEntryWithoutReadingIt()
    {
        await Cache.SetAsync("k", Value, new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(10) });
        Cache.Set("sync", Value, new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(10) });

        Time.Advance(TimeSpan.FromSeconds(6));
        await Cache.RefreshAsync("k");
        Cache.Refresh("sync");
        await Cache.RefreshAsync("never-there");
        Time.Advance(TimeSpan.FromSeconds(6));

        Assert.Equal(Value, await Cache.GetAsync("k"));
        Assert.Equal(Value, Cache.Get("sync"));
    }

    [Fact]
    public async Task SlidingExpiration_NeverPassesTheAbsoluteOne()
    {
        await Cache.SetAsync("k", Value, new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(10), AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(15) });

        Time.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(Value, await Cache.GetAsync("k"));
        Time.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(Value, await Cache.GetAsync("k"));
        Time.Advance(TimeSpan.FromSeconds(2)); // 16 s: within the slid window, past the absolute expiry
        Assert.Null(await Cache.GetAsync("k"));
    }

    [Fact]
    public async Task NullArguments_AreRefused()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.GetAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.SetAsync("k", null!, new DistributedCacheEntryOptions()));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.SetAsync(null!, Value, new DistributedCacheEntryOptions()));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.SetAsync("k", Value, null!));
    }
}
