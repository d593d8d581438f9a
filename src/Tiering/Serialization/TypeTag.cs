using System;
using System.Text;

namespace Strata.Tiering;

/// <summary>
/// A 32-bit tag of <typeparamref name="T"/> for the L2 envelope: FNV-1a of the type's name without assembly versions
/// (<c>System.ValueTuple`2[System.Int64,System.String]</c>), so it is the same in every process and across runtime
/// upgrades, and different for a different type. Computed once per type.
/// </summary>
internal static class TypeTag<T>
{
    public static readonly uint Value = TypeTags.Of(typeof(T));
}

internal static class TypeTags
{
    public static uint Of(Type type)
    {
        uint hash = 2166136261;
        foreach (char c in StableName(type))
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
}
