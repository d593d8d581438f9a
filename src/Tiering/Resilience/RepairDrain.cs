using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Strata.Tiering;

/// <summary>
/// Replays, once Redis answers again, the removals it missed (see <see cref="RemoteRepairs"/> for why removals): one
/// background drain at a time, in passes, each a removal from Redis, from the other instances through the backplane
/// and, once Redis has answered, from this L1.
/// </summary>
/// <remarks>
/// <para>
/// A repair stays pending, so that reads keep treating Redis's answer for what it covers as a miss
/// (<see cref="Covers"/>), until its removal has succeeded. A pass stops at its first failure; while repairs remain
/// another pass follows, so the drain needs no traffic to notice that Redis is back.
/// </para>
/// <para>
/// Every pass first waits one circuit-break window (a backoff while Redis is away), then runs only if Redis has had no
/// failure for a whole window. A command that timed out may still run: a frozen Redis that resumes executes what its
/// old connections had buffered, possibly after this instance's new connection has sent the repair, and a late SET
/// would outlive the DEL meant to cover it. Both waits use real time, not the cache's <see cref="TimeProvider"/>: they
/// pace a connection.
/// </para>
/// </remarks>
internal sealed class RepairDrain
{
    private const int Batch = 256; // keys per UNLINK and per invalidation message

    private readonly RemoteRepairs _repairs = new();
    private readonly Removals _removals;
    private readonly LocalTier _l1;
    private readonly CircuitBreaker _breaker;
    private readonly TieredLog _log;
    private readonly TimeSpan _settle;
    private readonly bool _configured;
    private readonly CancellationToken _stopping;
    private long _replayed;

    /// <param name="configured">Whether Redis is configured; without it there is nothing to repair.</param>
    /// <param name="removals">The Redis halves of the removals (null without Redis).</param>
    /// <param name="l1">Where a replayed removal ends.</param>
    /// <param name="breaker">Through which every replay runs, and whose last failure paces the passes.</param>
    /// <param name="log">Where a pass that throws is logged.</param>
    /// <param name="settle">The wait before each pass, and the quiet time a pass needs: the circuit-break window.</param>
    /// <param name="stopping">Cancelled when the cache is disposed.</param>
    internal RepairDrain(bool configured, Removals removals, LocalTier l1, CircuitBreaker breaker, TieredLog log, TimeSpan settle, CancellationToken stopping)
    {
        _configured = configured;
        _removals = removals;
        _l1 = l1;
        _breaker = breaker;
        _log = log;
        _settle = settle;
        _stopping = stopping;
    }

    /// <summary>Gets the number of removals Redis still owes this instance.</summary>
    internal int Pending => _repairs.Count;

    /// <summary>Gets the number of repairs replayed.</summary>
    internal long Replayed => Volatile.Read(ref _replayed);

    /// <summary>Gets a mark to note before a Redis read, for <see cref="Covers"/> after it.</summary>
    internal long Mark => _repairs.Mark;

    /// <summary>A test hook: awaited at the start of each pass, so a test can read while repairs are still pending.</summary>
    internal Func<Task>? BeforePass { get; set; }

    /// <summary>Whether what Redis answered for <paramref name="key"/>, read since <paramref name="mark"/>, must count as a miss.</summary>
    internal bool Covers(string key, long mark) => _repairs.Covers(key, mark);

    /// <summary>
    /// Records that Redis missed a write or removal (its Redis half failed, or was skipped while the circuit was open)
    /// and makes sure a drain is under way. Nothing to record without Redis, or once the cache is disposed.
    /// </summary>
    internal void Record(RepairKind kind, string name, string scope = "")
    {
        if (_configured && !_stopping.IsCancellationRequested)
        {
            _repairs.Add(new RemoteRepair(kind, name, scope));
            Start();
        }
    }

    /// <summary>Records the keys of a batch whose Redis half failed.</summary>
    internal void RecordKeys(IEnumerable<string> keys)
    {
        foreach (string key in keys)
        {
            Record(RepairKind.Key, key);
        }
    }

    private void Start()
    {
        if (!_stopping.IsCancellationRequested && _repairs.TryBeginDrain())
        {
            _ = DrainAsync();
        }
    }

