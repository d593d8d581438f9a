using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>
/// Secondary indexes and tags: values written with <see cref="CacheEntryOptions.Indexes"/> or
/// <see cref="CacheEntryOptions.Tags"/> can be read or removed as a group. The Redis layout is in
/// <see cref="EntryGroups"/>, the scripts that keep it atomic with the writes in <see cref="GroupScripts"/>.
/// </summary>
/// <remarks>
/// Tiered, a group query or removal is one script on Redis, so it sees every instance's writes; while Redis cannot be
/// reached it answers from the values this instance wrote with indexes and still holds in L1. Index and tag operations
/// need a single Redis server (or none): on a cluster they throw <see cref="NotSupportedException"/>.
/// </remarks>
public sealed partial class TieredCache
{
    /// <summary>Writes a value with the time to live, indexes and tags of <paramref name="options"/>; see <see cref="SetAsync{T}(string, T, TimeSpan?, CancellationToken)"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">The time to live (null: the default), and the indexes and tags that replace the key's previous ones.</param>
    /// <param name="cancellationToken">Stops waiting for Redis; the L1 write has happened by then.</param>
    /// <returns>A task that completes once Redis has the value (or was found unavailable).</returns>
    /// <exception cref="ArgumentException">An index name is empty or contains <c>:</c>, or a tag is empty.</exception>
    /// <exception cref="NotSupportedException">The options have indexes or tags and Redis is a cluster.</exception>
#pragma warning disable RS0026 // overloads with optional parameters: both SetAsync shapes are the documented ones
    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, CancellationToken cancellationToken = default) =>
        SetWithOptions(key, string.Empty, value, options, _defaultTimeToLive, cancellationToken);
