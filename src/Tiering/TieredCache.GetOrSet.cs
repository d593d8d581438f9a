using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Strata.Tiering;

/// <summary>Get-or-set with single flight, early refresh and fail-safe for the factory.</summary>
/// <remarks>
/// <para>
/// A hit in L1 returns at once, without an allocation. A miss joins the key's flight, or starts it: one run per key per
/// process at a time, whatever the number of callers. The run reads Redis (another instance may have produced the
/// value), and only on a miss there calls the factory and writes the value to both tiers with its invalidation. A
/// caller that cancels stops waiting; the run goes on for the others (it is cancelled only when the cache is
/// disposed). A factory exception reaches every waiter, and nothing is cached.
/// </para>
/// <para>
/// Fill race: a run notes the key's fill-race versions before it reads Redis or calls the factory. When a write, an
/// invalidation (local or from the backplane), a group removal or a clear moves them before the value is ready, what
/// the factory read may predate that change: the run's waiters get the value, but it is not cached
/// (<see cref="TieredCacheStatistics.FactoryFillsDropped"/>), and a caller arriving after the change starts a new run
/// instead of joining the old one. A group removal moves every key's versions (the epoch), because the key of a run in
/// flight is not yet a member of the group.
/// </para>
/// <para>
/// Early refresh: a hit on a value past <see cref="CacheEntryOptions.EagerRefreshThreshold"/> of its time to live
/// returns the value and starts a background run, unless one is already going; readers keep hitting the current value
/// until the new one replaces it. The refresh adopts a value another instance already refreshed in Redis rather than
/// calling the factory again.
/// </para>
/// <para>
/// Fail-safe: when the factory throws and L1 still holds the value within
/// <see cref="TieredCacheOptions.FailSafeMaxDuration"/>, that stale value answers instead (counted). With Redis
/// unreachable, a stale value answers without calling the factory, as every read does.
/// </para>
/// </remarks>
public sealed partial class TieredCache
{
    private readonly ConcurrentDictionary<string, object> _flights = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CacheNamespace> _namespaces = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposing = new();
    private long _factoryRuns;
    private long _factoryErrors;
    private long _factoryFailSafeHits;
    private long _eagerRefreshes;
    private long _factoryFillsDropped;

    /// <summary>
    /// Returns the cached value for a key, or produces it once (per process, however many callers ask at the same time)
    /// through <paramref name="factory"/> and caches it in both tiers.
    /// </summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="factory">
    /// Produces the value from the key; through the <see cref="CacheEntryContext"/> it may change the time to live or
    /// decline to cache the value. Its token is cancelled only when the cache is disposed.
    /// </param>
    /// <param name="options">The time to live, early refresh and fail-safe of this value; null for the defaults.</param>
    /// <param name="cancellationToken">Stops this caller's wait; the shared run goes on for the others.</param>
    /// <returns>The value. Completes synchronously, allocating nothing, on an L1 hit.</returns>
    /// <exception cref="Exception">The factory's exception, when no stale value can stand in for it.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // into the caller, where T is known: no shared-generic lookups on the hit
#pragma warning disable RS0026 // overloads with optional parameters: see the state overload
    public ValueTask<T> GetOrSetAsync<T>(string key, Func<string, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        ValidateReadKey(key);
        ArgumentNullException.ThrowIfNull(factory);
        return TryPlainHit(key, options, out T? value)
            ? new ValueTask<T>(value!)
            : GetOrSetCore(key, key, factory, options, _defaultTimeToLive, counters: null, cancellationToken);
    }

    /// <summary>
    /// Returns the cached value for a key, or produces it once through <paramref name="factory"/> from
    /// <paramref name="state"/>; see <see cref="GetOrSetAsync{T}(string, Func{string, CacheEntryContext, CancellationToken, ValueTask{T}}, CacheEntryOptions?, CancellationToken)"/>.
    /// Passing the factory's inputs as state lets it be a static lambda: a hit allocates nothing, not even a closure.
    /// </summary>
    /// <typeparam name="TState">The type of the factory's input.</typeparam>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="state">The factory's input.</param>
    /// <param name="factory">Produces the value from the key and the state.</param>
    /// <param name="options">The time to live, early refresh and fail-safe of this value; null for the defaults.</param>
    /// <param name="cancellationToken">Stops this caller's wait; the shared run goes on for the others.</param>
    /// <returns>The value. Completes synchronously, allocating nothing, on an L1 hit.</returns>
#pragma warning disable RS0026 // overloads with optional parameters: the state overload mirrors the plain one
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ValueTask<T> GetOrSetAsync<TState, T>(string key, TState state, Func<string, TState, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        ValidateReadKey(key);
        ArgumentNullException.ThrowIfNull(factory);
        return TryPlainHit(key, options, out T? value)
            ? new ValueTask<T>(value!)
            : GetOrSetWithState(key, state, factory, options, cancellationToken);
    }

