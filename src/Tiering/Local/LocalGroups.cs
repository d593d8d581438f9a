using System;
using System.Collections.Generic;
using System.Threading;

namespace Strata.Tiering;

/// <summary>
/// The in-process side of indexes and tags: which keys of L1 were written into which group. It answers index queries
/// of an L1-only cache, and of a tiered one while Redis cannot be reached.
/// </summary>
/// <remarks>
/// The listing may run ahead of L1 (a key listed whose entry has since been replaced, evicted or expired), never behind
/// it: a writer stores its <see cref="IndexedEntry"/> first and lists it after, and an entry's removal unlists a group
/// only after checking, under this lock, that the key's current entry is not in it. So a query checks each listed key
/// against its current entry (<see cref="IndexedEntry.IsIn"/>) and unlists those that fail.
/// </remarks>
internal sealed class LocalGroups
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<string>> _members = new(StringComparer.Ordinal);
    private readonly Func<string, IndexedEntry?> _current;

    /// <param name="current">Reads a key's current L1 entry when it is an indexed one.</param>
    internal LocalGroups(Func<string, IndexedEntry?> current) => _current = current;

    /// <summary>Lists <paramref name="key"/> in each of <paramref name="groups"/>; call after storing its entry.</summary>
    internal void Add(string key, string[] groups)
    {
        lock (_gate)
        {
            foreach (string group in groups)
            {
                if (!_members.TryGetValue(group, out HashSet<string>? keys))
                {
                    _members[group] = keys = new HashSet<string>(StringComparer.Ordinal);
                }

                keys.Add(key);
            }
        }
    }

    /// <summary>An entry of <paramref name="key"/> in <paramref name="groups"/> left L1: unlist the groups its current entry is not in.</summary>
    internal void OnRemoved(string key, string[] groups)
    {
        lock (_gate)
        {
            IndexedEntry? current = _current(key);
            foreach (string group in groups)
            {
                if (current?.IsIn(group) != true)
                {
                    Unlist(group, key);
                }
            }
        }
    }

    /// <summary>The keys listed in <paramref name="group"/>: a copy, to be checked against L1.</summary>
    internal string[] Members(string group)
    {
        lock (_gate)
        {
            return _members.TryGetValue(group, out HashSet<string>? keys) ? [.. keys] : [];
        }
    }

    /// <summary>Unlists a key a query found not to belong (any more), unless its current entry does.</summary>
    internal void Prune(string group, string key)
    {
        lock (_gate)
        {
            if (_current(key)?.IsIn(group) != true)
            {
                Unlist(group, key);
            }
        }
    }

    /// <summary>Gets the number of (group, key) listings, for tests.</summary>
    internal int Count
    {
        get
        {
            lock (_gate)
            {
                int count = 0;
                foreach (HashSet<string> keys in _members.Values)
                {
                    count += keys.Count;
                }

                return count;
            }
        }
    }

    private void Unlist(string group, string key)
    {
        if (_members.TryGetValue(group, out HashSet<string>? keys) && keys.Remove(key) && keys.Count == 0)
        {
            _members.Remove(group);
        }
    }
}
