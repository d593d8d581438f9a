using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using Xunit;

namespace Strata.Tiering.Tests.Serialization;

/// <summary>
/// Which types the default serializer sends to MemoryPack, in a JIT process and under Native AOT. The AOT rule is what
/// <c>eng/aot-smoke</c> runs natively; here each type is put to both rules, so a change of either shows.
/// </summary>
public sealed class MemoryPackTypesTests
{
    public static TheoryData<Type, bool, bool> Types() => new()
    {
        // type, JIT, AOT (not registered beforehand)
        { typeof(int), true, true },
        { typeof(Guid), true, true },
        { typeof(DateTime), true, true },
        { typeof(DayOfWeek), true, true },
        { typeof(int?), true, true },
        { typeof((int, double)), true, true },
        { typeof(string), true, true },
        { typeof(Version), true, true },
        { typeof(Uri), true, true },
        { typeof(int[]), true, true },
        { typeof(PackedPoint), true, true },
        { typeof(BigInteger), true, false },       // holds a reference; its formatter failed natively
        { typeof(List<long>), true, false },       // MemoryPack makes ListFormatter<long> by reflection
        { typeof(string[]), true, false },
        { typeof(PackedPoint[]), true, false },
        { typeof((int, string)), true, false },
        { typeof(Dictionary<string, int>), true, false },
        { typeof(PlainOrder), false, false },      // System.Text.Json in both
        { typeof(List<PlainOrder>), false, false },
    };

    [Theory]
    [MemberData(nameof(Types))]
    public void Rule_InAJitProcess_AndUnderNativeAot(Type type, bool jit, bool aot)
    {
        bool unmanaged = !(bool)typeof(RuntimeHelpers).GetMethod(nameof(RuntimeHelpers.IsReferenceOrContainsReferences))!.MakeGenericMethod(type).Invoke(null, null)!;

        Assert.Equal(jit, MemoryPackTypes.Knows(type, depth: 0));
        Assert.Equal(aot, MemoryPackTypes.KnowsWithoutDynamicCode(type, unmanaged, registered: false));
    }

    [Fact]
    public void UnderNativeAot_ACollectionWhoseFormatterWasRegistered_GoesThroughMemoryPack_ButNeverAnUnknownType()
    {
        Assert.True(MemoryPackTypes.KnowsWithoutDynamicCode(typeof(List<long>), unmanaged: false, registered: true));
        Assert.True(MemoryPackTypes.KnowsWithoutDynamicCode(typeof(IReadOnlyList<PackedPoint>), unmanaged: false, registered: true));
        Assert.False(MemoryPackTypes.KnowsWithoutDynamicCode(typeof(List<PlainOrder>), unmanaged: false, registered: true)); // MemoryPack cannot write it
    }

    [Fact]
    public void UnderNativeAot_ThePackableTypesAGenericTypeIsMadeOf_RegisterTheirFormattersFirst()
    {
        // UntouchedPackable is used by this test alone: its static constructor has not run before this call.
        Assert.False(MemoryPack.MemoryPackFormatterProvider.IsRegistered<UntouchedPackable[]>());

        MemoryPackTypes.RunPackableConstructors(typeof(Dictionary<string, UntouchedPackable[]>), depth: 0);

        Assert.True(MemoryPack.MemoryPackFormatterProvider.IsRegistered<UntouchedPackable[]>()); // its generated code registers its arrays
    }

    [Fact]
    public void InThisJitProcess_TheJitRuleIsTheOneInForce()
    {
        Assert.True(RuntimeFeature.IsDynamicCodeSupported);
        Assert.True(MemoryPackTypes<List<long>>.Known);
        Assert.False(MemoryPackTypes<PlainOrder>.Known);
    }
}

/// <summary>A MemoryPack type no other test touches (see the test that runs its static constructor).</summary>
[MemoryPack.MemoryPackable]
public sealed partial class UntouchedPackable
{
    public int Value { get; set; }
}
