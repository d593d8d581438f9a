using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Strata.Tiering;

/// <summary>The removals Redis missed during an outage, replayed once it answers (see <see cref="RemoteRepairs"/>).</summary>
public sealed partial class TieredCache
{
    private const int RepairBatch = 256; // keys per UNLINK and per invalidation message

    /// <summary>Gets the number of removals Redis still owes this instance, for tests.</summary>
    internal int PendingRepairs => _repairs.Count;

    /// <summary>A test hook: awaited at the start of each drain pass, so a test can read while repairs are still pending.</summary>
    internal Func<Task>? BeforeRepairs { get; set; }

    /// <summary>
    /// Records that Redis missed a write or removal (its Redis half failed, or was skipped while the circuit was open)
    /// and makes sure a drain is under way. Nothing to record without Redis.
    /// </summary>
    private void Unsynced(RepairKind kind, string name, string scope = "")
    {
        if (_database is not null && _disposed == 0)
        {
            _repairs.Add(new RemoteRepair(kind, name, scope));
            StartRepairs();
        }
    }

    private void UnsyncedKeys(IEnumerable<string> keys)
    {
        foreach (string key in keys)
        {
            Unsynced(RepairKind.Key, key);
        }
    }

    /// <summary>Starts the drain of the pending repairs in the background, unless it is under way.</summary>
    private void StartRepairs()
    {
        if (_disposed == 0 && _repairs.TryBeginDrain())
        {
            _ = DrainRepairsAsync();
        }
    }

    /// <summary>
    /// One pass over the pending repairs (a clear first, then patterns and groups, then keys in batches), each removed
    /// from Redis, from the other instances' L1 through the backplane and, once Redis has answered, from this L1. A
    /// repair stays pending (so reads keep treating Redis's answer as a miss) until its removal has succeeded. A pass
    /// stops at the first failure; while repairs remain, another pass follows, so the drain needs no traffic to notice
    /// that Redis is back.
    /// </summary>
    private async Task DrainRepairsAsync()
    {
        try
        {
            // Every pass waits a circuit-break window first: a backoff while Redis is away. A command that timed out may
            // still run: a frozen Redis that resumes reads what its old connections had buffered, possibly after this
            // instance's new connection has sent the repair, and a late SET would outlive the DEL meant to cover it (the
            // SIGSTOP chaos test saw it). So a pass also waits for a window without failures (RepairPassAsync). Real time,
            // not the cache's TimeProvider: this paces a connection.
            await Task.Delay(_repairSettle, _disposing.Token).ConfigureAwait(false);
            if (BeforeRepairs is { } hook)
            {
                await hook().ConfigureAwait(false);
            }

            await RepairPassAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException && _disposed != 0)
        {
            // Disposed while draining: nothing is owed to a cache that no longer exists.
        }
        catch (Exception ex)
        {
            // Nothing on these paths is expected to throw (Redis failures are caught inside them); if something does,
            // the repairs stay pending for the next pass, and the fire-and-forget task must not end faulted and unobserved.
            if (_logger is not null)
            {
                LogRepairFailed(_logger, ex);
            }
        }
        finally
        {
            _repairs.EndDrain();
            if (_repairs.Any && _disposed == 0)
            {
                StartRepairs(); // failed, or recorded while this pass ran
            }
        }
    }

    private async Task RepairPassAsync()
    {
        // Only once Redis has answered without a failure for a settling window: a pass whose wait ended just after a
        // frozen Redis resumed could otherwise DEL a key before a SET still buffered on an old connection, which the
        // SIGSTOP chaos test saw. Real time, as the wait.
        if (Environment.TickCount64 - Volatile.Read(ref _lastRemoteFailure) < (long)_repairSettle.TotalMilliseconds)
        {
            return;
        }

        var keys = new List<KeyValuePair<RemoteRepair, long>>(RepairBatch);
        foreach (KeyValuePair<RemoteRepair, long> pending in _repairs.Snapshot())
        {
            if (!IsRemoteUsable())
            {
                return;
            }

            if (pending.Key.Kind == RepairKind.Key)
            {
                keys.Add(pending);
                if (keys.Count == RepairBatch && !await RepairKeysAsync(keys).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            if (_repairs.Contains(pending.Key) && !await RepairWideAsync(pending).ConfigureAwait(false))
            {
                return; // not contained: a clear collapsed it
            }
        }

        if (keys.Count > 0 && IsRemoteUsable())
        {
            await RepairKeysAsync(keys).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Removes a batch of keys from Redis and the other instances, then from L1: L1 goes last, because until Redis has
    /// answered this may still be the outage, whose writes L1 must keep. False when Redis failed (the keys stay pending).
    /// </summary>
    private async Task<bool> RepairKeysAsync(List<KeyValuePair<RemoteRepair, long>> keys)
    {
        KeyValuePair<RemoteRepair, long>[] batch = [.. keys];
        keys.Clear();
        string[] names = batch.Select(pending => pending.Key.Name).ToArray();
        (bool ok, _) = await CommandAndInvalidateAsync(
            RemoteOperation.RemoveMany, _ => UnlinkAsync(names.Select(RemoteKey).ToArray()), InvalidationKind.Keys, names, CancellationToken.None).ConfigureAwait(false);
        if (!ok)
        {
            return false;
        }

        foreach (KeyValuePair<RemoteRepair, long> pending in batch)
        {
            BumpVersion(pending.Key.Name);
            _local.Remove(pending.Key.Name);
            _repairs.Forget(pending.Key, pending.Value);
        }

        Interlocked.Add(ref _repairsReplayed, batch.Length);
        return true;
    }

    /// <summary>Replays a clear, a pattern or a group removal: Redis and the other instances first, then L1 (see <see cref="RepairKeysAsync"/>).</summary>
    private async Task<bool> RepairWideAsync(KeyValuePair<RemoteRepair, long> pending)
    {
        RemoteRepair repair = pending.Key;
        RemoteCall call = BeginRemote(repair.Kind switch
        {
            RepairKind.All => RemoteOperation.Clear,
            RepairKind.Pattern => RemoteOperation.RemoveByPattern,
            _ => RemoteOperation.GroupRemove,
        });
        try
        {
            switch (repair.Kind)
            {
                case RepairKind.All:
                    await RemoveMatchingRemoteAsync(pattern: null, CancellationToken.None).ConfigureAwait(false);
                    break;
                case RepairKind.Pattern:
                    await RemoveMatchingRemoteAsync(repair.Name, CancellationToken.None).ConfigureAwait(false);
                    break;
                default:
                    await RemoveGroupRemoteAsync(repair.Scope, repair.Name, CancellationToken.None).ConfigureAwait(false);
                    Interlocked.Increment(ref _epoch);
                    foreach ((string key, _) in LocalMembers(repair.Name))
                    {
                        _local.Remove(key);
                    }

                    break;
            }

            OnRemoteSuccess(call);
        }
        catch (Exception ex) when (IsRemoteFailure(ex, call))
        {
            OnRemoteFailure(ex, call);
            return false;
        }

        _repairs.Forget(repair, pending.Value);
        Interlocked.Increment(ref _repairsReplayed);
        return true;
    }

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Replaying the removals Redis missed during an outage failed; the next pass retries")]
    private static partial void LogRepairFailed(ILogger logger, Exception exception);
}
