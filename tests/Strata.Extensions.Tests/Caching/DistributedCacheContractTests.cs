using System;
using System.Buffers;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Strata.Extensions.Tests.Caching;

/// <summary>
/// <see cref="IDistributedCache"/> and <see cref="IBufferDistributedCache"/> as their documentation describes them, run
/// against Microsoft's in-memory and Redis implementations (which keep the suite honest) and against Strata's adapter,
/// L1-only and tiered. What needs a fake clock is in <see cref="DistributedCacheClockContractTests"/>.
/// </summary>
public abstract class DistributedCacheContractTests : IAsyncLifetime
{
    protected static readonly byte[] Value = [1, 2, 3];

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
    public async Task NullArguments_AreRefused_NamingTheParameter()
    {
        var options = new DistributedCacheEntryOptions();
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.GetAsync(null!))).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentNullException>(() => Cache.Get(null!)).ParamName);
        await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.SetAsync("k", null!, options)); // "value" in memory, "array" in Microsoft's Redis cache
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.SetAsync(null!, Value, options))).ParamName);
        Assert.Equal("options", (await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.SetAsync("k", Value, null!))).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => Cache.Set("k", Value, null!)).ParamName);
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.RefreshAsync(null!))).ParamName);
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.RemoveAsync(null!))).ParamName);
    }
}

/// <summary>The expiry half of the contract, on a fake clock (Microsoft's Redis cache reads the system's, so it is not here).</summary>
public abstract class DistributedCacheClockContractTests : DistributedCacheContractTests
{
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
}

/// <summary>
/// <see cref="IBufferDistributedCache"/>, run against Microsoft's Redis implementation (its in-memory one does not
/// implement it) and Strata's adapter, L1-only and tiered.
/// </summary>
public abstract class BufferDistributedCacheContractTests : IAsyncLifetime
{
    protected static readonly byte[] Value = [1, 2, 3];

    protected IBufferDistributedCache Cache { get; private set; } = null!;

    public async Task InitializeAsync() => Cache = await CreateAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The implementation under test.</summary>
    protected abstract Task<IBufferDistributedCache> CreateAsync();

    [Fact]
    public async Task Buffers_SetFromASequence_ThenTryGetIntoAWriter()
    {
        IBufferDistributedCache cache = Cache;
        var twoSegments = Sequence([1, 2], [3, 4, 5]);
        await cache.SetAsync("k", twoSegments, new DistributedCacheEntryOptions(), default);
        cache.Set("sync", new ReadOnlySequence<byte>(Value), new DistributedCacheEntryOptions());
        var writer = new ArrayBufferWriter<byte>();

        Assert.True(await cache.TryGetAsync("k", writer, default));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, writer.WrittenSpan.ToArray());
        Assert.True(cache.TryGet("sync", writer)); // appended: the writer's earlier bytes stay
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 1, 2, 3 }, writer.WrittenSpan.ToArray());
        Assert.False(await cache.TryGetAsync("missing", writer, default));
        Assert.Equal(8, writer.WrittenCount);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, await Cache.GetAsync("k")); // one store, read either way
    }

    [Fact]
    public async Task Buffers_NullArguments_AreRefused_NamingTheParameter()
    {
        IBufferDistributedCache cache = Cache;
        var writer = new ArrayBufferWriter<byte>();
        var options = new DistributedCacheEntryOptions();
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.TryGetAsync(null!, writer, default))).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentNullException>(() => cache.TryGet(null!, writer)).ParamName);
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.SetAsync(null!, new ReadOnlySequence<byte>(Value), options, default))).ParamName);
        Assert.Equal("options", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.SetAsync("k", new ReadOnlySequence<byte>(Value), null!, default))).ParamName);
    }

    private static ReadOnlySequence<byte> Sequence(byte[] first, byte[] second)
    {
        var head = new Segment(first, 0);
        Segment tail = head.Append(second);
        return new ReadOnlySequence<byte>(head, 0, tail, second.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
