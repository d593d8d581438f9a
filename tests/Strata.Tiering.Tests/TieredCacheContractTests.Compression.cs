using System;
using System.Linq;
using System.Threading.Tasks;
using StackExchange.Redis;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests;

/// <summary>Values from <see cref="TieredCacheOptions.CompressionThreshold"/> reach Redis compressed, and read back on another instance.</summary>
public abstract partial class TieredCacheContractTests
{
    private static readonly string LargeText = string.Concat(Enumerable.Repeat("a session message the cache keeps; ", 200));

    [Fact]
    public async Task LargeValue_IsCompressedInRedis_AndReadsBackOnAnotherInstance()
    {
        TieredCache a = NewCache(), b = NewCache();
        var order = new Order(7, LargeText);

        await a.SetAsync("text", LargeText);
        await a.SetAsync("order", order);
        await a.SetAsync("small", "short");

        byte[] text = await RawAsync("text");
        Assert.True(IsCompressed(text));
        Assert.True(text.Length < LargeText.Length / 4, $"{text.Length} bytes in Redis for {LargeText.Length} characters");
        Assert.True(IsCompressed(await RawAsync("order")));
        Assert.False(IsCompressed(await RawAsync("small")));
        Assert.Equal(CacheResult<string>.Hit(LargeText), await b.GetAsync<string>("text"));
        Assert.Equal(order, (await b.GetAsync<Order>("order")).Value);
        Assert.Equal(0, b.GetStatistics().DecodeErrors);
    }

    [Fact]
    public async Task DisableCompression_PerCallOrPerCache_StoresTheValuePlain()
    {
        TieredCache compressing = NewCache(), plain = NewCache(o => o.CompressionThreshold = null);

        await compressing.SetAsync("per call", LargeText, new CacheEntryOptions { Flags = CacheEntryFlags.DisableCompression });
        await plain.SetAsync("per cache", LargeText);

        Assert.False(IsCompressed(await RawAsync("per call")));
        Assert.False(IsCompressed(await RawAsync("per cache")));
        Assert.Equal(LargeText, (await plain.GetAsync<string>("per call", CacheEntryFlags.DisableLocalRead)).Value); // a reader reads either
        Assert.Equal(LargeText, (await plain.GetAsync<string>("per cache", CacheEntryFlags.DisableLocalRead)).Value);
    }

    [Fact]
    public void CompressionThreshold_ZeroOrNegative_IsRefused()
    {
        Assert.Equal("options", Assert.Throws<ArgumentOutOfRangeException>(() => NewCache(o => o.CompressionThreshold = 0)).ParamName);
    }

    private async Task<byte[]> RawAsync(string key)
    {
        await using ConnectionMultiplexer raw = await ConnectionMultiplexer.ConnectAsync(Redis);
        return (byte[])(await raw.GetDatabase().StringGetAsync(_prefix + key))!;
    }

    private static bool IsCompressed(byte[] envelope) => (envelope[2] & 0b100) != 0;

    /// <summary>A plain record: through System.Text.Json.</summary>
    public sealed record Order(int Id, string Notes);
}
