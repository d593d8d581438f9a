using System;
using System.Collections.Generic;
using Strata.Tiering;

namespace Strata.Testing;

/// <summary>
/// The caches of one test: each on the given Redis (or none) with the test's own key prefix, so tests never see each
/// other's keys or messages, subscribed before it is handed out, and disposed with the test.
/// </summary>
/// <param name="redis">The Redis configuration; null for L1-only caches.</param>
/// <param name="prefix">The key prefix of every cache of the test.</param>
/// <param name="time">The clock of every cache; null for the system's.</param>
public sealed class TestCaches(string? redis, string prefix, TimeProvider? time = null) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    /// <summary>Gets the key prefix of every cache of the test.</summary>
    public string Prefix => prefix;

    /// <summary>A new cache: a generous operation timeout, since test classes run in parallel on a small machine and a slow first connect must not be taken for an outage.</summary>
    public TieredCache New(Action<TieredCacheOptions>? configure = null)
    {
        var options = new TieredCacheOptions { Redis = redis, KeyPrefix = prefix, OperationTimeout = TimeSpan.FromSeconds(5), TimeProvider = time ?? TimeProvider.System };
        configure?.Invoke(options);
        var cache = new TieredCache(options);
        _owned.Add(cache);
        Subscriptions.WaitFor(cache, options);
        return cache;
    }

    /// <summary>Disposes <paramref name="disposable"/> with the caches.</summary>
    public T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }
    }
}
