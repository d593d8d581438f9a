using System;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>
/// The invalidations that keep every instance's L1 coherent: published on the channel <c>{KeyPrefix}__invalidate</c>
/// with each write and removal, and applied to this instance's L1 when they come from another one.
/// </summary>
/// <remarks>
/// <para>
/// A message (<see cref="InvalidationMessage"/>) names its sender, which ignores its own. Applying one goes through
/// <see cref="LocalTier.Invalidate"/> or <see cref="LocalTier.InvalidateMatching"/>, which bump the fill-race versions
/// before they remove, so a read that fetched the old value before the message arrived does not install it afterwards.
/// </para>
/// <para>
/// What was published while the subscription was down is lost, so this instance cannot know what it missed. Its L1 is
/// cleared whenever the subscription comes back: after a lost subscription connection (see <see cref="TieredCache"/>)
/// and after a subscription that succeeds only on a retry. A restored connection is reported before StackExchange.Redis
/// has subscribed again on it, and a message published in between is lost too, after the clear: so the instance then
/// publishes an empty message and clears L1 once more when it hears that message back, which proves the subscription
/// live since before it was sent. The probe is sent under a sender id of its own, new for each restore: a message of
/// this instance's that was already on its way when the connection dropped may still be delivered after the restore,
/// and says nothing of the new subscription. Until then <see cref="IsSubscribed"/> is false. A failed subscription is retried every second in the
/// background until it succeeds or the cache is disposed. While the connection is up, such a failure is counted and
/// logged but does not open the circuit: a subscribe that timed out on a busy machine says nothing of the commands.
/// </para>
/// </remarks>
internal sealed class Backplane : IDisposable
{
    private static readonly TimeSpan s_resubscribeInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_probeInterval = TimeSpan.FromMilliseconds(250);

    private readonly RemoteConnection? _remote;
    private readonly LocalTier _l1;
    private readonly CircuitBreaker _breaker;
    private readonly TieredCounters _counters;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _subscribeGate = new();
    private ChannelMessageQueue? _subscription;
    private int _resubscribing; // 1 while a background retry of the subscription runs
    private Probe? _probe;      // from a restored subscription connection until this instance hears the probe's echo
    private int _probing;       // 1 while the loop publishing the probe for that echo runs
    private long _sent;
    private long _received;

    /// <param name="remote">The connection; null for an L1-only cache, whose backplane does nothing. It is attached before <see cref="Subscribe"/>.</param>
    /// <param name="enabled">Whether invalidations are published and received (<see cref="TieredCacheOptions.Backplane"/>).</param>
    /// <param name="keyPrefix">The key prefix, which names the channel.</param>
    /// <param name="l1">Where received invalidations apply.</param>
    /// <param name="breaker">Measures and records the subscription's calls.</param>
    /// <param name="counters">Counts messages that cannot be decoded.</param>
    internal Backplane(RemoteConnection? remote, bool enabled, string keyPrefix, LocalTier l1, CircuitBreaker breaker, TieredCounters counters)
    {
        _remote = remote;
        Enabled = remote is not null && enabled;
        Channel = RedisChannel.Literal(keyPrefix + "__invalidate");
        _l1 = l1;
        _breaker = breaker;
        _counters = counters;
        KeysHeader = InvalidationMessage.Header(InstanceId, InvalidationKind.Keys);
    }

    /// <summary>Gets whether invalidations are published and received.</summary>
    internal bool Enabled { get; }

    /// <summary>Gets this instance's id, the sender of its messages.</summary>
    internal Guid InstanceId { get; } = Guid.NewGuid();

    /// <summary>Gets the channel.</summary>
    internal RedisChannel Channel { get; }

    /// <summary>Gets the header of this instance's 'keys' messages, for scripts that publish one themselves.</summary>
    internal byte[] KeysHeader { get; }

    /// <summary>Gets the number of messages published.</summary>
    internal long Sent => Volatile.Read(ref _sent);

    /// <summary>Gets the number of other instances' messages applied.</summary>
    internal long Received => Volatile.Read(ref _received);

    /// <summary>
    /// Gets whether the subscription is in place and settled: a subscription made by the background retry is followed
    /// by an L1 clear and an epoch move, which a test's first operation must not straddle.
    /// </summary>
    internal bool IsSubscribed =>
        Volatile.Read(ref _subscription) is not null && Volatile.Read(ref _resubscribing) == 0 && Volatile.Read(ref _probe) is null;

    /// <summary>Publishes an invalidation of <paramref name="keys"/> (one key, several, or a pattern); completes at once when disabled.</summary>
    internal Task PublishAsync(InvalidationKind kind, string[] keys)
    {
        if (!Enabled)
        {
            return Task.CompletedTask;
        }

        return Publish(new InvalidationMessage(InstanceId, kind, keys));
    }

    /// <summary>Publishes an invalidation of one key or one pattern.</summary>
    internal Task PublishAsync(InvalidationKind kind, string keyOrPattern) => PublishAsync(kind, [keyOrPattern]);

    private Task Publish(InvalidationMessage message)
    {
        PooledBufferWriter writer = BufferWriterPool.Rent();
        message.Encode(writer);
        Interlocked.Increment(ref _sent);
        return PublishAndReturnAsync(writer);
    }

    /// <summary>Counts a message a script published on this instance's behalf (<c>invalidate.lua</c>).</summary>
    internal void CountPublished() => Interlocked.Increment(ref _sent);

    /// <summary>
    /// Subscribes to the channel; when that fails, keeps retrying every second in the background until it succeeds or
    /// the cache is disposed. Does nothing when disabled or already subscribed.
    /// </summary>
    internal void Subscribe()
    {
        if (Enabled && !SubscribeOnce() && Interlocked.Exchange(ref _resubscribing, 1) == 0)
        {
            _ = ResubscribeAsync();
        }
    }

