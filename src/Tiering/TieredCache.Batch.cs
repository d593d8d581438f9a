using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>The batch and pattern operations of <see cref="TieredCache"/>: many keys, one round trip.</summary>
public sealed partial class TieredCache
{
    private const int ScanPageSize = 1000;
    private const int UnlinkBatchSize = 500;
    private bool? _isCluster;

    /// <summary>
    /// Reads many keys: L1 first, then a single round trip to Redis (<c>MGET</c>, split by hash slot on a cluster and
    /// pipelined) for every L1 miss, filling L1 with what Redis returns for as long as each value is fresh.
    /// </summary>
    /// <typeparam name="T">The type the values were stored as.</typeparam>
    /// <param name="keys">The keys.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>One result per key, in the order given.</returns>
    public async ValueTask<CacheResult<T>[]> GetManyAsync<T>(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var results = new CacheResult<T>[keys.Count];
        var misses = new List<int>(keys.Count);
        Dictionary<int, LocalEntry>? stale = null; // entries past their freshness, kept for fail-safe reads
        for (int i = 0; i < keys.Count; i++)
        {
            string key = keys[i] ?? throw new ArgumentException($"keys[{i}] is null.", nameof(keys));
            KeyGuard.Valid(key, nameof(keys));
            if (_local.TryGet(key, out LocalEntry? entry))
            {
                if (IsFresh(entry))
                {
                    results[i] = LocalResult<T>(entry);
                    continue;
                }

                (stale ??= [])[i] = entry;
            }

            misses.Add(i);
        }

        if (misses.Count == 0)
        {
            return results;
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!IsRemoteUsable())
        {
            foreach (int i in misses)
            {
                results[i] = FailSafe<T>(stale?.GetValueOrDefault(i));
            }

            return results;
        }

        var before = new (long Slot, long Epoch)[misses.Count];
        var remoteKeys = new RedisKey[misses.Count];
        for (int m = 0; m < misses.Count; m++)
        {
            before[m] = VersionsOf(keys[misses[m]]);
            remoteKeys[m] = RemoteKey(keys[misses[m]]);
        }

        long repairs = _repairs.Mark;
        RedisValue[] values;
        RemoteCall call = BeginRemote(RemoteOperation.GetMany);
        try
        {
            values = await ReadManyAsync(remoteKeys, cancellationToken).ConfigureAwait(false);
            OnRemoteSuccess(call);
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            OnRemoteFailure(ex, call);
            foreach (int i in misses)
            {
                results[i] = FailSafe<T>(stale?.GetValueOrDefault(i));
            }

            return results;
        }

        Instant now = Now();
        for (int m = 0; m < misses.Count; m++)
        {
            int i = misses[m];
            RedisValue value = _repairs.Covers(keys[i], repairs) ? RedisValue.Null : values[m]; // see ReadRemoteAsync
            results[i] = AcceptRemote<T>(value, now, out LocalEntry? fill, out TimeSpan? life);
            if (fill is not null)
            {
                FillLocal(keys[i], fill, life, before[m]);
            }
        }

        return results;
    }

