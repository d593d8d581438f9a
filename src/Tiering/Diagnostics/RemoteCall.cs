using System;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Strata.Tiering;

/// <summary>
/// One Redis round trip being measured: its span, when a listener wants one, and its start, when the duration
/// histogram or the span needs it. Ended exactly once, by the cache's success or failure path, or abandoned when the
/// caller cancels. With no listener and no collector it is two fields and no clock read.
/// </summary>
internal readonly struct RemoteCall
{
    private readonly Activity? _activity;
    private readonly long _started; // Stopwatch timestamp; 0 when nobody listens
    private readonly RemoteOperation _operation;

    private RemoteCall(Activity? activity, long started, RemoteOperation operation)
    {
        _activity = activity;
        _started = started;
        _operation = operation;
    }

    /// <summary>Starts measuring a round trip.</summary>
    internal static RemoteCall Begin(RemoteOperation operation, string cacheName, Histogram<double> histogram)
    {
        Activity? activity = Tracing.Source.StartActivity(operation.SpanName, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("db.system.name", "redis");
            activity.SetTag("db.operation.name", operation.Name);
            activity.SetTag("strata.cache", cacheName);
        }

        long started = activity is not null || histogram.Enabled ? Stopwatch.GetTimestamp() : 0;
        return new RemoteCall(activity, started, operation);
    }

    /// <summary>Ends the measurement; <paramref name="failure"/> is the exception the call failed with, if it did.</summary>
    internal void End(Histogram<double> histogram, string cacheName, Exception? failure)
    {
        if (_started != 0 && histogram.Enabled)
        {
            var tags = new TagList { { "cache", cacheName }, { "operation", _operation.Name } };
            if (failure is not null)
            {
                tags.Add("error.type", failure.GetType().FullName);
            }

            histogram.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, tags);
        }

        if (_activity is not null)
        {
            if (failure is not null)
            {
                _activity.SetStatus(ActivityStatusCode.Error, failure.Message);
                _activity.SetTag("error.type", failure.GetType().FullName);
            }

            _activity.Dispose();
        }
    }

    /// <summary>Ends the span of a call whose caller stopped waiting; the duration is not recorded.</summary>
    internal void Abandon() => _activity?.Dispose();
}
