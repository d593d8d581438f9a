using System.Diagnostics;

namespace Strata.Tiering;

/// <summary>The <see cref="StrataTelemetry.ActivitySourceName"/> source and the spans that are not Redis round trips.</summary>
internal static class Tracing
{
    internal static readonly ActivitySource Source = new(StrataTelemetry.ActivitySourceName, typeof(Tracing).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the span of a get-or-set factory run; null when nobody listens.</summary>
    internal static Activity? BeginFactory(string cacheName)
    {
        Activity? activity = Source.StartActivity("strata.factory", ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("strata.cache", cacheName);
        }

        return activity;
    }
}
