using System;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>
/// The Redis half of every write of one <see cref="TieredCache"/>, shared by all its scopes: a command pipelined with
/// its invalidation through the circuit breaker, the settle of the key's L1 write when Redis took it, and a repair
/// when Redis could not be called or failed. A scope changes L1 first and then hands its write here.
/// </summary>
internal sealed class RemoteWrites
{
    private readonly CacheParts _parts;
    private readonly LocalTier _l1;
    private readonly CircuitBreaker _breaker;
    private readonly Backplane _backplane;
    private readonly RepairDrain _repairs;

    /// <param name="parts">The cache's parts; L1, Redis, the breaker, the backplane and the repairs are made.</param>
    internal RemoteWrites(CacheParts parts)
    {
        _parts = parts;
        _l1 = parts.L1;
        _breaker = parts.Breaker;
        _backplane = parts.Backplane;
        _repairs = parts.Repairs;
    }

    /// <summary>
    /// The Redis half of removing one key whose L1 half is done (<paramref name="mark"/> noted before it): the command
    /// with the invalidation, then the settle; a repair when Redis cannot be called or fails. Not ok then: the caller
    /// answers from L1.
    /// </summary>
    internal async ValueTask<Reply<TResult>> RemoveAsync<TResult>(string key, WriteMark mark, RemoteOperation operation, Func<(RedisTier L2, string Key), Task<TResult>> command, CancellationToken cancellationToken)
    {
        if (!_breaker.CanCall)
        {
            _repairs.Record(RepairKind.Key, key);
            return default;
        }

        Reply<TResult> reply = await WriteAndInvalidateAsync(operation, (L2: _parts.L2!, Key: key), command, key, cancellationToken).ConfigureAwait(false);
        if (reply.Ok)
        {
            _l1.Settle(key, mark);
        }

        return reply;
    }

    /// <summary>
    /// The Redis half of a write whose L1 half is done: the envelope (returned to its pool once Redis has answered) with
    /// the key's memberships in <paramref name="scope"/>'s <paramref name="groups"/>, and the invalidation; then the settle.
    /// </summary>
    internal async ValueTask SetAsync(string key, WriteMark mark, PooledBufferWriter envelope, TimeSpan? life, string scope, string[]? groups, CancellationToken cancellationToken)
    {
        Reply<bool> reply = await WriteAndInvalidateAsync(
            RemoteOperation.Set,
            (L2: _parts.L2!, Key: key, Envelope: envelope, Life: life, Scope: scope, Groups: groups),
            static async s =>
            {
                try
                {
                    await s.L2.SetAsync(s.Key, s.Envelope.WrittenMemory, s.Life, s.Scope, s.Groups).ConfigureAwait(false);
                    return true;
                }
                finally
                {
                    BufferWriterPool.Return(s.Envelope); // Redis has answered or failed: nothing reads the buffer any more
                }
            },
            key,
            cancellationToken).ConfigureAwait(false);
        if (reply.Ok)
        {
            _l1.Settle(key, mark);
        }
    }

    /// <summary>
    /// Sends a command pipelined with the invalidation of <paramref name="key"/> (one round trip) and waits for both; a
    /// Redis failure, even one thrown while the command is issued, is counted, and the key recorded for repair (whether
    /// Redis applied the command is unknown).
    /// </summary>
    internal ValueTask<Reply<TResult>> WriteAndInvalidateAsync<TState, TResult>(RemoteOperation operation, TState state, Func<TState, Task<TResult>> command, string key, CancellationToken cancellationToken) =>
        WriteAndInvalidateAsync(operation, state, command, InvalidationKind.Key, [key], cancellationToken);

    /// <summary>Sends a command pipelined with an invalidation of <paramref name="keys"/>; see the overload of one key.</summary>
    internal async ValueTask<Reply<TResult>> WriteAndInvalidateAsync<TState, TResult>(RemoteOperation operation, TState state, Func<TState, Task<TResult>> command, InvalidationKind kind, string[] keys, CancellationToken cancellationToken)
    {
        if (_parts.BeforeRemoteWrite is { } hook)
        {
            await hook().ConfigureAwait(false);
        }

        Reply<TResult> reply = await _breaker.CallAsync(
            operation,
            (State: state, Command: command, Backplane: _backplane, Kind: kind, Keys: keys),
            static async s =>
            {
                Task<TResult> result = s.Command(s.State);
                await Task.WhenAll(result, s.Backplane.PublishAsync(s.Kind, s.Keys)).ConfigureAwait(false);
                return await result.ConfigureAwait(false); // already complete
            },
            cancellationToken).ConfigureAwait(false);
        if (!reply.Ok)
        {
            _repairs.RecordKeys(keys);
        }

        return reply;
    }
}