    /// <summary>
    /// The subscription connection came back: L1 can no longer be trusted (what was published meanwhile is lost), so it
    /// is cleared, and the subscription made again if it had failed.
    /// </summary>
    internal void OnSubscriptionRestored()
    {
        if (!Enabled)
        {
            return; // no subscription, so nothing was missed
        }

        Volatile.Write(ref _probe, new Probe(Guid.NewGuid())); // echoes of an earlier probe no longer count
        _l1.InvalidateMatching(pattern: null);
        if (Volatile.Read(ref _subscription) is null)
        {
            Subscribe();
        }

        if (Interlocked.Exchange(ref _probing, 1) == 0)
        {
            _ = ProbeUntilEchoedAsync();
        }
    }

    /// <summary>Applies a message to L1 unless it is this instance's own; an undecodable one is counted and dropped.</summary>
    internal void Apply(ReadOnlySpan<byte> bytes)
    {
        if (!InvalidationMessage.TryDecode(bytes, out InvalidationMessage invalidation))
        {
            Interlocked.Increment(ref _counters.DecodeErrors);
            return;
        }

        if (invalidation.Sender == InstanceId)
        {
            return;
        }

        if (Volatile.Read(ref _probe) is { } probe && invalidation.Sender == probe.Sender)
        {
            if (ReferenceEquals(Interlocked.CompareExchange(ref _probe, null, probe), probe))
            {
                _l1.InvalidateMatching(pattern: null); // live since before the probe: what was missed until then goes
            }

            return;
        }

        switch (invalidation.Kind)
        {
            case InvalidationKind.Key:
            case InvalidationKind.Keys:
                foreach (string key in invalidation.Keys)
                {
                    _l1.Invalidate(key);
                }

                break;
            case InvalidationKind.Pattern:
                _l1.InvalidateMatching(invalidation.Single);
                break;
            case InvalidationKind.All:
                _l1.InvalidateMatching(pattern: null);
                break;
        }

        // Counted once applied: a reader that sees the count (a test waiting for quiescence) must also see the removal.
        Interlocked.Increment(ref _received);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _stopping.Cancel();
        try
        {
            _subscription?.Unsubscribe();
        }
        catch (Exception ex) when (CircuitBreaker.IsRemoteFailure(ex))
        {
            // Closing anyway: the subscription dies with the connection.
        }
    }

    private async Task PublishAndReturnAsync(PooledBufferWriter writer)
    {
        try
        {
            await _remote!.Multiplexer!.GetSubscriber().PublishAsync(Channel, writer.WrittenMemory).ConfigureAwait(false);
        }
        finally
        {
            BufferWriterPool.Return(writer); // the publish has completed or failed: Redis no longer reads the buffer
        }
    }

    /// <returns>Whether the subscription is in place.</returns>
    private bool SubscribeOnce()
    {
        lock (_subscribeGate) // one subscription, whichever of the constructor, a restored connection or the retry gets here
        {
            if (_subscription is not null)
            {
                return true;
            }

            RemoteCall call = _breaker.Begin(RemoteOperation.Subscribe);
            try
            {
                ChannelMessageQueue subscription = _remote!.Multiplexer!.GetSubscriber().Subscribe(Channel);
                subscription.OnMessage(message => Apply((byte[]?)message.Message ?? []));
                Volatile.Write(ref _subscription, subscription);
                _breaker.Succeeded(call);
                return true;
            }
            catch (Exception ex) when (_breaker.Records(ex, call, opensCircuit: !_remote!.Multiplexer!.IsConnected))
            {
                return false; // see the remarks: the circuit opens only when the connection is down
            }
        }
    }

    /// <summary>
    /// Publishes an empty message (nothing for the other instances to drop) every quarter second until this instance
    /// hears one of its own messages back (<see cref="Apply"/>), or the cache is disposed.
    /// </summary>
    private async Task ProbeUntilEchoedAsync()
    {
        try
        {
            while (Volatile.Read(ref _probe) is { } probe && !_stopping.IsCancellationRequested)
            {
                try
                {
                    // Enabled, since a probe was set: an empty 'keys' message, which the other instances apply as nothing.
                    await Publish(new InvalidationMessage(probe.Sender, InvalidationKind.Keys, [])).ConfigureAwait(false);
                }
                catch (Exception ex) when (CircuitBreaker.IsRemoteFailure(ex))
                {
                    // The connection is not back yet: the next round tries again.
                }

                // Real time, as for the resubscription: this paces a probe on a connection.
                await Task.Delay(s_probeInterval, _stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed while waiting.
        }
        finally
        {
            Volatile.Write(ref _probing, 0);
            if (Volatile.Read(ref _probe) is not null && !_stopping.IsCancellationRequested && Interlocked.Exchange(ref _probing, 1) == 0)
            {
                _ = ProbeUntilEchoedAsync(); // a restore came between the last check and the reset above
            }
        }
    }

    private async Task ResubscribeAsync()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                // Real time, not the cache's TimeProvider: this paces attempts on a connection, it is not cache time.
                await Task.Delay(s_resubscribeInterval, _stopping.Token).ConfigureAwait(false);
                if (SubscribeOnce())
                {
                    _l1.InvalidateMatching(pattern: null); // what was published before now was missed
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed while waiting.
        }
        finally
        {
            Volatile.Write(ref _resubscribing, 0);
        }
    }

    /// <summary>The sender id of one restore's probe: its echo, and only its, proves the new subscription live.</summary>
    private sealed class Probe(Guid sender)
    {
        internal Guid Sender { get; } = sender;
    }
}
