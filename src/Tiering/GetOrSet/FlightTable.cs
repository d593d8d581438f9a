using System;
using System.Collections.Concurrent;
using System.Threading;

namespace Strata.Tiering;

/// <summary>
/// The get-or-set flights running in this process, one per key: a caller that misses joins the key's flight, or
/// starts one, so the factory runs once per key at a time however many callers ask.
/// </summary>
/// <remarks>
/// A flight is joined only while the key's fill-race versions are still those it started from: once a change to the
/// key has landed, what the flight read may predate it, so a caller arriving then starts a new flight, which replaces
/// the old one for the callers to come (the old one's waiters still get its value). A flight is taken out of the table
/// before it completes, so a caller arriving afterwards starts afresh. Keys are full cache keys (a namespace's include
/// its <c>name:</c>).
/// </remarks>
internal sealed class FlightTable
{
    private readonly ConcurrentDictionary<FlightSlot, object> _flights = new();

    /// <summary>
    /// Joins the key's flight when it started from the key's current versions and is not stopping (every caller of it
    /// cancelled), or makes a new one; <paramref name="started"/> tells the caller to run the new one. Either way the
    /// caller is attached to the flight it gets (<see cref="Flight{T}.TryAttach"/>).
    /// </summary>
    internal Flight<T> Join<T>(string key, FillVersions versions, CancellationToken cancellationToken, out bool started) =>
        Join<T>(new FlightSlot(key, CacheEntryFlags.None), versions, cancellationToken, out started);

    /// <summary>
    /// Joins or starts the flight of a key for calls that leave the same tiers out: see
    /// <see cref="Join{T}(string, FillVersions, CancellationToken, out bool)"/>.
    /// </summary>
    internal Flight<T> Join<T>(FlightSlot slot, FillVersions versions, CancellationToken cancellationToken, out bool started)
    {
        while (true)
        {
            FillMark now = versions.Note(slot.Key);
            if (_flights.TryGetValue(slot, out object? running))
            {
                if (running is Flight<T> same && same.Before == now && same.TryAttach(cancellationToken))
                {
                    started = false;
                    return same;
                }

                if (running is Flight<T> overtaken)
                {
                    var replacement = new Flight<T>(slot, now, registered: true);
                    if (_flights.TryUpdate(slot, replacement, overtaken))
                    {
                        replacement.TryAttach(cancellationToken);
                        started = true;
                        return replacement;
                    }

                    continue;
                }

                // A flight for the same key but another type: run alone rather than hand out a value of the wrong type.
                started = true;
                var alone = new Flight<T>(slot, now, registered: false);
                alone.TryAttach(cancellationToken);
                return alone;
            }

            var flight = new Flight<T>(slot, now, registered: true);
            if (_flights.TryAdd(slot, flight))
            {
                flight.TryAttach(cancellationToken);
                started = true;
                return flight;
            }
        }
    }

    /// <summary>Makes the flight of an early refresh, unless a flight for the key is already going (it is the refresh).</summary>
    internal bool TryStartRefresh<T>(string key, FillVersions versions, out Flight<T>? flight) =>
        TryStartRefresh(new FlightSlot(key, CacheEntryFlags.None), versions, out flight);

    /// <summary>Makes the flight of an early refresh in a slot, unless a flight is already going there.</summary>
    internal bool TryStartRefresh<T>(FlightSlot slot, FillVersions versions, out Flight<T>? flight)
    {
        flight = null;
        if (_flights.ContainsKey(slot))
        {
            return false;
        }

        var refresh = new Flight<T>(slot, versions.Note(slot.Key), registered: true, held: true); // nobody's cancellation stops a refresh
        if (!_flights.TryAdd(slot, refresh))
        {
            return false;
        }

        flight = refresh;
        return true;
    }

    /// <summary>Takes a flight out before it completes.</summary>
    internal void Leave<T>(Flight<T> flight)
    {
        if (flight.Registered)
        {
            _flights.TryRemove(new(flight.Slot, flight));
        }
    }

}

/// <summary>
/// Where a flight is kept: its key, and the tiers its calls leave out (<see cref="CacheEntryOptions.Flags"/>), as calls
/// that read or write other tiers do not share a run.
/// </summary>
internal readonly record struct FlightSlot(string Key, CacheEntryFlags Flags);