    /// <summary>
    /// The hit of both overloads, kept small so that it inlines where <typeparamref name="T"/> is known (no shared-generic
    /// lookups): a fresh L1 value and no early refresh to consider. Everything else takes the full path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryPlainHit<T>(string key, CacheEntryOptions? options, out T? value)
    {
        if (options?.EagerRefreshThreshold is null && _local.TryGet(key, out LocalEntry? entry) && IsFresh(entry) && entry.TryGet(out value))
        {
            if (_debugLogs)
            {
                LogHit(_logger!, key, LocalTier);
            }

            return true;
        }

        value = default;
        return false;
    }

    /// <summary>The miss path of the state overload: the closure over the state is made here, never on a hit.</summary>
    private ValueTask<T> GetOrSetWithState<TState, T>(string key, TState state, Func<string, TState, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options, CancellationToken cancellationToken) =>
        GetOrSetCore(key, key, (k, context, token) => factory(k, state, context, token), options, _defaultTimeToLive, counters: null, cancellationToken);

    /// <summary>
    /// Returns the namespace <paramref name="name"/>: a view with its own keys (<c>name:key</c>), default time to live
    /// and statistics. The same name always gives the same instance.
    /// </summary>
    /// <param name="name">The name: not empty, without <c>:</c>.</param>
    /// <param name="defaultTimeToLive">The namespace's default time to live; null for the cache's.</param>
    /// <param name="restartTimeToLiveOnUpdate">
    /// Whether <see cref="CacheNamespace.UpdateAsync{T}"/> restarts a value's time to live at the default (true) or
    /// keeps what is left of it (false, the default).
    /// </param>
    /// <returns>The namespace.</returns>
    /// <exception cref="ArgumentException">The name is empty or contains <c>:</c>, or the namespace exists with other settings.</exception>
    public CacheNamespace Namespace(string name, TimeSpan? defaultTimeToLive = null, bool restartTimeToLiveOnUpdate = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (name.Contains(CacheKey.Separator, StringComparison.Ordinal))
        {
            throw new ArgumentException($"A namespace name cannot contain '{CacheKey.Separator}': '{name}' would overlap another namespace's keys.", nameof(name));
        }

        TimeToLiveGuard.Positive(defaultTimeToLive, nameof(defaultTimeToLive));
        CacheNamespace found = _namespaces.GetOrAdd(
            name, static (n, state) => new CacheNamespace(state.Cache, n, state.Ttl, state.Restart), (Cache: this, Ttl: defaultTimeToLive, Restart: restartTimeToLiveOnUpdate));
        if (found.DefaultTimeToLive != defaultTimeToLive)
        {
            throw new ArgumentException($"Namespace '{name}' exists with a default time to live of {found.DefaultTimeToLive?.ToString() ?? "none"}, not {defaultTimeToLive?.ToString() ?? "none"}.", nameof(defaultTimeToLive));
        }

        if (found.RestartTimeToLiveOnUpdate != restartTimeToLiveOnUpdate)
        {
            throw new ArgumentException($"Namespace '{name}' exists with restartTimeToLiveOnUpdate = {found.RestartTimeToLiveOnUpdate}.", nameof(restartTimeToLiveOnUpdate));
        }

        return found;
    }