    private async Task DrainAsync()
    {
        try
        {
            await Task.Delay(_settle, _stopping).ConfigureAwait(false);
            if (BeforePass is { } hook)
            {
                await hook().ConfigureAwait(false);
            }

            await PassAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException && _stopping.IsCancellationRequested)
        {
            // Disposed while draining: nothing is owed to a cache that no longer exists.
        }
        catch (Exception ex)
        {
            // Nothing on these paths is expected to throw (Redis failures are caught inside them); if something does,
            // the repairs stay pending for the next pass, and the fire-and-forget task must not end faulted and unobserved.
            _log.RepairFailed(ex);
        }
        finally
        {
            _repairs.EndDrain();
            if (_repairs.Any && !_stopping.IsCancellationRequested)
            {
                Start(); // failed, or recorded while this pass ran
            }
        }
    }

    /// <summary>One pass: a clear first, then patterns and groups, then keys in batches.</summary>
    private async Task PassAsync()
    {
        if (Environment.TickCount64 - _breaker.LastFailure < (long)_settle.TotalMilliseconds)
        {
            return; // Redis failed within the last window: see the remarks
        }

        var keys = new List<KeyValuePair<RemoteRepair, long>>(Batch);
        foreach (KeyValuePair<RemoteRepair, long> pending in _repairs.Snapshot())
        {
            if (!_breaker.MayTry)
            {
                return;
            }

            if (pending.Key.Kind == RepairKind.Key)
            {
                keys.Add(pending);
                if (keys.Count == Batch && !await RepairKeysAsync(keys).ConfigureAwait(false))
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

        if (keys.Count > 0 && _breaker.MayTry)
        {
            await RepairKeysAsync(keys).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a batch of keys everywhere, L1 last. False when Redis failed (the keys stay pending).</summary>
    private async Task<bool> RepairKeysAsync(List<KeyValuePair<RemoteRepair, long>> keys)
    {
        KeyValuePair<RemoteRepair, long>[] batch = [.. keys];
        keys.Clear();
        string[] names = new string[batch.Length];
        for (int i = 0; i < batch.Length; i++)
        {
            names[i] = batch[i].Key.Name;
        }

        Reply<long> reply = await _breaker.CallAsync(RemoteOperation.RemoveMany, (Removals: _removals, Names: names), static s => s.Removals.UnlinkAsync(s.Names), CancellationToken.None).ConfigureAwait(false);
        if (!reply.Ok)
        {
            return false;
        }

        foreach (KeyValuePair<RemoteRepair, long> pending in batch)
        {
            _l1.Invalidate(pending.Key.Name);
            _repairs.Forget(pending.Key, pending.Value);
        }

        Interlocked.Add(ref _replayed, batch.Length);
        return true;
    }

    /// <summary>Replays a clear, a pattern or a group removal: Redis and the other instances first, then L1.</summary>
    private async Task<bool> RepairWideAsync(KeyValuePair<RemoteRepair, long> pending)
    {
        RemoteRepair repair = pending.Key;
        bool ok = repair.Kind switch
        {
            RepairKind.All => await _breaker.RunAsync(RemoteOperation.Clear, _removals, static r => r.RemoveMatchingAsync(null, CancellationToken.None), CancellationToken.None).ConfigureAwait(false),
            RepairKind.Pattern => await _breaker.RunAsync(RemoteOperation.RemoveByPattern, (Removals: _removals, repair.Name), static s => s.Removals.RemoveMatchingAsync(s.Name, CancellationToken.None), CancellationToken.None).ConfigureAwait(false),
            _ => await _breaker.RunAsync(RemoteOperation.GroupRemove, (Removals: _removals, Repair: repair), static s => s.Removals.RemoveAsync(s.Repair.Scope, [], [s.Repair.Name]), CancellationToken.None).ConfigureAwait(false),
        };
        if (!ok)
        {
            return false;
        }

        if (repair.Kind == RepairKind.Group)
        {
            // What this instance still lists in the group (written during the outage) goes too, as Redis's members did.
            _l1.Versions.BumpEpoch();
            foreach ((string key, _) in _l1.Members(repair.Name))
            {
                _l1.Cache.Remove(key);
            }
        }

        _repairs.Forget(repair, pending.Value);
        Interlocked.Increment(ref _replayed);
        return true;
    }
}
