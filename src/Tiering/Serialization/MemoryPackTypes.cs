using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using MemoryPack;

namespace Strata.Tiering;

/// <summary>
/// Whether the default serializer sends <typeparamref name="T"/> through MemoryPack: a type marked
/// <c>[MemoryPackable]</c>, a built-in MemoryPack writes natively (primitives, enums, <see cref="string"/>,
/// <see cref="Guid"/>, dates and times, <see cref="decimal"/>), or an array, nullable, tuple or usual collection of
/// such types. Every other type goes through System.Text.Json. Decided once per type, from the type alone, so every
/// process running the same build picks the same serializer for it; a Native AOT build takes a narrower set
/// (<see cref="MemoryPackTypes.KnowsWithoutDynamicCode"/>).
/// </summary>
/// <remarks>
/// MemoryPack itself cannot tell in advance: it reports an unknown class as registered once asked for it, and an empty
/// list of an unknown class serializes where a full one throws. So the rule is ours, and deliberately narrow.
/// </remarks>
internal static class MemoryPackTypes<T>
{
    internal static readonly bool Known = RuntimeFeature.IsDynamicCodeSupported ? MemoryPackTypes.Knows(typeof(T), depth: 0) : KnownWithoutDynamicCode();

    private static bool KnownWithoutDynamicCode()
    {
        // A [MemoryPackable] type registers the formatters of its arrays and of its members' collections in its static
        // constructor; run those of the types T is made of first, so that whether T's formatter is registered does not
        // depend on whether this process happened to touch them yet.
        MemoryPackTypes.RunPackableConstructors(typeof(T), depth: 0);
        return MemoryPackTypes.KnowsWithoutDynamicCode(typeof(T), !RuntimeHelpers.IsReferenceOrContainsReferences<T>(), MemoryPackFormatterProvider.IsRegistered<T>());
    }
}

internal static class MemoryPackTypes
{
    private const int MaxDepth = 8;

    private static readonly HashSet<Type> s_builtIns =
    [
        typeof(string), typeof(decimal), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan), typeof(Guid),
        typeof(DateOnly), typeof(TimeOnly), typeof(Half), typeof(Int128), typeof(UInt128), typeof(BigInteger),
        typeof(Version), typeof(Uri),
    ];

    private static readonly HashSet<Type> s_containers =
    [
        typeof(Nullable<>), typeof(List<>), typeof(Dictionary<,>), typeof(HashSet<>), typeof(SortedDictionary<,>),
        typeof(SortedSet<>), typeof(Queue<>), typeof(Stack<>), typeof(LinkedList<>), typeof(KeyValuePair<,>),
        typeof(IEnumerable<>), typeof(ICollection<>), typeof(IList<>), typeof(IReadOnlyCollection<>), typeof(IReadOnlyList<>),
        typeof(IDictionary<,>), typeof(IReadOnlyDictionary<,>), typeof(ISet<>),
        typeof(ValueTuple<>), typeof(ValueTuple<,>), typeof(ValueTuple<,,>), typeof(ValueTuple<,,,>), typeof(ValueTuple<,,,,>),
        typeof(ValueTuple<,,,,,>), typeof(ValueTuple<,,,,,,>),
        typeof(Tuple<>), typeof(Tuple<,>), typeof(Tuple<,,>), typeof(Tuple<,,,>), typeof(Tuple<,,,,>), typeof(Tuple<,,,,,>), typeof(Tuple<,,,,,,>),
    ];

    /// <summary>
    /// The rule under Native AOT, where MemoryPack cannot make a formatter for a generic type or an array at run time (it
    /// makes <c>ListFormatter&lt;long&gt;</c> and the like by reflection, which fails there): the types of
    /// <see cref="Knows"/> whose formatter exists without that. Those are the unmanaged ones, which MemoryPack copies
    /// as they lie in memory; <c>[MemoryPackable]</c> types, whose formatters its source generator writes; strings,
    /// <see cref="Version"/>, <see cref="Uri"/> and arrays of primitives, whose formatters it registers when it loads;
    /// and a collection or array whose formatter was registered (<see cref="MemoryPackFormatterProvider.Register{T}(MemoryPackFormatter{T})"/>)
    /// before the cache first used the type. Other collections, tuples holding references and arrays go through
    /// System.Text.Json, so for those an AOT build and a JIT build of one service choose differently (each reads the
    /// other's value as a counted miss).
    /// </summary>
    internal static bool KnowsWithoutDynamicCode(Type type, bool unmanaged, bool registered) =>
        Knows(type, depth: 0)
        && (unmanaged
            || type == typeof(string) || type == typeof(Version) || type == typeof(Uri) // not BigInteger: eng/aot-smoke found it failing
            || type.IsDefined(typeof(MemoryPackableAttribute), inherit: false)
            || (type.IsArray && type.GetArrayRank() == 1 && type.GetElementType()!.IsPrimitive)
            || ((type.IsArray || type.IsGenericType) && registered));

    [UnconditionalSuppressMessage("Trimming", "IL2059", Justification = "Only a [MemoryPackable] type the program caches, and so uses, is run; were its static constructor trimmed, nothing would run and only what is registered counts, which the rule allows for.")]
    internal static void RunPackableConstructors(Type type, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        if (type.IsDefined(typeof(MemoryPackableAttribute), inherit: false))
        {
            RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        }

        if (type.IsArray)
        {
            RunPackableConstructors(type.GetElementType()!, depth + 1);
        }
        else if (type.IsGenericType)
        {
            foreach (Type argument in type.GetGenericArguments())
            {
                RunPackableConstructors(argument, depth + 1);
            }
        }
    }

    internal static bool Knows(Type type, int depth)
    {
        if (depth > MaxDepth)
        {
            return false;
        }

        if (type.IsPrimitive || type.IsEnum || s_builtIns.Contains(type) || type.IsDefined(typeof(MemoryPackableAttribute), inherit: false))
        {
            return true;
        }

        if (type.IsArray)
        {
            return type.GetArrayRank() == 1 && Knows(type.GetElementType()!, depth + 1);
        }

        if (!type.IsGenericType || !s_containers.Contains(type.GetGenericTypeDefinition()))
        {
            return false;
        }

        foreach (Type argument in type.GetGenericArguments())
        {
            if (!Knows(argument, depth + 1))
            {
                return false;
            }
        }

        return true;
    }
}