    /// <summary>The get-or-set of the cache and of its namespaces; <paramref name="factoryKey"/> is the key the factory sees.</summary>
    internal ValueTask<T> GetOrSetCore<T>(string key, string factoryKey, Func<string, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options, TimeSpan? defaultTimeToLive, NamespaceCounters? counters, CancellationToken cancellationToken)
    {
        ValidateReadKey(key);
        ArgumentNullException.ThrowIfNull(factory);
        options ??= CacheEntryOptions.Default;
        LocalEntry? stale = null;
        if (_local.TryGet(key, out LocalEntry? entry))
        {
            if (IsFresh(entry) && entry.TryGet(out T? value))
            {
                if (options.EagerRefreshThreshold is { } threshold && IsDueForRefresh(entry, threshold, options.TimeToLive ?? defaultTimeToLive))
                {
                    StartRefresh(key, factoryKey, factory, options, defaultTimeToLive);
                }

                counters?.Hit();
                if (_debugLogs)
                {
                    LogHit(_logger!, key, LocalTier);
                }

                return new ValueTask<T>(value!);
            }

            stale = entry;
        }

        cancellationToken.ThrowIfCancellationRequested();
        KeyGuard.Encodable(key, nameof(key));
        KeyGuard.NotReserved(key, nameof(key));
        if (options.HasGroups)
        {
            _ = options.GroupNames(key[..^factoryKey.Length]); // bad indexes are refused before the factory runs
            ThrowIfGroupsUnsupported();
        }

        Flight<T> flight = JoinFlight(key, factoryKey, factory, options, defaultTimeToLive, stale, counters);
        return counters is null ? new ValueTask<T>(flight.Task.WaitAsync(cancellationToken)) : WaitCountedAsync(flight, counters, cancellationToken);
    }

    /// <summary>Waits for a flight and counts the wait as a namespace hit, or as a miss when the factory had to run.</summary>
    private static async ValueTask<T> WaitCountedAsync<T>(Flight<T> flight, NamespaceCounters counters, CancellationToken cancellationToken)
    {
        try
        {
            return await flight.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            counters.Read(hit: !flight.FactoryRan);
        }
    }

    /// <summary>Whether less than the unexpired part of the threshold is left of the value's freshness.</summary>
    private bool IsDueForRefresh(LocalEntry entry, double threshold, TimeSpan? timeToLive)
    {
        if (timeToLive is not { } ttl || entry.FreshUntil == LocalEntry.Forever)
        {
            return false;
        }

        long left = entry.FreshUntil - _time.GetTimestamp();
        return left < ToTicks(ttl) * (1 - threshold);
    }

    private Flight<T> JoinFlight<T>(string key, string factoryKey, Func<string, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions options, TimeSpan? defaultTimeToLive, LocalEntry? stale, NamespaceCounters? counters)
    {
        while (true)
        {
            (long Slot, long Epoch) now = VersionsOf(key);
            if (_flights.TryGetValue(key, out object? running))
            {
                if (running is Flight<T> same && same.Before == now)
                {
                    return same;
                }

                if (running is Flight<T> overtaken)
                {
                    // A write or an invalidation came after this run read its value: a caller arriving now must not
                    // get that value. Replace the run for the callers to come; its own waiters still get its value.
                    var fresh = new Flight<T>(now.Slot, now.Epoch);
                    if (_flights.TryUpdate(key, fresh, overtaken))
                    {
                        _ = RunFlightAsync(key, factoryKey, fresh, factory, options, defaultTimeToLive, stale, counters, refresh: false, registered: true);
                        return fresh;
                    }

                    continue;
                }

                // A run for the same key but another type: run alone rather than hand out a value of the wrong type.
                var alone = new Flight<T>(now.Slot, now.Epoch);
                _ = RunFlightAsync(key, factoryKey, alone, factory, options, defaultTimeToLive, stale, counters, refresh: false, registered: false);
                return alone;
            }

            var flight = new Flight<T>(now.Slot, now.Epoch);
            if (_flights.TryAdd(key, flight))
            {
                _ = RunFlightAsync(key, factoryKey, flight, factory, options, defaultTimeToLive, stale, counters, refresh: false, registered: true);
                return flight;
            }
        }
    }

    private void StartRefresh<T>(string key, string factoryKey, Func<string, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions options, TimeSpan? defaultTimeToLive)
    {
        if (_flights.ContainsKey(key))
        {
            return; // a run for the key is already going: it is the refresh
        }

        (long Slot, long Epoch) before = VersionsOf(key);
        var flight = new Flight<T>(before.Slot, before.Epoch);
        if (!_flights.TryAdd(key, flight))
        {
            return;
        }

        Interlocked.Increment(ref _eagerRefreshes);
        // On the thread pool: the caller has its value and must not run the factory's synchronous part.
        _ = Task.Run(() => RunFlightAsync(key, factoryKey, flight, factory, options, defaultTimeToLive, stale: null, counters: null, refresh: true, registered: true));
    }

