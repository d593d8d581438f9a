using System;
using System.Collections.Generic;
using System.Numerics;
using MemoryPack;

namespace Strata.Tiering;

/// <summary>
/// Whether the default serializer sends <typeparamref name="T"/> through MemoryPack: a type marked
/// <c>[MemoryPackable]</c>, a built-in MemoryPack writes natively (primitives, enums, <see cref="string"/>,
/// <see cref="Guid"/>, dates and times, <see cref="decimal"/>), or an array, nullable, tuple or usual collection of
/// such types. Every other type goes through System.Text.Json. Decided once per type, from the type alone, so every
/// process running the same code picks the same serializer for it.
/// </summary>
/// <remarks>
/// MemoryPack itself cannot tell in advance: it reports an unknown class as registered once asked for it, and an empty
/// list of an unknown class serializes where a full one throws. So the rule is ours, and deliberately narrow.
/// </remarks>
internal static class MemoryPackTypes<T>
{
    internal static readonly bool Known = MemoryPackTypes.Knows(typeof(T), depth: 0);
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
