using System;
using System.IO;
using System.Text;

namespace Strata.Tiering;

/// <summary>
/// The Lua scripts the Redis tier runs, read once from the <c>.lua</c> files embedded in the assembly
/// (<c>Remote/Scripts</c>). Each file opens with what its KEYS and ARGV hold and what it returns.
/// </summary>
/// <remarks>
/// Three files are functions shared by others (<c>stretch.lua</c>, <c>trusted.lua</c>, <c>live.lua</c>): a line <c>--#include name.lua</c>
/// is replaced by that file. Comment lines are dropped on loading, so Redis receives (and hashes for its script cache)
/// only the code. The scripts touch keys they compute (a member's value and group record), which a single server allows
/// and a cluster does not: on a cluster, only <see cref="Expire"/> (with its first key only), <see cref="TimeToLive"/>,
/// <see cref="Increment"/> and <see cref="Unlink"/> (with the keys of one hash slot) run.
/// </remarks>
internal static class LuaScripts
{
    /// <summary>Changes a key's time to live in Redis and in its envelope together.</summary>
    internal static readonly string Expire = Load("expire.lua");

    /// <summary>A key's PTTL, and whether it holds an envelope.</summary>
    internal static readonly string TimeToLive = Load("time-to-live.lua");

    /// <summary>INCRBY with a time to live set only when the counter is created.</summary>
    internal static readonly string Increment = Load("increment.lua");

    /// <summary>The compare-and-set of an update.</summary>
    internal static readonly string Update = Load("update.lua");

    /// <summary>Writes a value with its indexes and tags.</summary>
    internal static readonly string GroupSet = Load("group-set.lua");

    /// <summary>The trusted, fresh members of an index value or tag.</summary>
    internal static readonly string GroupQuery = Load("group-query.lua");

    /// <summary>Removes values and groups, and publishes their invalidation.</summary>
    internal static readonly string Invalidate = Load("invalidate.lua");

    /// <summary>UNLINK, counting only the keys that had not expired (a value kept for fail-safe reads has).</summary>
    internal static readonly string Unlink = Load("unlink.lua");

    private const string Include = "--#include ";

    private static string Load(string name)
    {
        var script = new StringBuilder();
        using var reader = new StringReader(Read(name));
        while (reader.ReadLine() is { } line)
        {
            if (line.StartsWith(Include, StringComparison.Ordinal))
            {
                script.Append(Load(line[Include.Length..].Trim()));
            }
            else if (!line.TrimStart().StartsWith("--", StringComparison.Ordinal))
            {
                script.Append(line).Append('\n');
            }
        }

        return script.ToString();
    }

    private static string Read(string name)
    {
        using Stream stream = typeof(LuaScripts).Assembly.GetManifestResourceStream("Strata.Tiering.Scripts." + name)
            ?? throw new InvalidOperationException($"The script '{name}' is not embedded in {typeof(LuaScripts).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
