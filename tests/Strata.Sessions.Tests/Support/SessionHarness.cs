using System;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Strata.Testing;
using Strata.Tiering;

namespace Strata.Sessions.Tests.Support;

/// <summary>
/// A repository on a fresh shared in-memory SQLite database and a cache of its own (L1 only, or on Redis with a key
/// prefix of its own), with a fake clock. <see cref="Peer"/> opens a second instance on the same database and Redis.
/// </summary>
public sealed class SessionHarness : IAsyncDisposable
{
    private readonly string _database;
    private readonly string? _redis;
    private readonly string _prefix;

    private SessionHarness(string database, string? redis, string prefix, FakeTimeProvider time, SessionStoreOptions? options)
    {
        _database = database;
        _redis = redis;
        _prefix = prefix;
        Time = time;
        Store = SqliteSessionStore.InMemory(database);
        var cacheOptions = new TieredCacheOptions { Redis = redis, KeyPrefix = prefix, TimeProvider = time };
        Cache = new TieredCache(cacheOptions);
        Subscriptions.WaitFor(Cache, cacheOptions); // a message published before the subscription is up would be lost to this instance
        Repository = new SessionRepository(Store, Cache, options ?? Options(), time);
    }

    public FakeTimeProvider Time { get; }

    public SqliteSessionStore Store { get; }

    public TieredCache Cache { get; }

    public SessionRepository Repository { get; }

    /// <summary>
    /// The cache time to live of the harnesses: longer than any clock advance of the tests, so that no stale value is
    /// hidden by its expiry.
    /// </summary>
    public static readonly TimeSpan CacheTimeToLive = TimeSpan.FromDays(365);

    /// <summary>Options with <see cref="CacheTimeToLive"/>.</summary>
    public static SessionStoreOptions Options(int maxMessages = 100) => new() { MaxMessages = maxMessages, CacheTimeToLive = CacheTimeToLive };

    /// <summary>A harness on a new database; tiered when <paramref name="redis"/> is given.</summary>
    public static SessionHarness Create(string? redis, SessionStoreOptions? options = null) =>
        new($"sessions-{Guid.NewGuid():N}", redis, $"t{Guid.NewGuid():N}:", new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero)), options);

    /// <summary>Another instance of the service: the same database, Redis and key prefix, a cache and clock of its own.</summary>
    public SessionHarness Peer(SessionStoreOptions? options = null) => new(_database, _redis, _prefix, new FakeTimeProvider(Time.GetUtcNow()), options);

    /// <summary>Structural equality for the immutable model types, through their JSON.</summary>
    public static string Json(object? value) => JsonSerializer.Serialize(value);

    public async ValueTask DisposeAsync()
    {
        await Cache.DisposeAsync();
        Store.Dispose();
    }
}
