using System;
using System.Threading;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>
/// The events a <see cref="TieredCache"/> logs, in one place with their ids, and whether debug events are wanted.
/// Every method is a no-op without a logger.
/// </summary>
/// <remarks>
/// Asking the logger whether debug is enabled on every hit (<see cref="ILogger.IsEnabled"/>) cost 3-6 ns on a 6 ns
/// hit, so <see cref="Debug"/> is read from the logger once a second by a timer: a level changed at run time applies
/// within a second. Written by the timer and read without a fence on the hit paths: a stale read only logs or skips
/// one event. The timer holds this object weakly, so an undisposed cache can still be collected.
/// </remarks>
internal sealed partial class TieredLog : IDisposable
{
    /// <summary>The tier names of logs, as in the metrics' <c>tier</c> tag.</summary>
    internal const string LocalTier = "l1", RemoteTier = "l2";

    private static readonly TimeSpan s_levelRefresh = TimeSpan.FromSeconds(1);

    private readonly ITimer? _levelTimer;

    internal TieredLog(ILogger? logger, TimeProvider time)
    {
        Logger = logger;
        if (logger is not null)
        {
            Debug = logger.IsEnabled(LogLevel.Debug);
            _levelTimer = time.CreateTimer(static state => Refresh((WeakReference<TieredLog>)state!), new WeakReference<TieredLog>(this), s_levelRefresh, s_levelRefresh);
        }
    }

    /// <summary>Gets the logger; null for none.</summary>
    internal ILogger? Logger { get; }

    /// <summary>Gets whether debug events are logged: checked by the hot paths before they call a debug method.</summary>
    internal bool Debug { get; private set; }

    internal void RemoteDown(Exception exception)
    {
        if (Logger is not null)
        {
            LogRemoteDown(Logger, exception.GetType().Name, exception);
        }
    }

    internal void RemoteUp()
    {
        if (Logger is not null)
        {
            LogRemoteUp(Logger);
        }
    }

    internal void RemoteError(Exception exception)
    {
        if (Logger is not null)
        {
            LogRemoteError(Logger, exception);
        }
    }

    internal void ConnectionFailed(ConnectionFailedEventArgs e)
    {
        if (Logger is not null)
        {
            LogConnectionFailed(Logger, e.EndPoint?.ToString() ?? "?", e.ConnectionType, e.FailureType, e.Exception);
        }
    }

    internal void ConnectionRestored(ConnectionFailedEventArgs e)
    {
        if (Logger is not null)
        {
            LogConnectionRestored(Logger, e.EndPoint?.ToString() ?? "?", e.ConnectionType);
        }
    }

    internal void Undecodable(EnvelopeStatus status)
    {
        if (Logger is not null)
        {
            LogUndecodable(Logger, status);
        }
    }

    internal void FactoryFailed(string key, Exception exception)
    {
        if (Logger is not null)
        {
            LogFactoryFailed(Logger, key, exception);
        }
    }

    internal void RepairFailed(Exception exception)
    {
        if (Logger is not null)
        {
            LogRepairFailed(Logger, exception);
        }
    }

    /// <summary>A debug event: call only when <see cref="Debug"/> is true.</summary>
    internal void Hit(string key, string tier) => LogHit(Logger!, key, tier);

    /// <summary>A debug event: call only when <see cref="Debug"/> is true.</summary>
    internal void Miss(string key) => LogMiss(Logger!, key);

    /// <summary>A debug event: call only when <see cref="Debug"/> is true.</summary>
    internal void Set(string key, TimeSpan? timeToLive) => LogSet(Logger!, key, timeToLive);

    /// <summary>A debug event: call only when <see cref="Debug"/> is true.</summary>
    internal void FactoryRun(string key) => LogFactoryRun(Logger!, key);

    /// <inheritdoc/>
    public void Dispose() => _levelTimer?.Dispose();

    private static void Refresh(WeakReference<TieredLog> reference)
    {
        if (reference.TryGetTarget(out TieredLog? log) && log.Logger is { } logger)
        {
            log.Debug = logger.IsEnabled(LogLevel.Debug);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Redis unavailable ({Reason}): serving from L1 until it answers again")]
    private static partial void LogRemoteDown(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Redis answers again: both tiers in use")]
    private static partial void LogRemoteUp(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} ({ConnectionType}) failed: {FailureType}")]
    private static partial void LogConnectionFailed(ILogger logger, string endPoint, ConnectionType connectionType, ConnectionFailureType failureType, Exception? exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Redis connection to {EndPoint} ({ConnectionType}) restored: L1 cleared, invalidations may have been missed")]
    private static partial void LogConnectionRestored(ILogger logger, string endPoint, ConnectionType connectionType);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Redis returned an error; the call was served without it")]
    private static partial void LogRemoteError(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "A value in Redis could not be read ({Status}): treated as a miss")]
    private static partial void LogUndecodable(ILogger logger, EnvelopeStatus status);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "The factory for '{Key}' failed")]
    private static partial void LogFactoryFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Replaying the removals Redis missed during an outage failed; the next pass retries")]
    private static partial void LogRepairFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Cache hit for '{Key}' ({Tier})")]
    private static partial void LogHit(ILogger logger, string key, string tier);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Cache miss for '{Key}'")]
    private static partial void LogMiss(ILogger logger, string key);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "Cache set for '{Key}' (time to live {TimeToLive})")]
    private static partial void LogSet(ILogger logger, string key, TimeSpan? timeToLive);

    [LoggerMessage(EventId = 13, Level = LogLevel.Debug, Message = "Cache miss for '{Key}': running the factory")]
    private static partial void LogFactoryRun(ILogger logger, string key);
}
