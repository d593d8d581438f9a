using System;
using System.Collections.Generic;
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

    /// <summary>A test hook: awaited when a drain starts, so a test can read while repairs are still pending.</summary>
    internal Func<Task>? BeforeRepairs { get; set; }

    /// <summary>
    /// Records that Redis missed a write or removal: its Redis half failed, or was skipped while the circuit was open.
    /// Nothing to record without Redis.
    /// </summary>
    private void Unsynced(RepairKind kind, string name, string scope = "")
    {
        if (_database is not null && _disposed == 0)
        {
            _repairs.Add(new RemoteRepair(kind, name, scope));
        }
    }

    private void UnsyncedKeys(IEnumerable<string> keys)
    {
        foreach (string key in keys)
        {
            Unsynced(RepairKind.Key, key);
        }
    }

    /// <summary>Starts a drain of the pending repairs in the background, unless one runs or a failed one is backing off.</summary>
    private void StartRepairs()
    {
        if (_disposed == 0 && _time.GetTimestamp() >= Volatile.Read(ref _repairRetryAt) && _repairs.TryBeginDrain())
        {
            _ = DrainRepairsAsync();
        }
    }

    /// <summary>
    /// Replays every pending repair through the ordinary removal paths (clear, pattern, group, then keys in batches),
    /// which remove from L1, from Redis and, through the backplane, from the other instances' L1. A repair stays pending
    /// (so reads keep treating Redis's answer as a miss) until its removal has succeeded. When any removal is recorded as
    /// failed meanwhile, the drain stops and waits a circuit-break window before it runs again.
    /// </summary>
    private async Task DrainRepairsAsync()
    {
        bool failed = true;
        try
        {
            // Wait a circuit-break window first. A command that timed out may still run: a frozen Redis that resumes
            // reads what its old connections had buffered, possibly after this instance's new connection has sent the
            // repair, and a late SET would then outlive the DEL meant to cover it (the SIGSTOP chaos test saw one). The
            // keys stay covered meanwhile. Real time, not the cache's TimeProvider: this paces a connection.
            await Task.Delay(_repairSettle, _disposing.Token).ConfigureAwait(false);
            if (BeforeRepairs is { } hook)
            {
                await hook().ConfigureAwait(false);
            }

            var keys = new List<string>(RepairBatch);
            foreach (RemoteRepair repair in _repairs.Snapshot())
            {
                if (!IsRemoteUsable())
                {
                    return;
                }

                if (repair.Kind == RepairKind.Key)
                {
                    keys.Add(repair.Name);
                    if (keys.Count == RepairBatch && !await RepairKeysAsync(keys).ConfigureAwait(false))
                    {
                        return;
                    }

                    continue;
                }

                if (!_repairs.Contains(repair))
                {
                    continue; // a clear collapsed it
                }

                int recorded = _repairs.Recorded;
                switch (repair.Kind)
                {
                    case RepairKind.All:
                        await ClearAsync(CancellationToken.None).ConfigureAwait(false);
                        break;
                    case RepairKind.Pattern:
                        await RemoveByPatternAsync(repair.Name, CancellationToken.None).ConfigureAwait(false);
                        break;
                    default:
                        await RemoveGroupAsync(repair.Scope, repair.Name, CancellationToken.None).ConfigureAwait(false);
                        break;
                }

                if (_repairs.Recorded != recorded)
                {
                    return; // a removal failed (this one, or another call's): retry later
                }

                _repairs.Forget(repair);
                Interlocked.Increment(ref _repairsReplayed);
            }

            failed = keys.Count > 0 && !await RepairKeysAsync(keys).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException && _disposed != 0)
        {
            // Disposed while draining: nothing is owed to a cache that no longer exists.
        }
        catch (Exception ex)
        {
            // Nothing on these paths is expected to throw (Redis failures are caught inside them); if something does,
            // the repairs stay pending and the drain retries after the backoff, and the fire-and-forget task must not
            // end faulted and unobserved.
            if (_logger is not null)
            {
                LogRepairFailed(_logger, ex);
            }
        }
        finally
        {
            _repairs.EndDrain();
            if (failed)
            {
                Volatile.Write(ref _repairRetryAt, _time.GetTimestamp() + Math.Max(1, _circuitBreakTicks));
            }
            else if (_repairs.Any && IsRemoteUsable())
            {
                StartRepairs(); // recorded while this drain ran
            }
        }
    }

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Replaying the removals Redis missed during an outage failed; retrying after the circuit-break window")]
    private static partial void LogRepairFailed(ILogger logger, Exception exception);

    /// <summary>Removes a batch of keys everywhere; false when a removal failed meanwhile (the keys stay pending).</summary>
    private async Task<bool> RepairKeysAsync(List<string> keys)
    {
        string[] batch = [.. keys];
        keys.Clear();
        int recorded = _repairs.Recorded;
        await RemoveManyAsync(batch, CancellationToken.None).ConfigureAwait(false);
        if (_repairs.Recorded != recorded)
        {
            return false;
        }

        foreach (string key in batch)
        {
            _repairs.Forget(new RemoteRepair(RepairKind.Key, key));
        }

        Interlocked.Add(ref _repairsReplayed, batch.Length);
        return true;
    }
}
