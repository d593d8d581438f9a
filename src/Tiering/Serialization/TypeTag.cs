using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;

namespace Strata.Tiering;

/// <summary>
/// A 32-bit tag of <typeparamref name="T"/> for the L2 envelope: FNV-1a of the type's name without assembly versions
/// (<c>System.ValueTuple`2[System.Int64,System.String]</c>) and of its shape, so it is the same in every process
/// running the same code, and different for a different type or for the same type once its members changed.
/// Computed once per type.
/// </summary>
/// <remarks>
/// The shape is the public instance properties and fields of every type of the application the value is made of (the
/// type, its members' types, generic arguments and elements, recursively), each with its name and type. A value
/// written before a member was added, removed, renamed or retyped then fails the tag and reads as a miss, instead of
/// reading with the member silently lost or defaulted (or, for MemoryPack, misread). The runtime's own types
/// (<c>System.*</c>) are named, not described: their serialized form does not follow their members, and a runtime
/// upgrade must not change every tag.
/// </remarks>
internal static class TypeTag<T>
{
    public static readonly uint Value = TypeTags.Of(typeof(T));
}

internal static class TypeTags
{
    private const int MaxShapeDepth = 16;

    public static uint Of(Type type)
    {
        uint hash = 2166136261;
        foreach (char c in StableName(type) + Shape(type))
        {
            hash = (hash ^ c) * 16777619;
        }

        return hash;
    }

    /// <summary>The type's full name with generic arguments spelled the same way, and no assembly names or versions.</summary>
    internal static string StableName(Type type)
    {
        if (type.IsArray)
        {
            return StableName(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }

        if (!type.IsGenericType)
        {
            return type.FullName ?? type.Name;
        }

        var name = new StringBuilder(type.GetGenericTypeDefinition().FullName ?? type.Name).Append('[');
        Type[] arguments = type.GetGenericArguments();
        for (int i = 0; i < arguments.Length; i++)
        {
            name.Append(i == 0 ? string.Empty : ",").Append(StableName(arguments[i]));
        }

        return name.Append(']').ToString();
    }

    /// <summary>The members of the application's types that <paramref name="type"/> is made of; empty for the runtime's own.</summary>
    internal static string Shape(Type type)
    {
        var shape = new StringBuilder();
        Describe(type, shape, [], depth: 0);
        return shape.ToString();
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "A member the trimmer removed is not serialized either, so the shape describes what is stored.")]
    private static void Describe(Type type, StringBuilder shape, HashSet<Type> seen, int depth)
    {
        if (depth > MaxShapeDepth || !seen.Add(type))
        {
            return;
        }

        if (type.HasElementType)
        {
            Describe(type.GetElementType()!, shape, seen, depth + 1);
            return;
        }

        if (type.IsGenericType)
        {
            foreach (Type argument in type.GetGenericArguments())
            {
                Describe(argument, shape, seen, depth + 1);
            }
        }

        if (type.IsPrimitive || type.IsEnum || IsRuntimeType(type))
        {
            return;
        }

        var members = new List<(string Name, Type Type)>();
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length == 0)
            {
                members.Add((property.Name, property.PropertyType));
            }
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
        {
            members.Add((field.Name, field.FieldType));
        }

        members.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        shape.Append('{').Append(StableName(type)).Append(':');
        foreach ((string name, Type memberType) in members)
        {
            shape.Append(name).Append('=').Append(StableName(memberType)).Append(';');
        }

        shape.Append('}');
        foreach ((_, Type memberType) in members)
        {
            Describe(memberType, shape, seen, depth + 1);
        }
    }

    private static bool IsRuntimeType(Type type) =>
        type.Assembly == typeof(object).Assembly || (type.Namespace is { } ns && (ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal)));
}
