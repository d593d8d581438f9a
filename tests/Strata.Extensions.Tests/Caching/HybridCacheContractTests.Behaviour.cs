using System;
using System.ComponentModel;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Hybrid;
using Xunit;

namespace Strata.Extensions.Tests.Caching;

/// <summary>A class with a setter: mutable by Microsoft's rule.</summary>
public sealed class MutablePoco
{
    public string Value { get; set; } = "";
}

/// <summary>Immutable by Microsoft's rule: sealed and marked.</summary>
[ImmutableObject(true)]
public sealed class ImmutablePoco(string value)
{
    public string Value { get; } = value;
}

/// <summary>A value System.Text.Json refuses: it refers to itself.</summary>
public sealed class Cyclic
{
    public Cyclic() => Next = this;

    public Cyclic? Next { get; set; }
}

/// <summary>
/// Copies of mutable values, the options, the flags and the serializer's failures, as Microsoft's documentation and its
/// own tests (Microsoft.Extensions.Caching.Hybrid.Tests) define them.
/// </summary>
public abstract partial class HybridCacheContractTests
{
    [Fact]
    public async Task MutableType_EachCallerGetsItsOwnCopy()
    {
        MutablePoco first = await Cache.GetOrCreateAsync("k", _ => new ValueTask<MutablePoco>(new MutablePoco { Value = "original" }));
        first.Value = "changed by the first caller";

        MutablePoco second = await Cache.GetOrCreateAsync<MutablePoco>("k", _ => throw new InvalidOperationException("must not run"));
        MutablePoco third = await Cache.GetOrCreateAsync<MutablePoco>("k", _ => throw new InvalidOperationException("must not run"));

        Assert.Equal("original", second.Value);
        Assert.NotSame(second, third);
    }

    [Fact]
    public async Task MutableType_Set_KeepsACopy_NotTheCallersInstance()
    {
        var value = new MutablePoco { Value = "as set" };
        await Cache.SetAsync("k", value);
        value.Value = "changed after the set";

        Assert.Equal("as set", (await Cache.GetOrCreateAsync<MutablePoco>("k", _ => throw new InvalidOperationException("must not run"))).Value);
    }

    [Fact]
    public async Task ImmutableTypes_AreSharedByEveryCaller()
    {
        string text = new('x', 12); // not an interned literal
        var poco = new ImmutablePoco("shared");
        await Cache.GetOrCreateAsync("text", _ => new ValueTask<string>(text));
        await Cache.GetOrCreateAsync("poco", _ => new ValueTask<ImmutablePoco>(poco));

        Assert.Same(text, await Cache.GetOrCreateAsync<string>("text", _ => throw new InvalidOperationException("must not run")));
        Assert.Same(poco, await Cache.GetOrCreateAsync<ImmutablePoco>("poco", _ => throw new InvalidOperationException("must not run")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("a\u0000c")]
    [InlineData("a\u001Fc")]
    public async Task KeyThatCannotBeCached_RunsTheFactoryOnEveryCall_AndNothingThrows(string? key)
    {
        int runs = 0;

        Assert.Equal(1, await Cache.GetOrCreateAsync(key!, _ => new ValueTask<int>(++runs)));
        Assert.Equal(2, await Cache.GetOrCreateAsync(key!, _ => new ValueTask<int>(++runs)));
        await Cache.SetAsync(key!, 3);
        Assert.Equal(3, await Cache.GetOrCreateAsync(key!, _ => new ValueTask<int>(++runs)));
    }

    [Fact]
    public async Task KeyWithASpace_IsCached()
    {
        int runs = 0;
        await Cache.GetOrCreateAsync("a c", _ => new ValueTask<int>(++runs));

        Assert.Equal(1, await Cache.GetOrCreateAsync("a c", _ => new ValueTask<int>(++runs)));
    }

    [Fact]
    public async Task MaximumKeyLength_LongerKeysAreNotCached()
    {
        HybridCache cache = await StartOtherAsync(o => o.MaximumKeyLength = 8);
        int runs = 0;

        await cache.GetOrCreateAsync("12345678", _ => new ValueTask<int>(++runs));
        Assert.Equal(1, await cache.GetOrCreateAsync("12345678", _ => new ValueTask<int>(++runs)));
        await cache.GetOrCreateAsync("123456789", _ => new ValueTask<int>(++runs));
        Assert.Equal(3, await cache.GetOrCreateAsync("123456789", _ => new ValueTask<int>(++runs)));
    }

    [Fact]
    public async Task MaximumPayloadBytes_ALargerValueIsStillServedFromL1()
    {
        HybridCache cache = await StartOtherAsync(o => o.MaximumPayloadBytes = 8);
        string value = new('v', 100);

        await cache.GetOrCreateAsync("k", _ => new ValueTask<string>(value));

        Assert.Same(value, await cache.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("must not run")));
    }

    [Fact]
    public async Task DefaultEntryOptions_ApplyToCallsWithoutOptions()
    {
        HybridCache cache = await StartOtherAsync(o => o.DefaultEntryOptions = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableLocalCache });
        int runs = 0;

        await cache.GetOrCreateAsync("k", _ => new ValueTask<int>(++runs));
        await cache.GetOrCreateAsync("k", _ => new ValueTask<int>(++runs));

        Assert.Equal(Distributed ? 1 : 2, runs); // with L1 left out, only a distributed tier can answer the second call
    }