    private async Task RunFlightAsync<T>(string key, string factoryKey, Flight<T> flight, Func<string, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions options, TimeSpan? defaultTimeToLive, LocalEntry? stale, NamespaceCounters? counters, bool refresh, bool registered)
    {
        T value;
        try
        {
            value = await ProduceAsync(key, factoryKey, flight, factory, options, defaultTimeToLive, stale, counters, refresh).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Leave(key, flight, registered);
            flight.Fail(ex);
            // Observed here: the failure is counted and logged, and waiters still receive it; a refresh, or a run whose
            // callers all cancelled, has nobody left to observe it.
            _ = flight.Task.Exception;
            return;
        }

        Leave(key, flight, registered);
        flight.Complete(value);
    }

    /// <summary>Takes the flight out before completing it, so a caller arriving afterwards starts afresh.</summary>
    private void Leave(string key, object flight, bool registered)
    {
        if (registered)
        {
            _flights.TryRemove(new(key, flight));
        }
    }

    private async ValueTask<T> ProduceAsync<T>(string key, string factoryKey, Flight<T> flight, Func<string, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions options, TimeSpan? defaultTimeToLive, LocalEntry? stale, NamespaceCounters? counters, bool refresh)
    {
        if (_database is not null)
        {
            // Another instance may have produced the value; with Redis unreachable, a stale value within the fail-safe
            // window answers (ReadRemoteAsync serves it), as for any read.
            CacheResult<T> remote = await ReadRemoteAsync<T>(key, stale, CancellationToken.None).ConfigureAwait(false);
            if (remote.HasValue && (!refresh || !(_local.TryGet(key, out LocalEntry? filled) && IsDueForRefresh(filled, options.EagerRefreshThreshold!.Value, options.TimeToLive ?? defaultTimeToLive))))
            {
                return remote.Value!;
            }
        }

        var context = new CacheEntryContext(factoryKey, options.TimeToLive ?? defaultTimeToLive);
        T value;
        Interlocked.Increment(ref _factoryRuns);
        flight.FactoryRan = true;
        if (_debugLogs)
        {
            LogFactoryRun(_logger!, key);
        }

        Activity? activity = Tracing.BeginFactory(_name); // the factory's own calls nest under it
        try
        {
            value = await factory(factoryKey, context, _disposing.Token).ConfigureAwait(false);
            activity?.Dispose();
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.Dispose();
            Interlocked.Increment(ref _factoryErrors);
            if (_logger is not null)
            {
                LogFactoryFailed(_logger, factoryKey, ex);
            }

            stale ??= _local.TryGet(key, out LocalEntry? current) ? current : null; // a refresh starts from the current value
            if (options.ServeStaleOnFactoryError && _failSafe is not null && stale is not null && stale.TryGet(out T? old))
            {
                Interlocked.Increment(ref _factoryFailSafeHits);
                return old!;
            }

            throw;
        }

        if (context.WillCache && VersionsOf(key) != flight.Before)
        {
            // The fill race of a factory: a write or an invalidation for the key (or a group removal, or a clear) landed
            // while the factory ran, so what it read may predate it. The waiters get the value; the tiers do not.
            Interlocked.Increment(ref _factoryFillsDropped);
            return value;
        }

        if (context.WillCache)
        {
            string scope = key[..^factoryKey.Length]; // a namespace's "name:", or empty
            await SetCore(key, value, context.TimeToLive, scope, options.HasGroups ? options.GroupNames(scope) : null, CancellationToken.None).ConfigureAwait(false);
            counters?.Set();
        }

        return value;
    }

    [LoggerMessage(EventId = 13, Level = LogLevel.Debug, Message = "Cache miss for '{Key}': running the factory")]
    private static partial void LogFactoryRun(ILogger logger, string key);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "The factory for '{Key}' failed")]
    private static partial void LogFactoryFailed(ILogger logger, string key, Exception exception);
}
