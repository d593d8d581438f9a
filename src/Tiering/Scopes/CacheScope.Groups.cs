using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>
/// Secondary indexes and tags: values written with <see cref="CacheEntryOptions.Indexes"/> or
/// <see cref="CacheEntryOptions.Tags"/> read or removed as a group. The Redis layout is in <see cref="EntryGroups"/>,
/// the scripts that keep it atomic with the writes in <see cref="LuaScripts"/>.
/// </summary>
/// <remarks>
/// Tiered, a group query or removal is one script on Redis, so it sees every instance's writes; while Redis cannot be
/// reached it answers from the values this instance wrote with indexes and still holds in L1. Index and tag operations
/// need a single Redis server (or none): on a cluster they throw <see cref="NotSupportedException"/>.
/// </remarks>
public abstract partial class CacheScope
{
    /// <summary>Reads every fresh value listed under index <paramref name="indexName"/> = <paramref name="indexValue"/>, in one round trip.</summary>
    /// <typeparam name="T">The values' type; values stored as another type are left out.</typeparam>
    /// <param name="indexName">The index name.</param>
    /// <param name="indexValue">The index value.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The values by key.</returns>
    /// <exception cref="NotSupportedException">Redis is a cluster.</exception>
    public ValueTask<IReadOnlyDictionary<string, T>> GetByIndexAsync<T>(string indexName, string indexValue, CancellationToken cancellationToken = default) =>
        GroupValuesAsync<T>(IndexGroup(indexName, indexValue), cancellationToken);

    /// <summary>Lists the keys of the fresh values under index <paramref name="indexName"/> = <paramref name="indexValue"/>.</summary>
    /// <param name="indexName">The index name.</param>
    /// <param name="indexValue">The index value.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The keys.</returns>
    /// <exception cref="NotSupportedException">Redis is a cluster.</exception>
    public ValueTask<IReadOnlyCollection<string>> GetKeysByIndexAsync(string indexName, string indexValue, CancellationToken cancellationToken = default) =>
        GroupKeysAsync(IndexGroup(indexName, indexValue), cancellationToken);

    /// <summary>Removes every value listed under an index value from both tiers of every instance.</summary>
    /// <param name="indexName">The index name.</param>
    /// <param name="indexValue">The index value.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The number of values removed (from Redis when it answered, else from L1).</returns>
    /// <exception cref="NotSupportedException">Redis is a cluster.</exception>
    public ValueTask<long> RemoveByIndexAsync(string indexName, string indexValue, CancellationToken cancellationToken = default) =>
        RemoveGroupAsync(IndexGroup(indexName, indexValue), cancellationToken);

    /// <summary>Removes every value carrying <paramref name="tag"/> from both tiers of every instance, in one round trip.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The number of values removed (from Redis when it answered, else from L1).</returns>
    /// <exception cref="NotSupportedException">Redis is a cluster.</exception>
    public ValueTask<long> RemoveByTagAsync(string tag, CancellationToken cancellationToken = default) =>
        RemoveGroupAsync(EntryGroups.Tag(_prefix, tag, nameof(tag)), cancellationToken);

    /// <summary>The group of an index value, checking the caller's arguments.</summary>
    private string IndexGroup(string indexName, string indexValue)
    {
        ArgumentNullException.ThrowIfNull(indexValue);
        return EntryGroups.Index(_prefix, indexName, indexValue, nameof(indexName));
    }

    private async ValueTask<IReadOnlyDictionary<string, T>> GroupValuesAsync<T>(string group, CancellationToken cancellationToken)
    {
        long repairs = _repairs.Mark;
        RedisResult[]? reply = await QueryAsync(group, values: true, cancellationToken).ConfigureAwait(false);
        var found = new Dictionary<string, T>(StringComparer.Ordinal);
        if (reply is null)
        {
            foreach ((string key, LocalEntry entry) in _l1.Members(group))
            {
                if (entry.TryGet(out T? value))
                {
                    found[InScope(key)] = value!;
                }
            }

            return found;
        }

        for (int i = 0; i < reply.Length; i += 2)
        {
            string member = (string)reply[i]!;
            if (_repairs.Covers(member, repairs))
            {
                continue; // see ReadRemoteAsync: Redis may hold what this instance overwrote or removed during an outage
            }

            CacheResult<T> value = _l2!.Decode<T>(_codec, (RedisValue)reply[i + 1], out _, out _);
            if (value.HasValue)
            {
                found[InScope(member)] = value.Value!;
            }
        }

        return found;
    }

    private async ValueTask<IReadOnlyCollection<string>> GroupKeysAsync(string group, CancellationToken cancellationToken)
    {
        RedisResult[]? reply = await QueryAsync(group, values: false, cancellationToken).ConfigureAwait(false);
        if (reply is null)
        {
            List<(string Key, LocalEntry Entry)> members = _l1.Members(group);
            var local = new string[members.Count];
            for (int i = 0; i < local.Length; i++)
            {
                local[i] = InScope(members[i].Key);
            }

            return local;
        }

        var keys = new string[reply.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = InScope((string)reply[i]!);
        }

        return keys;
    }

    private async ValueTask<long> RemoveGroupAsync(string group, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        ThrowIfGroupsUnsupported();
        cancellationToken.ThrowIfCancellationRequested();
        long local = RemoveLocally([], [group]);
        if (!_breaker.CanCall)
        {
            RecordGroups([group]);
            return local;
        }

        Reply<(long Existed, string[] Members)> reply = await _breaker.CallAsync(
            RemoteOperation.GroupRemove, (Removals: _removals!, Scope: _prefix, Group: group), static s => s.Removals.RemoveAsync(s.Scope, [], [s.Group]), cancellationToken).ConfigureAwait(false);
        if (!reply.Ok)
        {
            RecordGroups([group]);
            return local;
        }

        return reply.Value.Members.Length;
    }

    /// <summary>
    /// The L1 half of removing keys and groups: moves the epoch when there are groups (a get-or-set running now may be
    /// about to add a key to one, and must not cache what it read before this removal), then removes the keys and what L1
    /// lists in the groups. Returns how many entries it removed.
    /// </summary>
    private long RemoveLocally(string[] keys, string[] groups)
    {
        long removed = 0;
        if (groups.Length > 0)
        {
            _l1.Versions.BumpEpoch();
        }

        foreach (string key in keys)
        {
            removed += _l1.Invalidate(key) ? 1 : 0;
        }

        foreach (string group in groups)
        {
            foreach ((string key, _) in _l1.Members(group))
            {
                removed += _l1.Invalidate(key) ? 1 : 0;
            }
        }

        return removed;
    }

    private void RecordGroups(string[] groups)
    {
        foreach (string group in groups)
        {
            _repairs.Record(RepairKind.Group, group, _prefix);
        }
    }

    /// <summary>Runs the group query on Redis; null when Redis is not to be used (then L1 answers).</summary>
    private async ValueTask<RedisResult[]?> QueryAsync(string group, bool values, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        ThrowIfGroupsUnsupported();
        cancellationToken.ThrowIfCancellationRequested();
        if (!_breaker.CanCall)
        {
            return null;
        }

        Reply<RedisResult[]> reply = await _breaker.CallAsync(
            RemoteOperation.GroupQuery, (L2: _l2!, Scope: _prefix, Group: group, Values: values), static s => s.L2.QueryGroupAsync(s.Scope, s.Group, s.Values), cancellationToken).ConfigureAwait(false);
        return reply.Ok ? reply.Value : null;
    }
}
