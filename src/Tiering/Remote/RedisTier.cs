using System;
using System.Buffers.Text;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>
/// The Redis side of a <see cref="TieredCache"/>: key names, the commands and scripts each operation sends, and the
/// decoding of what comes back. It knows nothing of L1, the circuit or the backplane; callers run its commands through
/// <see cref="CircuitBreaker.CallAsync"/>, and its methods let Redis exceptions propagate.
/// </summary>
/// <remarks>
/// A cache key <c>k</c> is the Redis key <c>{KeyPrefix}k</c>, sent as the prefix's UTF-8 bytes followed by the key,
/// without a concatenated string. Values are <see cref="CacheEnvelope"/>s; counters are Redis integers. Batches are one
/// command on a single server and one per hash slot, pipelined, on a cluster. Pattern removal scans every primary
/// (never <c>KEYS</c>) and unlinks in batches.
/// </remarks>
internal sealed class RedisTier
{
    /// <summary>The logical expiry <see cref="Decode{T}"/> reports for a counter, which has none and never goes to L1.</summary>
    internal const long CounterRead = long.MinValue;

    private const int ScanPageSize = 1000;
    private const int UnlinkBatchSize = 500;

    private readonly RedisKey _prefix;
    private readonly Lifetimes _lifetimes;
    private readonly TieredCounters _counters;
    private readonly TieredLog _log;
    private bool? _isCluster;

    private readonly RemoteConnection _remote;

    internal RedisTier(RemoteConnection remote, string keyPrefix, Lifetimes lifetimes, TieredCounters counters, TieredLog log)
    {
        _remote = remote;
        KeyPrefix = keyPrefix;
        _prefix = Encoding.UTF8.GetBytes(keyPrefix);
        _lifetimes = lifetimes;
        _counters = counters;
        _log = log;
    }

    /// <summary>Gets the connection; used only by commands, which the circuit breaker runs once it is open.</summary>
    internal IConnectionMultiplexer Connection => _remote.Multiplexer!;

    internal IDatabase Database => _remote.Database;

    /// <summary>Gets the prefix of every key, as configured.</summary>
    internal string KeyPrefix { get; }

    /// <summary>Gets whether Redis is a cluster; settled once a server has answered.</summary>
    internal bool IsCluster
    {
        get
        {
            if (_isCluster is { } known)
            {
                return known;
            }

            if (_remote.Multiplexer is not { } connection)
            {
                return false; // not connected yet: unknown, and not settled
            }

            IServer[] servers = connection.GetServers();
            bool cluster = servers.Any(server => server.ServerType == ServerType.Cluster);
            if (servers.Any(server => server.IsConnected))
            {
                _isCluster = cluster;
            }

            return cluster;
        }
    }

    /// <summary>The Redis key of a cache key (a namespace's keys include its <c>name:</c>).</summary>
    internal RedisKey Key(string key) => _prefix.Append(key);

    /// <summary>The Redis key of the record of <paramref name="key"/>'s groups (a full cache key in <paramref name="scope"/>).</summary>
    internal RedisKey RecordKey(string scope, string key) => _prefix.Append(EntryGroups.Record(scope, key));

    internal Task<RedisValue> GetAsync(string key) => Database.StringGetAsync(Key(key));

    /// <summary>Writes an envelope; with <paramref name="groups"/>, also replaces the key's index and tag memberships, atomically.</summary>
    internal Task SetAsync(string key, ReadOnlyMemory<byte> envelope, TimeSpan? life, string scope, string[]? groups) => groups is null
        ? Database.StringSetAsync(Key(key), envelope, Lifetimes.ClientExpiry(life), When.Always)
        : Database.ScriptEvaluateAsync(LuaScripts.GroupSet, GroupWriteKeys(key, scope, groups), [envelope, Lifetimes.Milliseconds(life), key]);

    /// <summary>
    /// The fresh part of a key's remaining life in milliseconds: -2 when missing, -1 when it never expires, else the
    /// time left to an envelope's logical expiry (0 or less: only fail-safe reads may use it), or the PTTL of a counter.
    /// </summary>
    internal async Task<long> TimeToLiveAsync(string key)
    {
        // Raw PTTL: StackExchange.Redis's KeyTimeToLive maps both "missing" (-2) and "no expiry" (-1) to null.
        RedisResult[] reply = (RedisResult[])(await Database.ScriptEvaluateAsync(LuaScripts.TimeToLive, [Key(key)]).ConfigureAwait(false))!;
        long pttl = (long)reply[0];
        if (pttl == -2 || (long)reply[1] == 0)
        {
            return pttl;
        }

        long logicalExpiry = (long)reply[2];
        if (logicalExpiry == 0)
        {
            return -1;
        }

        long fresh = logicalExpiry - _lifetimes.Now().UnixMilliseconds;
        return fresh > 0 ? fresh : 0;
    }

