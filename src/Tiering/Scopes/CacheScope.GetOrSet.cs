using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Strata.Tiering;

/// <summary>Get-or-set with single flight, early refresh and fail-safe for the factory.</summary>
/// <remarks>
/// <para>
/// A hit in L1 returns at once, without an allocation. A miss joins the key's flight, or starts it
/// (<see cref="FlightTable"/>): one run per key per process at a time, whatever the number of callers. The run reads
/// Redis (another instance may have produced the value), and only on a miss there calls the factory and writes the
/// value to both tiers with its invalidation. A caller that cancels stops waiting; the run goes on for the others (it
/// is cancelled when every caller has cancelled, or the cache is disposed). A factory exception reaches every waiter, and nothing is cached.
/// </para>
/// <para>
/// Fill race: a run notes the key's fill-race versions before it reads Redis or calls the factory. When a change to
/// the key (a write, an invalidation, a group removal, a clear) moves them before the value is ready, what the factory
/// read may predate that change: the run's waiters get the value, but it is not cached
/// (<see cref="TieredCacheStatistics.FactoryFillsDropped"/>). A group removal moves every key's versions (the epoch),
/// because the key of a run in flight is not yet a member of the group.
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
/// <para>
/// Statistics: a call makes one counted L1 look-up; the look-ups of the run itself (the refresh check, the stale value
/// of a failed factory) are not counted.
/// </para>
/// </remarks>
public abstract partial class CacheScope
{
    /// <summary>
    /// Returns the cached value for a key, or produces it once (per process, however many callers ask at the same time)
    /// through <paramref name="factory"/> and caches it in both tiers.
    /// </summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key; the factory receives it as given (within the namespace, for a namespace).</param>
    /// <param name="factory">
    /// Produces the value from the key; through the <see cref="CacheEntryContext"/> it may change the time to live or
    /// decline to cache the value. Its token is cancelled when every caller waiting for the run has cancelled (a caller
    /// whose token cannot be cancelled keeps the run going), and when the cache is disposed.
    /// </param>
    /// <param name="options">The time to live, early refresh, fail-safe, indexes and tags of this value; null for the defaults.</param>
    /// <param name="cancellationToken">
    /// Stops this caller's wait with an <see cref="OperationCanceledException"/> carrying this token; the shared run goes
    /// on while another caller waits for it.
    /// </param>
    /// <returns>The value. Completes synchronously, allocating nothing, on an L1 hit.</returns>
    /// <exception cref="Exception">The factory's exception, when no stale value can stand in for it.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // into the caller, where T is known: no shared-generic lookups on the hit
#pragma warning disable RS0026 // overloads with optional parameters: the state overload mirrors the plain one
    public ValueTask<T> GetOrSetAsync<T>(string key, Func<string, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        string full = ReadKey(key);
        ArgumentNullException.ThrowIfNull(factory);
        return TryPlainHit(full, options, out T? value, out LocalEntry? found)
            ? new ValueTask<T>(value!)
            : GetOrSetMiss(full, key, factory, options, found, cancellationToken);
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
    /// <param name="options">The time to live, early refresh, fail-safe, indexes and tags of this value; null for the defaults.</param>
    /// <param name="cancellationToken">Stops this caller's wait; the shared run goes on for the others.</param>
    /// <returns>The value. Completes synchronously, allocating nothing (but a namespace's key) on an L1 hit.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
#pragma warning disable RS0026 // overloads with optional parameters: the state overload mirrors the plain one
    public ValueTask<T> GetOrSetAsync<TState, T>(string key, TState state, Func<string, TState, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        string full = ReadKey(key);
        ArgumentNullException.ThrowIfNull(factory);
        return TryPlainHit(full, options, out T? value, out LocalEntry? found)
            ? new ValueTask<T>(value!)
            : GetOrSetWithState(full, key, state, factory, options, found, cancellationToken);
    }

    /// <summary>
    /// The hit of both overloads, kept small so that it inlines where <typeparamref name="T"/> is known: a fresh L1 value
    /// and no early refresh to consider. Everything else takes the miss path, with what the look-up found.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryPlainHit<T>(string key, CacheEntryOptions? options, out T? value, out LocalEntry? found)
    {
        if (options is { AllowsPlainHit: false } && (options.Flags & CacheEntryFlags.DisableLocalRead) != 0)
        {
            found = null; // L1 is left out: not even looked at
            value = default;
            return false;
        }

        if (_local.TryGet(key, out found) && (options is null || options.AllowsPlainHit) && _l1.IsFresh(found) && found.TryGet(out value))
        {
            if (_log.Debug)
            {
                _log.Hit(key, TieredLog.LocalTier);
            }

            _namespace?.Hit();
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>The miss path of the state overload: the closure over the state is made here, never on a hit.</summary>
    private ValueTask<T> GetOrSetWithState<TState, T>(string full, string key, TState state, Func<string, TState, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options, LocalEntry? found, CancellationToken cancellationToken) =>
        GetOrSetMiss(full, key, (k, context, token) => factory(k, state, context, token), options, found, cancellationToken);

    /// <summary>Everything but a plain hit; <paramref name="found"/> is what the call's one L1 look-up found.</summary>
    private ValueTask<T> GetOrSetMiss<T>(string full, string key, Func<string, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options, LocalEntry? found, CancellationToken cancellationToken)
    {
        options ??= CacheEntryOptions.Default;
        LocalEntry? stale = null;
        if (found is not null)
        {
            if (_l1.IsFresh(found) && found.TryGet(out T? value))
            {
                // A hit with early refresh on.
                if (options.EagerRefreshThreshold is { } threshold && IsDueForRefresh(found, threshold, options.TimeToLive ?? ScopeTimeToLive))
                {
                    StartRefresh(full, key, factory, options);
                }

                _namespace?.Hit();
                if (_log.Debug)
                {
                    _log.Hit(full, TieredLog.LocalTier);
                }

                return new ValueTask<T>(value!);
            }

            _l1.NotAHit(); // stale, or another type: a miss
            stale = found;
        }

        cancellationToken.ThrowIfCancellationRequested();
        KeyGuard.Encodable(full, nameof(key));
        KeyGuard.NotReserved(full, nameof(key));
        if (options.HasGroups)
        {
            _ = options.GroupNames(_prefix); // bad indexes are refused before the factory runs
            ThrowIfGroupsUnsupported();
        }

        // Calls that leave tiers out do not share a run with those that do not: what the run reads and writes differs.
        Flight<T> flight = _parts.Flights.Join<T>(new FlightSlot(full, options.Flags), _l1.Versions, cancellationToken, out bool started);
        if (started)
        {
            _ = RunFlightAsync(full, key, flight, factory, options, stale, refresh: false);
        }

        return _namespace is null ? new ValueTask<T>(flight.WaitAsync(cancellationToken)) : WaitCountedAsync(flight, _namespace, cancellationToken);
    }

    /// <summary>Waits for a flight and counts the wait as a namespace hit, or as a miss when the factory had to run.</summary>
    private static async ValueTask<T> WaitCountedAsync<T>(Flight<T> flight, NamespaceCounters counters, CancellationToken cancellationToken)
    {
        try
        {
            return await flight.WaitAsync(cancellationToken).ConfigureAwait(false);
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

        long left = entry.FreshUntil - _lifetimes.Time.GetTimestamp();
        return left < _lifetimes.ToTicks(ttl) * (1 - threshold);
    }

    private void StartRefresh<T>(string full, string key, Func<string, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions options)
    {
        if (_parts.Flights.TryStartRefresh(new FlightSlot(full, options.Flags), _l1.Versions, out Flight<T>? flight))
        {
            Interlocked.Increment(ref _counters.EagerRefreshes);
            // On the thread pool: the caller has its value and must not run the factory's synchronous part.
            _ = Task.Run(() => RunFlightAsync(full, key, flight!, factory, options, stale: null, refresh: true));
        }
    }

    private async Task RunFlightAsync<T>(string full, string key, Flight<T> flight, Func<string, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions options, LocalEntry? stale, bool refresh)
    {
        T value;
        try
        {
            value = await ProduceAsync(full, key, flight, factory, options, stale, refresh).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _parts.Flights.Leave(flight);
            flight.Fail(ex);
            // Observed here: the failure is counted and logged, and waiters still receive it; a refresh, or a run whose
            // callers all cancelled, has nobody left to observe it.
            _ = flight.Task.Exception;
            return;
        }

        _parts.Flights.Leave(flight);
        flight.Complete(value);
    }

    private async ValueTask<T> ProduceAsync<T>(string full, string key, Flight<T> flight, Func<string, CacheEntryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions options, LocalEntry? stale, bool refresh)
    {
        TimeSpan? timeToLive = options.TimeToLive ?? ScopeTimeToLive;
        if (_l2 is not null && (options.Flags & CacheEntryFlags.DisableRemoteRead) == 0)
        {
            // Another instance may have produced the value; with Redis unreachable, a stale value within the fail-safe
            // window answers (ReadRemoteAsync serves it), as for any read.
            CacheResult<T> remote = await ReadRemoteAsync<T>(full, stale, CancellationToken.None, fillLocal: (options.Flags & CacheEntryFlags.DisableLocalWrite) == 0).ConfigureAwait(false);
            if (remote.HasValue && (!refresh || !(_local.TryPeek(full, out LocalEntry? filled) && IsDueForRefresh(filled, options.EagerRefreshThreshold!.Value, timeToLive))))
            {
                return remote.Value!;
            }
        }

        var context = new CacheEntryContext(key, timeToLive);
        T value;
        Interlocked.Increment(ref _counters.FactoryRuns);
        flight.FactoryRan = true;
        if (_log.Debug)
        {
            _log.FactoryRun(full);
        }

        Activity? activity = Tracing.BeginFactory(_parts.Name); // the factory's own calls nest under it
        CancellationToken run = flight.BeginRun(_parts.Disposing);
        try
        {
            value = await factory(key, context, run).ConfigureAwait(false);
            activity?.Dispose();
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested)
        {
            // Every caller cancelled (or the cache is being disposed): nobody is left to serve, so no error to count.
            activity?.Dispose();
            throw;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.Dispose();
            Interlocked.Increment(ref _counters.FactoryErrors);
            _log.FactoryFailed(key, ex);
            stale ??= _local.TryPeek(full, out LocalEntry? current) ? current : null; // a refresh starts from the current value
            if (options.ServeStaleOnFactoryError && _lifetimes.FailSafe is not null && stale is not null && stale.TryGet(out T? old))
            {
                Interlocked.Increment(ref _counters.FactoryFailSafeHits);
                return old!;
            }

            throw;
        }

        if (!context.WillCache)
        {
            return value;
        }

        if (_l1.Versions.Moved(flight.Before))
        {
            // The fill race of a factory: a change to the key landed while the factory ran, so what it read may predate
            // it. The waiters get the value; the tiers do not.
            Interlocked.Increment(ref _counters.FactoryFillsDropped);
            return value;
        }

        await SetCore(full, value, context.TimeToLive, options.HasGroups ? options.GroupNames(_prefix) : null, CancellationToken.None, options).ConfigureAwait(false);
        return value;
    }
}
