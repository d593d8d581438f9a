using System;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>
/// Every Redis call goes through here: it is measured (<see cref="RemoteCall"/>), its failure is told apart from the
/// caller's own errors, counted and logged once per change of state, and a failure that says Redis is unavailable
/// opens a circuit for <see cref="TieredCacheOptions.CircuitBreakDuration"/>, during which <see cref="CanCall"/> is false
/// and the cache serves from L1 without trying Redis.
/// </summary>
/// <remarks>
/// <para>
/// A connection failure, a timeout or a disposed connection opens the circuit; an error reply (a script error, a wrong
/// type) is counted and logged but does not: Redis answered. A call whose caller stopped waiting is neither a success
/// nor a failure; its span ends as abandoned. An exception the caller builds from Redis's error reply (its
/// <see cref="Exception.InnerException"/> is a <see cref="RedisServerException"/>) means Redis answered: it is recorded
/// as a success and propagates.
/// </para>
/// <para>
/// The circuit is a timestamp (0 while closed) written with volatile writes; a success reads it first, so a healthy
/// cache writes no shared state per call. <see cref="LastFailure"/> feeds the repair drain's settling rule.
/// </para>
/// </remarks>
internal sealed class CircuitBreaker
{
    private readonly TimeProvider _time;
    private readonly long _breakTicks;
    private readonly RemoteConnection? _remote;
    private readonly TimeSpan _connectWait;
    private readonly string _cacheName;
    private readonly CacheMetrics _metrics;
    private readonly TieredLog _log;
    private long _openUntil; // TimeProvider timestamp; 0 while closed
    private long _lastFailure; // Environment.TickCount64 of the last failure
    private long _errors;
    private int _reportedDown; // 1 from a failure (or lost connection) until Redis answers again: logs once per change
    private int _stopped;

    /// <param name="remote">The connection; null when Redis is not configured, and then <see cref="CanCall"/> is always false.</param>
    /// <param name="connectWait">How long a call waits for a connection that is still being made before it fails as a timeout.</param>
    /// <param name="breakDuration">How long the circuit stays open after an availability failure.</param>
    /// <param name="time">The clock of the circuit.</param>
    /// <param name="cacheName">The <c>cache</c> tag of the measurements.</param>
    /// <param name="metrics">Where round trips are measured.</param>
    /// <param name="log">Where changes of state are logged.</param>
    internal CircuitBreaker(RemoteConnection? remote, TimeSpan connectWait, TimeSpan breakDuration, TimeProvider time, string cacheName, CacheMetrics metrics, TieredLog log)
    {
        _remote = remote;
        _connectWait = connectWait;
        _time = time;
        _breakTicks = Math.Max(1, (long)(breakDuration.TotalSeconds * time.TimestampFrequency));
        _cacheName = cacheName;
        _metrics = metrics;
        _log = log;
    }

    /// <summary>Gets whether Redis may be called now: configured, not stopped, and the circuit closed.</summary>
    /// <remarks>
    /// Once an open circuit's break is over, the first caller to ask is let through as the probe, and the circuit is
    /// opened again for everyone else until the probe's answer closes it (or its failure keeps it open): while Redis
    /// stays down, one call per break waits for the timeout, not every call made meanwhile.
    /// </remarks>
    internal bool CanCall => Usable && MayCall();

    /// <summary>Gets whether the circuit is open.</summary>
    internal bool IsOpen
    {
        get
        {
            long openUntil = Volatile.Read(ref _openUntil);
            return openUntil != 0 && openUntil > _time.GetTimestamp();
        }
    }

    /// <summary>
    /// Gets whether Redis may be called, without taking the probe of a circuit whose break is over: for the repair
    /// drain, which looks before each step of a pass and whose own calls close or reopen the circuit like a probe's.
    /// </summary>
    internal bool MayTry => Usable && !IsOpen;

    /// <summary>Gets whether Redis is configured and the cache not stopped.</summary>
    private bool Usable => _remote is not null && Volatile.Read(ref _stopped) == 0;

    private bool MayCall()
    {
        long openUntil = Volatile.Read(ref _openUntil);
        if (openUntil == 0)
        {
            return true;
        }

        long now = _time.GetTimestamp();
        return openUntil <= now && Interlocked.CompareExchange(ref _openUntil, now + _breakTicks, openUntil) == openUntil; // the probe
    }

    /// <summary>Gets the number of failed calls.</summary>
    internal long Errors => Volatile.Read(ref _errors);

    /// <summary>Gets the <see cref="Environment.TickCount64"/> of the last failure, 0 before any.</summary>
    internal long LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>The exceptions a Redis call fails with, as opposed to the caller's own errors.</summary>
    internal static bool IsRemoteFailure(Exception exception) =>
        exception is RedisException or TimeoutException or ObjectDisposedException;