    /// <summary>Writes many values in one pipelined batch (L1 first), then sends one invalidation for all of them.</summary>
    /// <typeparam name="T">The values' type.</typeparam>
    /// <param name="items">The keys and values.</param>
    /// <param name="timeToLive">Positive, or <see langword="null"/> for <see cref="TieredCacheOptions.DefaultTimeToLive"/>.</param>
    /// <param name="cancellationToken">Stops waiting for Redis; the L1 writes have happened by then.</param>
    /// <returns>A task that completes once Redis has every value (or was found unavailable).</returns>
    public async ValueTask SetManyAsync<T>(IReadOnlyList<KeyValuePair<string, T>> items, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        WriteLifetime lifetime = LifetimeOf(ResolveTimeToLive(timeToLive));

        for (int i = 0; i < items.Count; i++)
        {
            string key = items[i].Key ?? throw new ArgumentException($"items[{i}] has a null key.", nameof(items));
            KeyGuard.Valid(key, nameof(items));
            KeyGuard.NotReserved(key, nameof(items));
        }

        cancellationToken.ThrowIfCancellationRequested();
        bool configured = _database is not null; // serialize whenever Redis is configured: see SetAsync
        var envelopes = new List<PooledBufferWriter>(configured ? items.Count : 0);
        try
        {
            if (configured)
            {
                foreach (KeyValuePair<string, T> item in items)
                {
                    PooledBufferWriter envelope = BufferWriterPool.Rent();
                    envelopes.Add(envelope);
                    CacheEnvelope.Write(envelope, item.Value, lifetime.LogicalExpiry, _serializer); // may throw: nothing written yet
                }
            }

            var versions = new WriteMark[items.Count]; // for SettleLocal, after Redis
            for (int i = 0; i < items.Count; i++)
            {
                versions[i] = BumpForWrite(items[i].Key);
                SetLocal(items[i].Key, new LocalEntry(items[i].Value, lifetime.FreshUntil), lifetime.Life);
            }

            if (!IsRemoteUsable() || items.Count == 0)
            {
                UnsyncedKeys(items.Select(item => item.Key));
                return;
            }

            Task writes;
            RemoteCall call = BeginRemote(RemoteOperation.SetMany);
            try
            {
                IBatch batch = _database!.CreateBatch();
                var sets = new Task[items.Count + 1];
                for (int i = 0; i < items.Count; i++)
                {
                    sets[i] = batch.StringSetAsync(RemoteKey(items[i].Key), (RedisValue)envelopes[i].WrittenMemory, lifetime.Life, When.Always);
                }

                batch.Execute();
                sets[^1] = PublishAsync(InvalidationKind.Keys, items.Select(item => item.Key).ToArray());
                writes = Task.WhenAll(sets);
            }
            catch (Exception ex) when (IsRemoteFailure(ex, call))
            {
                OnRemoteFailure(ex, call); // thrown before the batch ran: no command reads the buffers
                UnsyncedKeys(items.Select(item => item.Key));
                return;
            }

            if (!await AwaitRemoteAsync(writes, call, cancellationToken).ConfigureAwait(false))
            {
                UnsyncedKeys(items.Select(item => item.Key));
                return;
            }

            for (int i = 0; i < items.Count; i++)
            {
                SettleLocal(items[i].Key, versions[i]);
            }
        }
        finally
        {
            foreach (PooledBufferWriter envelope in envelopes)
            {
                BufferWriterPool.Return(envelope); // AwaitRemoteAsync returns only once every write has settled
            }
        }
    }

    /// <summary>Removes many keys: L1, then one <c>UNLINK</c> (one per hash slot on a cluster), then one invalidation.</summary>
    /// <param name="keys">The keys.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The number of keys Redis removed (L1's count when Redis is unavailable).</returns>
    public async ValueTask<long> RemoveManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        for (int i = 0; i < keys.Count; i++)
        {
            KeyGuard.Valid(keys[i] ?? throw new ArgumentException($"keys[{i}] is null.", nameof(keys)), nameof(keys)); // all checked before any is removed
        }

        long local = 0;
        var versions = new WriteMark[keys.Count]; // for SettleLocal, after Redis
        for (int i = 0; i < keys.Count; i++)
        {
            string key = keys[i];
            versions[i] = BumpForWrite(key);
            local += _local.Remove(key) ? 1 : 0;
        }

        if (!IsRemoteUsable() || keys.Count == 0)
        {
            UnsyncedKeys(keys);
            return local;
        }

        (bool ok, long removed) = await CommandAndInvalidateAsync(
            RemoteOperation.RemoveMany, _ => UnlinkAsync(keys.Select(RemoteKey).ToArray()), InvalidationKind.Keys, keys.ToArray(), cancellationToken).ConfigureAwait(false);
        if (!ok)
        {
            return local;
        }

