using System;
using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Strata.Engine;

namespace Strata.Engine.Tests.Support;

/// <summary>Builds caches on a fake clock and records their removal notifications.</summary>
internal sealed class TestCache : IDisposable
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public TestCache(Action<LocalCacheOptions<string>>? configure = null)
    {
        var options = new LocalCacheOptions<string>
        {
            TimeProvider = Time,
            OnRemoved = (key, value, reason) => Removals.Enqueue((key, value, reason)),
        };
        configure?.Invoke(options);
        Cache = new LocalCache<string>(options);
    }

    public FakeTimeProvider Time { get; } = new(Epoch);

    public LocalCache<string> Cache { get; }

    public ConcurrentQueue<(string Key, string Value, RemovalReason Reason)> Removals { get; } = new();

    public void Dispose() => Cache.Dispose();
}