    /// <summary>Removes a key (<c>unlink.lua</c>); true when it existed and had not expired, as DEL answers.</summary>
    internal async Task<bool> RemoveAsync(string key) =>
        (long)await Database.ScriptEvaluateAsync(LuaScripts.Unlink, [Key(key)], [_lifetimes.Now().UnixMilliseconds]).ConfigureAwait(false) == 1;

    /// <summary>Gives a key a new life (see <c>expire.lua</c>); true when the key existed.</summary>
    internal async Task<bool> ExpireAsync(string key, string scope, WriteLifetime lifetime, TimeSpan? timeToLive)
    {
        RedisKey[] keys = IsCluster ? [Key(key)] : [Key(key), RecordKey(scope, key)]; // no indexed values on a cluster
        RedisResult result = await Database.ScriptEvaluateAsync(LuaScripts.Expire, keys, [lifetime.LogicalExpiry, Lifetimes.Milliseconds(lifetime.Life), Lifetimes.Milliseconds(timeToLive), _lifetimes.Now().UnixMilliseconds]).ConfigureAwait(false);
        return (long)result == 1;
    }

    /// <summary>Adds to a counter, giving a new one <paramref name="timeToLive"/>; Redis's errors come back as ours.</summary>
    /// <exception cref="OverflowException">The count would leave the range of <see cref="long"/>.</exception>
    /// <exception cref="InvalidOperationException">The key holds something else than a counter.</exception>
    internal async Task<long> IncrementAsync(string key, long delta, TimeSpan? timeToLive)
    {
        RedisResult reply;
        try
        {
            reply = await Database.ScriptEvaluateAsync(LuaScripts.Increment, [Key(key)], [delta, Lifetimes.Milliseconds(timeToLive), _lifetimes.Now().UnixMilliseconds]).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("overflow", StringComparison.Ordinal))
        {
            throw new OverflowException($"Counter '{key}' would leave the range of a 64-bit integer.", ex);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("not an integer", StringComparison.Ordinal) || ex.Message.Contains("WRONGTYPE", StringComparison.Ordinal))
        {
            throw NotACounter(key, ex);
        }

        return long.Parse((string)reply!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }

    /// <summary>The compare-and-set of an update (see <c>update.lua</c>); true when written.</summary>
    internal async Task<bool> CompareAndSetAsync(string key, string scope, RedisValue read, ReadOnlyMemory<byte> envelope, long px)
    {
        bool indexed = (((ReadOnlyMemory<byte>)read).Span[2] & CacheEnvelope.IndexedFlag) != 0; // decoded: at least a header
        RedisKey[] keys = indexed ? [Key(key), RecordKey(scope, key)] : [Key(key)];
        return (long)await Database.ScriptEvaluateAsync(LuaScripts.Update, keys, [read, envelope, px]).ConfigureAwait(false) == 1;
    }

    /// <summary>Runs <c>group-query.lua</c>: the trusted, fresh members of <paramref name="group"/>, with their values or not.</summary>
    internal async Task<RedisResult[]> QueryGroupAsync(string scope, string group, bool values) =>
        (RedisResult[])(await Database.ScriptEvaluateAsync(
            LuaScripts.GroupQuery, [_prefix.Append(group)], [KeyPrefix, scope, values ? "1" : "0", _lifetimes.Now().UnixMilliseconds]).ConfigureAwait(false))!;

    /// <summary>
    /// Runs <c>invalidate.lua</c>: removes <paramref name="keys"/> and the trusted members of <paramref name="groups"/>,
    /// and publishes one invalidation of all of them on <paramref name="channel"/> (none when it is null) with the
    /// message header <paramref name="header"/>.
    /// </summary>
    /// <returns>How many of <paramref name="keys"/> existed, and the removed members.</returns>
    internal async Task<(long Existed, string[] Members)> InvalidateAsync(string scope, IReadOnlyList<string> keys, IReadOnlyList<string> groups, RedisChannel? channel, byte[] header)
    {
        var redisKeys = new RedisKey[keys.Count + groups.Count];
        for (int i = 0; i < keys.Count; i++)
        {
            redisKeys[i] = Key(keys[i]);
        }

        for (int i = 0; i < groups.Count; i++)
        {
            redisKeys[keys.Count + i] = _prefix.Append(groups[i]);
        }

        var reply = (RedisResult[])(await Database.ScriptEvaluateAsync(
            LuaScripts.Invalidate, redisKeys, [KeyPrefix, scope, keys.Count, channel is { } c ? (RedisValue)c.ToString() : RedisValue.EmptyString, header, _lifetimes.Now().UnixMilliseconds]).ConfigureAwait(false))!;
        var members = new string[reply.Length - 1];
        for (int i = 1; i < reply.Length; i++)
        {
            members[i - 1] = (string)reply[i]!;
        }

        return ((long)reply[0], members);
    }

    /// <summary>MGET of keys made with <see cref="Key"/>: one command on a single server, one per hash slot (pipelined) on a cluster.</summary>
    internal Task<RedisValue[]> GetManyAsync(RedisKey[] redisKeys) =>
        IsCluster ? GetManyBySlotAsync(redisKeys) : Database.StringGetAsync(redisKeys);

    private async Task<RedisValue[]> GetManyBySlotAsync(RedisKey[] redisKeys)
    {
        var values = new RedisValue[redisKeys.Length];
        List<(int[] Indexes, Task<RedisValue[]> Reply)> calls = [];
        foreach (int[] group in GroupBySlot(redisKeys))
        {
            RedisKey[] groupKeys = group.Length == redisKeys.Length ? redisKeys : group.Select(i => redisKeys[i]).ToArray();
            calls.Add((group, Database.StringGetAsync(groupKeys)));
        }

        await Task.WhenAll(calls.Select(c => c.Reply)).ConfigureAwait(false);
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

    /// <summary>Writes many envelopes in one pipelined batch.</summary>
    internal Task SetManyAsync(IReadOnlyList<string> keys, IReadOnlyList<PooledBufferWriter> envelopes, TimeSpan? life)
    {
        IBatch batch = Database.CreateBatch();
        TimeSpan? expiry = Lifetimes.ClientExpiry(life);
        var sets = new Task[keys.Count];
        for (int i = 0; i < keys.Count; i++)
        {
            sets[i] = batch.StringSetAsync(Key(keys[i]), (RedisValue)envelopes[i].WrittenMemory, expiry, When.Always);
        }

        batch.Execute();
        return Task.WhenAll(sets);
    }

    /// <summary>
    /// UNLINK of cache keys (<c>unlink.lua</c>), in batches and, on a cluster, per hash slot; returns how many existed
    /// and had not expired, as DEL counts (a value kept only for fail-safe reads had).
    /// </summary>
    internal Task<long> UnlinkAsync(IReadOnlyList<string> keys) => UnlinkAsync(keys.Select(Key).ToArray());

    /// <summary>
    /// SCAN MATCH and UNLINK on every primary of the cache keys matching <paramref name="pattern"/> (a Redis glob over
    /// cache keys; null for every key of the prefix); returns how many were removed.
    /// </summary>
    internal async Task<long> UnlinkMatchingAsync(string? pattern, CancellationToken cancellationToken)
    {
        string redisPattern = GlobEscape.Literal(KeyPrefix) + (pattern ?? "*");
        long removed = 0;
        foreach (IServer server in Connection.GetServers())
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

    /// <summary>
    /// Turns what Redis returned for a key into a result, counting it. <paramref name="fill"/> is the L1 entry to
    /// install, or null when there is nothing to install (missing, undecodable, a counter, or stale: a stale copy is not
    /// served while Redis answers).
    /// </summary>
    internal CacheResult<T> Accept<T>(ValueCodec codec, RedisValue raw, Instant now, out LocalEntry? fill, out TimeSpan? life)
    {
        fill = null;
        life = null;
        if (raw.IsNull)
        {
            Interlocked.Increment(ref _counters.RemoteMisses);
            return CacheResult<T>.Miss;
        }

        CacheResult<T> result = Decode<T>(codec, raw, out object? boxed, out long logicalExpiry);
        if (result.HasValue && logicalExpiry == CounterRead)
        {
            Interlocked.Increment(ref _counters.RemoteHits); // a counter: never put in L1, which must not serve a stale count
            return result;
        }

        if (!result.HasValue)
        {
            return CacheResult<T>.Miss; // counted as a decode error
        }

        if (!_lifetimes.TryLocalLife(logicalExpiry, now, out long freshUntil, out life))
        {
            Interlocked.Increment(ref _counters.RemoteMisses);
            return CacheResult<T>.Miss;
        }

        Interlocked.Increment(ref _counters.RemoteHits);
        fill = new LocalEntry(boxed, freshUntil);
        return result;
    }

    /// <summary>
    /// Decodes a value: an envelope, or with <typeparamref name="T"/> = <see cref="long"/> a counter (reported with the
    /// logical expiry <see cref="CounterRead"/>). Anything else is a miss and a counted decode error, never an exception.
    /// </summary>
    internal CacheResult<T> Decode<T>(ValueCodec codec, RedisValue raw, out object? boxed, out long logicalExpiry)
    {
        ReadOnlyMemory<byte> bytes = raw;
        EnvelopeStatus status = codec.TryRead(bytes.Span, out T? value, out logicalExpiry);
        if (status != EnvelopeStatus.Ok)
        {
            boxed = null;
            if (typeof(T) == typeof(long) && TryReadCounter(bytes.Span, out long count))
            {
                logicalExpiry = CounterRead;
                return CacheResult<T>.Hit(Unsafe.As<long, T>(ref count));
            }

            Interlocked.Increment(ref _counters.DecodeErrors);
            _log.Undecodable(status);
            return CacheResult<T>.Miss;
        }

        boxed = value;
        return CacheResult<T>.Hit(value!);
    }

    /// <summary>
    /// Decodes what GETDEL returned: like <see cref="Decode{T}"/>, except that an envelope past its logical expiry (kept
    /// only for fail-safe reads) is a miss, as Redis's GETDEL answers for an expired key.
    /// </summary>
    internal CacheResult<T> DecodeRemoved<T>(ValueCodec codec, RedisValue raw)
    {
        if (raw.IsNull)
        {
            return CacheResult<T>.Miss;
        }

        CacheResult<T> result = Decode<T>(codec, raw, out _, out long logicalExpiry);
        bool expired = logicalExpiry > 0 && logicalExpiry <= _lifetimes.Now().UnixMilliseconds; // CounterRead is negative
        return expired ? CacheResult<T>.Miss : result;
    }

    internal static InvalidOperationException NotACounter(string key, Exception? inner = null) =>
        new($"Key '{key}' holds a value that is not a counter; IncrementAsync counts only keys it created.", inner);

    /// <summary>Tells whether <paramref name="raw"/> is a counter as Redis stores it (never an envelope, which opens with its magic byte).</summary>
    internal static bool IsCounter(RedisValue raw) => TryReadCounter(((ReadOnlyMemory<byte>)raw).Span, out _);

    /// <summary>Reads a counter as Redis stores it: the decimal digits of a 64-bit integer.</summary>
    private static bool TryReadCounter(ReadOnlySpan<byte> bytes, out long count) =>
        Utf8Parser.TryParse(bytes, out count, out int used) && used == bytes.Length && bytes.Length > 0;

    private async Task<long> UnlinkAsync(RedisKey[] keys)
    {
        var unlinks = new List<Task<RedisResult>>();
        RedisValue[] now = [_lifetimes.Now().UnixMilliseconds];
        foreach (int[] group in GroupBySlot(keys))
        {
            for (int start = 0; start < group.Length; start += UnlinkBatchSize)
            {
                RedisKey[] batch = group.Skip(start).Take(UnlinkBatchSize).Select(i => keys[i]).ToArray();
                unlinks.Add(Database.ScriptEvaluateAsync(LuaScripts.Unlink, batch, now));
            }
        }

        RedisResult[] counts = await Task.WhenAll(unlinks).ConfigureAwait(false);
        return counts.Sum(count => (long)count);
    }

    /// <summary>Groups keys so each group is one command: one group on a single server, one per hash slot on a cluster.</summary>
    private List<int[]> GroupBySlot(RedisKey[] keys)
    {
        if (!IsCluster)
        {
            return [Enumerable.Range(0, keys.Length).ToArray()];
        }

        return Enumerable.Range(0, keys.Length)
            .GroupBy(i => Connection.HashSlot(keys[i]))
            .Select(group => group.ToArray())
            .ToList();
    }

    /// <summary>The keys of <c>group-set.lua</c>: the value, its group record, then its group sets.</summary>
    private RedisKey[] GroupWriteKeys(string key, string scope, string[] groups)
    {
        var keys = new RedisKey[groups.Length + 2];
        keys[0] = Key(key);
        keys[1] = RecordKey(scope, key);
        for (int i = 0; i < groups.Length; i++)
        {
            keys[i + 2] = _prefix.Append(groups[i]);
        }

        return keys;
    }
}