        for (int i = 0; i < keys.Count; i++)
        {
            SettleLocal(keys[i], versions[i]);
        }

        return removed;
    }

    /// <summary>
    /// Removes every key matching a Redis glob: from L1, from Redis through <c>SCAN MATCH</c> and batched
    /// <c>UNLINK</c> on every primary (so it works on a cluster, and never blocks Redis with <c>KEYS</c>), and from the
    /// other instances' L1 through one invalidation.
    /// </summary>
    /// <param name="pattern">A Redis glob over this cache's keys (without the key prefix).</param>
    /// <param name="cancellationToken">Stops the scan between pages.</param>
    /// <returns>The number of keys removed from Redis (from L1 when Redis is unavailable).</returns>
    public async ValueTask<long> RemoveByPatternAsync(string pattern, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        Interlocked.Increment(ref _epoch);
        long local = _local.RemoveByPattern(pattern);
        if (!IsRemoteUsable())
        {
            Unsynced(RepairKind.Pattern, pattern);
            return local;
        }

        RemoteCall call = BeginRemote(RemoteOperation.RemoveByPattern);
        try
        {
            long removed = await RemoveMatchingRemoteAsync(pattern, cancellationToken).ConfigureAwait(false);
            OnRemoteSuccess(call);
            return removed;
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            OnRemoteFailure(ex, call);
            Unsynced(RepairKind.Pattern, pattern);
            return local;
        }
    }

    /// <summary>Removes every key of this cache's prefix from both tiers of every instance.</summary>
    /// <param name="cancellationToken">Stops the scan between pages.</param>
    /// <returns>A task that completes when Redis has been cleared (or was found unavailable).</returns>
    public async ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        Interlocked.Increment(ref _epoch);
        _local.Clear();
        if (!IsRemoteUsable())
        {
            Unsynced(RepairKind.All, string.Empty);
            return;
        }

        RemoteCall call = BeginRemote(RemoteOperation.Clear);
        try
        {
            await RemoveMatchingRemoteAsync(pattern: null, cancellationToken).ConfigureAwait(false);
            OnRemoteSuccess(call);
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            OnRemoteFailure(ex, call);
            Unsynced(RepairKind.All, string.Empty);
        }
    }

    /// <summary>
    /// The Redis half of a pattern removal, or with a null <paramref name="pattern"/> of a clear: UNLINK what matches on
    /// every primary and tell the other instances; then remove from L1 again, because a write to a matching key that
    /// reached L1 during the scan may have reached Redis before the UNLINK, and L1 would keep what Redis no longer has
    /// (see <see cref="SettleLocal"/>). Returns the number of keys Redis removed; a Redis failure propagates.
    /// </summary>
    private async Task<long> RemoveMatchingRemoteAsync(string? pattern, CancellationToken cancellationToken)
    {
        long removed = await UnlinkMatchingAsync(EscapeGlob(_keyPrefix) + (pattern ?? "*"), cancellationToken).ConfigureAwait(false);
        Task published = pattern is null ? PublishAsync(InvalidationKind.All, Array.Empty<string>()) : PublishAsync(InvalidationKind.Pattern, pattern);
        await published.WaitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _epoch);
        if (pattern is null)
        {
            _local.Clear();
        }
        else
        {
            _local.RemoveByPattern(pattern);
        }

        return removed;
    }

    /// <summary>Escapes the glob characters of a literal, so a key prefix matches only itself.</summary>
    internal static string EscapeGlob(string literal)
    {
        var escaped = new StringBuilder(literal.Length + 4);
        foreach (char c in literal)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }

    /// <returns>Whether the work succeeded.</returns>
    private async Task<bool> AwaitRemoteAsync(Task work, RemoteCall call, CancellationToken cancellationToken)
    {
        try
        {
            await work.WaitAsync(cancellationToken).ConfigureAwait(false);
            OnRemoteSuccess(call);
            return true;
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            OnRemoteFailure(ex, call);
            return false;
        }
        catch (OperationCanceledException)
        {
            // The caller stops waiting; the buffers must outlive the writes, so wait for them to settle first.
            await work.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>MGET: one command on a single server, one per hash slot (pipelined) on a cluster.</summary>
    private async Task<RedisValue[]> ReadManyAsync(RedisKey[] keys, CancellationToken cancellationToken)
    {
        if (!IsCluster())
        {
            return await _database!.StringGetAsync(keys).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var values = new RedisValue[keys.Length];
        List<(int[] Indexes, Task<RedisValue[]> Reply)> calls = [];
        foreach (int[] group in GroupBySlot(keys))
        {
            RedisKey[] groupKeys = group.Length == keys.Length ? keys : group.Select(i => keys[i]).ToArray();
            calls.Add((group, _database!.StringGetAsync(groupKeys)));
        }

        await Task.WhenAll(calls.Select(c => c.Reply)).WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach ((int[] indexes, Task<RedisValue[]> reply) in calls)
        {
            RedisValue[] group = await reply.ConfigureAwait(false); // already complete
            for (int j = 0; j < indexes.Length; j++)
            {
                values[indexes[j]] = group[j];
            }
        }

        return values;
    }

    private async Task<long> UnlinkAsync(RedisKey[] keys)
    {
        var unlinks = new List<Task<RedisResult>>();
        foreach (int[] group in GroupBySlot(keys))
        {
            for (int start = 0; start < group.Length; start += UnlinkBatchSize)
            {
                object[] arguments = group.Skip(start).Take(UnlinkBatchSize).Select(i => (object)keys[i]).ToArray();
                unlinks.Add(_database!.ExecuteAsync("UNLINK", arguments));
            }
        }

        RedisResult[] counts = await Task.WhenAll(unlinks).ConfigureAwait(false);
        return counts.Sum(count => (long)count);
    }

    private async Task<long> UnlinkMatchingAsync(string redisPattern, CancellationToken cancellationToken)
    {
        long removed = 0;
        foreach (IServer server in _redis!.GetServers())
        {
            if (server.IsReplica || !server.IsConnected)
            {
                continue;
            }

            // SCAN, page by page, explicitly: never KEYS, which would block the server on a large keyspace.
            RedisValue cursor = 0;
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                RedisResult page = await server.ExecuteAsync("SCAN", [cursor, "MATCH", redisPattern, "COUNT", ScanPageSize]).ConfigureAwait(false);
                RedisResult[] parts = (RedisResult[])page!;
                cursor = (RedisValue)parts[0];
                RedisKey[] keys = ((RedisResult[])parts[1]!).Select(k => (RedisKey)k).ToArray();
                if (keys.Length > 0)
                {
                    removed += await UnlinkAsync(keys).ConfigureAwait(false);
                }
            }
            while (cursor != 0);
        }

        return removed;
    }

    /// <summary>Groups keys so each group is one command: one group on a single server, one per hash slot on a cluster.</summary>
    private List<int[]> GroupBySlot(RedisKey[] keys)
    {
        if (!IsCluster())
        {
            return [Enumerable.Range(0, keys.Length).ToArray()];
        }

        return Enumerable.Range(0, keys.Length)
            .GroupBy(i => _redis!.HashSlot(keys[i]))
            .Select(group => group.ToArray())
            .ToList();
    }

    private bool IsCluster()
    {
        if (_isCluster is { } known)
        {
            return known;
        }

        IServer[] servers = _redis!.GetServers();
        bool cluster = servers.Any(server => server.ServerType == ServerType.Cluster);
        if (servers.Any(server => server.IsConnected))
        {
            _isCluster = cluster; // settled once a server has answered
        }

        return cluster;
    }
}