#pragma warning restore RS0026

    /// <summary>Reads every fresh value listed under index <paramref name="indexName"/> = <paramref name="indexValue"/>, in one round trip.</summary>
    /// <typeparam name="T">The values' type; values stored as another type are left out.</typeparam>
    /// <param name="indexName">The index name.</param>
    /// <param name="indexValue">The index value.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The values by key.</returns>
    public ValueTask<IReadOnlyDictionary<string, T>> GetByIndexAsync<T>(string indexName, string indexValue, CancellationToken cancellationToken = default) =>
        GroupValuesAsync<T>(string.Empty, IndexGroup(string.Empty, indexName, indexValue), cancellationToken);

    /// <summary>Lists the keys of the fresh values under index <paramref name="indexName"/> = <paramref name="indexValue"/>.</summary>
    /// <param name="indexName">The index name.</param>
    /// <param name="indexValue">The index value.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The keys.</returns>
    public ValueTask<IReadOnlyCollection<string>> GetKeysByIndexAsync(string indexName, string indexValue, CancellationToken cancellationToken = default) =>
        GroupKeysAsync(string.Empty, IndexGroup(string.Empty, indexName, indexValue), cancellationToken);

    /// <summary>Removes every value listed under an index value from both tiers of every instance.</summary>
    /// <param name="indexName">The index name.</param>
    /// <param name="indexValue">The index value.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The number of values removed (from Redis when it answered, else from L1).</returns>
    public ValueTask<long> RemoveByIndexAsync(string indexName, string indexValue, CancellationToken cancellationToken = default) =>
        RemoveGroupAsync(string.Empty, IndexGroup(string.Empty, indexName, indexValue), cancellationToken);

    /// <summary>Removes every value carrying <paramref name="tag"/> from both tiers of every instance.</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The number of values removed (from Redis when it answered, else from L1).</returns>
    public ValueTask<long> RemoveByTagAsync(string tag, CancellationToken cancellationToken = default) =>
        RemoveGroupAsync(string.Empty, EntryGroups.Tag(string.Empty, tag, nameof(tag)), cancellationToken);

    /// <summary>The group of an index value, checking the caller's arguments.</summary>
    internal static string IndexGroup(string scope, string indexName, string indexValue)
    {
        ArgumentNullException.ThrowIfNull(indexValue);
        return EntryGroups.Index(scope, indexName, indexValue, nameof(indexName));
    }

    /// <summary>The write with options of the cache and of its namespaces; <paramref name="key"/> is the full key.</summary>
    internal ValueTask SetWithOptions<T>(string key, string scope, T value, CacheEntryOptions options, TimeSpan? defaultTimeToLive, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        KeyGuard.NotReserved(key, nameof(key));
        ArgumentNullException.ThrowIfNull(options);
        string[]? groups = options.HasGroups ? options.GroupNames(scope) : null;
        return SetCore(key, value, options.TimeToLive ?? defaultTimeToLive, scope, groups, cancellationToken);
    }

    internal async ValueTask<IReadOnlyDictionary<string, T>> GroupValuesAsync<T>(string scope, string group, CancellationToken cancellationToken)
    {
        long repairs = _repairs.Mark;
        RedisResult[]? reply = await QueryRemoteAsync(scope, group, values: true, cancellationToken).ConfigureAwait(false);
        var found = new Dictionary<string, T>(StringComparer.Ordinal);
        if (reply is null)
        {
            foreach ((string key, LocalEntry entry) in LocalMembers(group))
            {
                if (entry.TryGet(out T? value))
                {
                    found[key[scope.Length..]] = value!;
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

            CacheResult<T> value = Decode<T>((RedisValue)reply[i + 1], out _, out _);
            if (value.HasValue)
            {
                found[member[scope.Length..]] = value.Value!;
            }
        }

        return found;
    }

    internal async ValueTask<IReadOnlyCollection<string>> GroupKeysAsync(string scope, string group, CancellationToken cancellationToken)
    {
        RedisResult[]? reply = await QueryRemoteAsync(scope, group, values: false, cancellationToken).ConfigureAwait(false);
        return reply is null
            ? LocalMembers(group).Select(member => member.Key[scope.Length..]).ToArray()
            : reply.Select(member => ((string)member)![scope.Length..]).ToArray();
    }

    internal async ValueTask<long> RemoveGroupAsync(string scope, string group, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ThrowIfGroupsUnsupported();
        cancellationToken.ThrowIfCancellationRequested();
        // The epoch, not only the members' slots: a get-or-set running now may be about to add a key to the group,
        // and must not cache what it read before this removal.
        Interlocked.Increment(ref _epoch);
        long local = 0;
        foreach ((string key, _) in LocalMembers(group))
        {
            BumpVersion(key);
            local += _local.Remove(key) ? 1 : 0;
        }

        if (!IsRemoteUsable())
        {
            Unsynced(RepairKind.Group, group, scope);
            return local;
        }

        RemoteCall call = BeginRemote(RemoteOperation.GroupRemove);
        try
        {
            string[] keys = await RemoveGroupRemoteAsync(scope, group, cancellationToken).ConfigureAwait(false);
            OnRemoteSuccess(call);
            return keys.Length;
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            OnRemoteFailure(ex, call);
            Unsynced(RepairKind.Group, group, scope);
            return local;
        }
    }

    /// <summary>
    /// Removes a group's members from Redis (<see cref="GroupScripts.Remove"/>) and from L1, and tells the other
    /// instances. Returns the removed keys; a Redis failure propagates to the caller's catch.
    /// </summary>
    private async Task<string[]> RemoveGroupRemoteAsync(string scope, string group, CancellationToken cancellationToken)
    {
        var removed = (RedisResult[])(await _database!.ScriptEvaluateAsync(GroupScripts.Remove, [_remotePrefix.Append(group)], [_keyPrefix, scope]).WaitAsync(cancellationToken).ConfigureAwait(false))!;
        string[] keys = removed.Select(member => (string)member!).ToArray();
        foreach (string key in keys)
        {
            BumpVersion(key); // a read that fetched a removed value meanwhile does not install it
            _local.Remove(key);
        }

        if (keys.Length > 0)
        {
            await PublishAsync(InvalidationKind.Keys, keys).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return keys;
    }

    /// <summary>Runs <see cref="GroupScripts.Query"/>; null when Redis is not to be used (then L1 answers).</summary>
    private async ValueTask<RedisResult[]?> QueryRemoteAsync(string scope, string group, bool values, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ThrowIfGroupsUnsupported();
        cancellationToken.ThrowIfCancellationRequested();
        if (!IsRemoteUsable())
        {
            return null;
        }

        RemoteCall call = BeginRemote(RemoteOperation.GroupQuery);
        try
        {
            RedisResult reply = await _database!.ScriptEvaluateAsync(
                GroupScripts.Query, [_remotePrefix.Append(group)], [_keyPrefix, scope, values ? "1" : "0", Now().UnixMilliseconds]).WaitAsync(cancellationToken).ConfigureAwait(false);
            OnRemoteSuccess(call);
            return (RedisResult[])reply!;
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            OnRemoteFailure(ex, call);
            return null;
        }
    }

    /// <summary>The fresh L1 entries listed in <paramref name="group"/> whose current write put them there; unlists the others.</summary>
    private List<(string Key, LocalEntry Entry)> LocalMembers(string group)
    {
        var members = new List<(string, LocalEntry)>();
        foreach (string key in _groups.Members(group))
        {
            if (_local.TryGet(key, out LocalEntry? entry) && entry is IndexedEntry indexed && indexed.IsIn(group))
            {
                if (IsFresh(entry))
                {
                    members.Add((key, entry));
                }
            }
            else
            {
                _groups.Prune(group, key);
            }
        }

        return members;
    }

    /// <summary>The keys of <see cref="GroupScripts.Set"/>: the value, its group record, then its group sets.</summary>
    private RedisKey[] GroupWriteKeys(string key, string scope, string[] groups)
    {
        var keys = new RedisKey[groups.Length + 2];
        keys[0] = RemoteKey(key);
        keys[1] = GroupRecordKey(scope, key);
        for (int i = 0; i < groups.Length; i++)
        {
            keys[i + 2] = _remotePrefix.Append(groups[i]);
        }

        return keys;
    }

    private RedisKey GroupRecordKey(string scope, string key) => _remotePrefix.Append(EntryGroups.Record(scope, key));

    private void ThrowIfGroupsUnsupported()
    {
        if (_database is not null && IsCluster())
        {
            throw new NotSupportedException(
                "Indexes and tags need a single Redis server: an index set and its members live in different hash slots of a cluster, so they cannot be updated atomically.");
        }
    }
}