    /// <summary>Calls Redis: <paramref name="command"/> issues the command(s) from <paramref name="state"/>; the reply is awaited here.</summary>
    /// <returns>The reply, or a failure (already counted); any other exception propagates.</returns>
    internal async ValueTask<Reply<T>> CallAsync<TState, T>(RemoteOperation operation, TState state, Func<TState, Task<T>> command, CancellationToken cancellationToken)
    {
        RemoteCall call = Begin(operation);
        try
        {
            await ConnectedAsync(cancellationToken).ConfigureAwait(false);
            T result = await command(state).WaitAsync(cancellationToken).ConfigureAwait(false);
            Succeeded(call);
            return new Reply<T>(true, result);
        }
        catch (Exception ex) when (Records(ex, call))
        {
            return default;
        }
    }

    /// <summary>Calls Redis for a command without a reply of interest; see <see cref="CallAsync"/>.</summary>
    /// <returns>Whether it succeeded (a failure is already counted); any other exception propagates.</returns>
    internal async ValueTask<bool> RunAsync<TState>(RemoteOperation operation, TState state, Func<TState, Task> command, CancellationToken cancellationToken)
    {
        RemoteCall call = Begin(operation);
        try
        {
            await ConnectedAsync(cancellationToken).ConfigureAwait(false);
            await command(state).WaitAsync(cancellationToken).ConfigureAwait(false);
            Succeeded(call);
            return true;
        }
        catch (Exception ex) when (Records(ex, call))
        {
            return false;
        }
    }

    /// <summary>Starts measuring a call; end it with <see cref="Succeeded"/> or through <see cref="Records"/>.</summary>
    internal RemoteCall Begin(RemoteOperation operation) => RemoteCall.Begin(operation, _cacheName, _metrics.RemoteDuration);

    internal void Succeeded(in RemoteCall call)
    {
        call.End(_metrics.RemoteDuration, _cacheName, failure: null);
        if (Volatile.Read(ref _openUntil) != 0) // read first: no shared write on every success
        {
            Volatile.Write(ref _openUntil, 0);
        }

        ReportUp();
    }

    /// <summary>
    /// The filter of a catch around a Redis call: records a Redis failure and returns true; for anything else ends the
    /// call (see the remarks) and returns false, so that it propagates.
    /// </summary>
    /// <param name="exception">What the call threw.</param>
    /// <param name="call">The call.</param>
    /// <param name="opensCircuit">Whether an availability failure opens the circuit.</param>
    internal bool Records(Exception exception, in RemoteCall call, bool opensCircuit = true)
    {
        if (IsRemoteFailure(exception))
        {
            Failed(exception, call, opensCircuit);
            return true;
        }

        if (exception.InnerException is RedisServerException)
        {
            Succeeded(call);
        }
        else
        {
            call.Abandon();
        }

        return false;
    }

    /// <summary>Closes the circuit: a connection was restored.</summary>
    internal void Close() => Volatile.Write(ref _openUntil, 0);

    /// <summary>Refuses every later call: the cache is being disposed.</summary>
    internal void Stop() => Volatile.Write(ref _stopped, 1);

    /// <summary>Logs a lost connection, once until Redis answers again.</summary>
    internal void ReportDown(ConnectionFailedEventArgs e)
    {
        if (Interlocked.Exchange(ref _reportedDown, 1) == 0)
        {
            _log.ConnectionFailed(e);
        }
    }

    /// <summary>Logs Redis's return after a failure or a lost connection reported it down, once.</summary>
    internal void ReportUp()
    {
        if (Volatile.Read(ref _reportedDown) != 0 && Interlocked.Exchange(ref _reportedDown, 0) != 0)
        {
            _log.RemoteUp();
        }
    }

    /// <summary>
    /// Completes at once once the connection is open (a completed task: nothing allocated); before that, waits for the
    /// first connection, as StackExchange.Redis's backlog holds a command issued while it connects, and fails as a
    /// timeout after the operation timeout (opening the circuit, so later calls do not wait too).
    /// </summary>
    private Task ConnectedAsync(CancellationToken cancellationToken) =>
        _remote is null || _remote.IsOpen ? Task.CompletedTask : WaitForConnectionAsync(_remote.Ready, cancellationToken);

    private async Task WaitForConnectionAsync(Task ready, CancellationToken cancellationToken)
    {
        try
        {
            await ready.WaitAsync(_connectWait, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Redis is still connecting after {_connectWait.TotalMilliseconds:0} ms.", ex);
        }
    }

    private static bool IsAvailabilityFailure(Exception exception) =>
        exception is RedisConnectionException or RedisTimeoutException or TimeoutException or ObjectDisposedException;

    private void Failed(Exception exception, in RemoteCall call, bool opensCircuit)
    {
        call.End(_metrics.RemoteDuration, _cacheName, exception);
        Interlocked.Increment(ref _errors);
        Volatile.Write(ref _lastFailure, Environment.TickCount64);
        if (!opensCircuit || !IsAvailabilityFailure(exception))
        {
            _log.RemoteError(exception);
            return;
        }

        Interlocked.Exchange(ref _openUntil, _time.GetTimestamp() + _breakTicks);
        if (Interlocked.Exchange(ref _reportedDown, 1) == 0)
        {
            _log.RemoteDown(exception);
        }
    }
}

/// <summary>What a Redis call gave: its reply when <see cref="Ok"/>, else nothing (the failure was recorded).</summary>
internal readonly record struct Reply<T>(bool Ok, T Value);
