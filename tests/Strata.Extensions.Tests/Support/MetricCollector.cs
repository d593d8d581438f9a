using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;

namespace Strata.Extensions.Tests.Support;

/// <summary>Reads the Strata meter of one host (its <see cref="IMeterFactory"/>) through a <see cref="MeterListener"/>.</summary>
internal sealed class MetricCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _recorded = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _observed = new();

    public MetricCollector(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Strata" && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Takes a fresh reading of the observable instruments, dropping their previous one (recorded ones are kept).</summary>
    public void Observe()
    {
        _observed.Clear();
        _listener.RecordObservableInstruments();
    }

    /// <summary>The measurements of an instrument whose tags include every pair of <paramref name="tags"/>.</summary>
    public IReadOnlyList<double> Values(string instrument, params (string Key, object? Value)[] tags) =>
        _recorded.Concat(_observed).Where(r => r.Instrument == instrument && tags.All(t => r.Tags.TryGetValue(t.Key, out object? v) && Equals(v, t.Value)))
            .Select(r => r.Value).ToList();

    /// <summary>The one measurement matching, or 0 when there is none (an unreported counter).</summary>
    public double Value(string instrument, params (string Key, object? Value)[] tags) => Values(instrument, tags).SingleOrDefault();

    public IReadOnlyList<Dictionary<string, object?>> Tags(string instrument) =>
        _recorded.Concat(_observed).Where(r => r.Instrument == instrument).Select(r => r.Tags).ToList();

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        (instrument.IsObservable ? _observed : _recorded).Enqueue((instrument.Name, value, copy));
    }
}
