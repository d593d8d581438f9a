using System;

namespace Strata.Tiering;

/// <summary>
/// Names of the groups a value can belong to (a secondary index value or a tag) and of the record of a key's groups,
/// as laid out in Redis (each name below follows the <see cref="TieredCacheOptions.KeyPrefix"/>):
/// <code>
/// {scope}__idx:{name}:{value}   a set of the member keys of one index value ("users:__idx:user:alice")
/// {scope}__tag:{tag}            a set of the member keys carrying one tag ("users:__tag:org:7")
/// {scope}__grp:{key}            the set of the group sets a key was last written into, with the key's life
/// </code>
/// The scope is a namespace's <c>name:</c>, or empty for the cache itself; members are full cache keys
/// (<c>users:42</c>). <see cref="KeyGuard.NotReserved"/> keeps values out of these names.
/// </summary>
internal static class EntryGroups
{
    internal const string IndexMarker = "__idx:";
    internal const string TagMarker = "__tag:";
    internal const string RecordMarker = "__grp:";

    /// <summary>The group of index <paramref name="name"/> = <paramref name="value"/>, checking both.</summary>
    internal static string Index(string scope, string name, string value, string parameterName)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, parameterName);
        ArgumentNullException.ThrowIfNull(value, parameterName);
        if (name.Contains(CacheKey.Separator, StringComparison.Ordinal))
        {
            throw new ArgumentException($"An index name cannot contain '{CacheKey.Separator}', which separates it from the value: '{name}'.", parameterName);
        }

        return $"{scope}{IndexMarker}{name}{CacheKey.Separator}{value}";
    }

    /// <summary>The group of <paramref name="tag"/>, checking it.</summary>
    internal static string Tag(string scope, string tag, string parameterName)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag, parameterName);
        return string.Concat(scope, TagMarker, tag);
    }

    /// <summary>The name of the record of <paramref name="key"/>'s groups (a full cache key in <paramref name="scope"/>).</summary>
    internal static string Record(string scope, string key) => string.Concat(scope, RecordMarker, key.AsSpan(scope.Length));
}
