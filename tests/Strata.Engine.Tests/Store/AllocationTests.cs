using System;
using Strata.Engine;
using Xunit;

namespace Strata.Engine.Tests.Store;

/// <summary>The promised allocation-free paths, measured in bytes allocated by this thread (exact, not timed).</summary>
public class AllocationTests
{
    private const int Iterations = 10_000;

    [Fact]
    public void TryGet_HitAndMiss_StringAndSpan_AllocateNothing()
    {
        using var cache = new LocalCache<string>();
        cache.Set("present", "value");
        cache.Set("with-ttl", "value", TimeSpan.FromMinutes(5));
        char[] spanSource = "xpresentx".ToCharArray();
        ReadOnlySpan<char> span = spanSource.AsSpan(1, 7);

        Measure(() => cache.TryGet("present", out _));         // warm-up (JIT, statics)
        Assert.Equal(0, Measure(() => cache.TryGet("present", out _)));
        Assert.Equal(0, Measure(() => cache.TryGet("with-ttl", out _)));
        Assert.Equal(0, Measure(() => cache.TryGet("absent", out _)));
        Assert.Equal(0, Measure(() => cache.TryGet(spanSource.AsSpan(1, 7), out _)));
        Assert.Equal(0, Measure(() => cache.TryGet("absent".AsSpan(), out _)));
        Assert.True(cache.TryGet(span, out _));
    }

    [Fact]
    public void Set_OverwritingReferenceValue_AllocatesNothing()
    {
        using var cache = new LocalCache<string>();
        cache.Set("k", "v1");
        cache.Set("ttl", "v1", TimeSpan.FromMinutes(1));

        Measure(() => cache.Set("k", "v2"));
        Assert.Equal(0, Measure(() => cache.Set("k", "v3")));
        Assert.Equal(0, Measure(() => cache.Set("ttl", "v3", TimeSpan.FromMinutes(1))));
    }

    [Fact]
    public void Set_OverwritingPrimitiveValue_AllocatesNothing()
    {
        using var cache = new LocalCache<long>();
        cache.Set("k", 1);

        Measure(() => cache.Set("k", 2));
        Assert.Equal(0, Measure(() => cache.Set("k", 3)));
    }

    private static long Measure(Action action)
    {
        action(); // the lambda's first call runs the JIT on this thread, which may allocate: not the code under test
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Iterations; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