    [Fact]
    public async Task DisableLocalCacheRead_AsksTheDistributedTierOrTheFactory()
    {
        await Cache.SetAsync("k", "cached");

        string read = await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("fresh"), Flagged(HybridCacheEntryFlags.DisableLocalCacheRead));

        Assert.Equal(Distributed ? "cached" : "fresh", read);
    }

    [Fact]
    public async Task DisableLocalCacheWrite_LeavesTheValueToTheDistributedTier()
    {
        await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("first"), Flagged(HybridCacheEntryFlags.DisableLocalCacheWrite));

        Assert.Equal(Distributed ? "first" : "second", await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("second")));
    }

    [Fact]
    public async Task DisableDistributedCacheWrite_KeepsTheValueInL1Only()
    {
        await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("first"), Flagged(HybridCacheEntryFlags.DisableDistributedCacheWrite));

        Assert.Equal("first", await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("second")));
        Assert.Equal("second", await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("second"), Flagged(HybridCacheEntryFlags.DisableLocalCacheRead)));
    }

    [Fact]
    public async Task DisableDistributedCacheRead_WithL1LeftOut_RunsTheFactory()
    {
        await Cache.SetAsync("k", "cached");

        string read = await Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("fresh"), Flagged(HybridCacheEntryFlags.DisableLocalCacheRead | HybridCacheEntryFlags.DisableDistributedCacheRead));

        Assert.Equal("fresh", read);
    }

    [Fact]
    public async Task DisableUnderlyingData_WithL1LeftOut_ReadsOnlyTheDistributedTier()
    {
        await Cache.SetAsync("k", "cached");

        string? read = await Cache.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("must not run"), Flagged(HybridCacheEntryFlags.DisableUnderlyingData | HybridCacheEntryFlags.DisableLocalCacheRead));

        Assert.Equal(Distributed ? "cached" : null, read);
    }

    [Fact]
    public async Task SerializerRefusesTheValue_TheCallerGetsItsException_AndNothingIsCached()
    {
        int runs = 0;
        ValueTask<Cyclic> Factory(System.Threading.CancellationToken _)
        {
            runs++;
            return new ValueTask<Cyclic>(new Cyclic());
        }

        await Assert.ThrowsAsync<JsonException>(async () => await Cache.GetOrCreateAsync("k", Factory));
        await Assert.ThrowsAsync<JsonException>(async () => await Cache.GetOrCreateAsync("k", Factory));

        Assert.Equal(2, runs);
    }

    private static HybridCacheEntryOptions Flagged(HybridCacheEntryFlags flags) => new() { Flags = flags };
}
