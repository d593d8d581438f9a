// A user's program on the packed Strata packages: a tiered get and set on a real Redis, an L1-only cache, the
// rate limiter and the session store. Exits 0 and prints "consumer: ok" when all of it worked.
using System.Threading.RateLimiting;
using Strata.Engine;
using Strata.Extensions;
using Strata.Sessions;
using Strata.Tiering;

string redis = args.Length == 1 ? args[0] : throw new ArgumentException("usage: PackageConsumer <redis host:port>");

string prefix = $"consumer-{Guid.NewGuid():N}:";
await using (var tiered = new TieredCache(new TieredCacheOptions { Redis = redis, KeyPrefix = prefix }))
{
    await tiered.SetAsync("greeting", "hello from the packages", TimeSpan.FromMinutes(1));
    CacheResult<string> read = await tiered.GetAsync<string>("greeting");
    Check(read.HasValue && read.Value == "hello from the packages", "a tiered get returns the set value");

    await using var other = new TieredCache(new TieredCacheOptions { Redis = redis, KeyPrefix = prefix });
    CacheResult<string> fromRedis = await other.GetAsync<string>("greeting"); // a second instance: served by Redis
    Check(fromRedis.Value == "hello from the packages", "a second instance reads the value from Redis");

    // A fixed clock: on the system clock a window boundary could fall between the two acquisitions and grant both.
    var options = new StrataFixedWindowRateLimiterOptions { PermitLimit = 1, Window = TimeSpan.FromMinutes(1), TimeProvider = new FixedClock(DateTimeOffset.UtcNow) };
    using var limiter = new StrataFixedWindowRateLimiter(tiered, "consumer", options);
    Check((await limiter.AcquireAsync()).IsAcquired && !(await limiter.AcquireAsync()).IsAcquired, "the rate limiter grants its limit");
}

var local = new LocalCache<int>(new LocalCacheOptions<int> { MaxEntries = 10 });
local.Set("answer", 42);
Check(local.TryGet("answer", out int answer) && answer == 42, "LocalCache returns the set value");

using (var store = SqliteSessionStore.InMemory("consumer"))
{
    await store.InitializeAsync();
    var session = new ChatSession(Guid.NewGuid(), "alice", "agent", "t", SessionStatus.Active, "{}", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, 0);
    await store.InsertAsync(session);
    Check((await store.AddMessageAsync(session.Id, MessageRole.User, "hi", "{}", DateTimeOffset.UtcNow, 5))?.MessageCount == 1, "the session store appends a message");
}

Console.WriteLine("consumer: ok");
return 0;

static void Check(bool condition, string what)
{
    if (!condition)
    {
        Console.Error.WriteLine($"consumer: FAILED: {what}");
        Environment.Exit(1);
    }

    Console.WriteLine($"consumer: {what}");
}

sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
