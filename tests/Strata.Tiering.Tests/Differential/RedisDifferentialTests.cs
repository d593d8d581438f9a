using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;
using Strata.Engine;
using Strata.Testing;
using Xunit;

namespace Strata.Tiering.Tests.Differential;

/// <summary>
/// Seeded random sequences of every key operation, replayed at once on a raw redis-server (the reference), on
/// <see cref="LocalCache{TValue}"/>, and on <see cref="TieredCache"/> over a single server and over a cluster, both with
/// fail-safe on; every answer must be Redis's. Keys and patterns are non-ASCII and full of glob characters; times to
/// live run from milliseconds to <see cref="TimeSpan.MaxValue"/>.
/// </summary>
/// <remarks>
/// Time never decides a result: a key given a time to live under a second is left alone until a wait has taken every
/// clock past its deadline, and pattern operations wait for that too; remaining times are compared within a tolerance.
/// The differences kept on purpose are documented on the methods concerned: a tiered read is typed (a counter is read
/// as a long, not a string), and <see cref="CacheScope.ExpireAsync"/> with no expiry answers whether the key existed,
/// where PERSIST answers whether it had a time to live. ./test.sh runs the fixed seeds below; a soak runs more with
/// <c>STRATA_DIFF_SEEDS</c> (a count of extra random seeds) and <c>STRATA_DIFF_STEPS</c>.
/// </remarks>
public sealed class RedisDifferentialTests(SingleRedis single, ClusterRedis cluster) : IClassFixture<SingleRedis>, IClassFixture<ClusterRedis>, IDisposable
{
    private static readonly string[] Keys = ["a", "b", "ab", "é", "日本", "ü-1", "a*b", "[x]", "ÿ", "k?", "😀"];
    private static readonly string[] Patterns = ["*", "?", "??", "???", "a*", "[a-z]*", "[^a]*", "*é*", "[é]", "\\[x\\]", "?本", "*-?", "[\u00e0-\u00ff]", "k\\?", "[^", "*\\*b", "????"];
    private static readonly TimeSpan?[] LongLives = [null, TimeSpan.FromHours(1), TimeSpan.FromDays(3650), TimeSpan.MaxValue - TimeSpan.FromTicks(1), TimeSpan.MaxValue];
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(2);

    private readonly string _prefix = "diff:" + Guid.NewGuid().ToString("N")[..10] + ":";
    private TestCaches? _single, _cluster;

    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int> { 1, 2, 3, 24 };
        if (int.TryParse(Environment.GetEnvironmentVariable("STRATA_DIFF_SEEDS"), out int extra))
        {
            foreach (int seed in Enumerable.Range(0, extra).Select(_ => Random.Shared.Next()))
            {
                seeds.Add(seed);
            }
        }

        return seeds;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task EveryAnswer_IsRedisS_OnLocalCache_AndOnTieredCaches(int seed)
    {
        int steps = int.TryParse(Environment.GetEnvironmentVariable("STRATA_DIFF_STEPS"), out int s) ? s : 300;
        var random = new Random(seed);
        _single = new TestCaches(single.Configuration, _prefix + "s:");
        _cluster = new TestCaches(cluster.Configuration, _prefix + "c:");
        ConnectionMultiplexer raw = _single.Own(await ConnectionMultiplexer.ConnectAsync(single.Configuration));
        IDatabase redis = raw.GetDatabase();
        LocalCache<string> local = _single.Own(new LocalCache<string>());
        TieredCache tiered = _single.New(WithFailSafe), clustered = _cluster.New(WithFailSafe);
        var pending = new HashSet<string>(); // keys with a deadline under a second away: left alone until the wait
        DateTimeOffset pendingUntil = default; // the latest of their deadlines, read after every target was written
        var counters = new HashSet<string>();
        var log = new List<string>();
        var ran = new int[12]; // how often each operation ran: a sequence that skipped one checked nothing about it

        for (int step = 0; step < steps; step++)
        {
            string key = Keys[random.Next(Keys.Length)];
            int op = random.Next(13);
            if (op == 12 || (pending.Contains(key) && op < 10) || (pending.Count > 0 && op is 10 or 11))
            {
                // Past every short deadline on every clock: ours (which the caches read) and Redis's (its keys are gone).
                await Eventually.True(
                    async () => DateTimeOffset.UtcNow > pendingUntil && !await AnyExistsAsync(redis, pending),
                    "every short time to live to run out");
                pending.Clear();
                log.Add("wait");
                continue;
            }

            string step_ = $"seed {seed} step {step}: ";
            ran[op]++;
            switch (op)
            {
                case 0: // SET, with a time to live from either end of the range
                {
                    bool shortLife = random.Next(4) == 0;
                    TimeSpan? life = shortLife ? TimeSpan.FromMilliseconds(random.Next(1, 51)) : LongLives[random.Next(LongLives.Length)];
                    string value = "v" + random.Next(1000) + "é";
                    log.Add($"set {key} {value} {life}");
                    await redis.StringSetAsync(_prefix + "r:" + key, value, Lifetimes.ClientExpiry(life), When.Always);
                    if (life is { } l)
                    {
                        local.Set(key, value, l);
                    }
                    else
                    {
                        local.Set(key, value);
                    }

                    await tiered.SetAsync(key, value, life);
                    await clustered.SetAsync(key, value, life);
                    counters.Remove(key);
                    if (shortLife)
                    {
                        pending.Add(key);
                        pendingUntil = Later(pendingUntil, life!.Value);
                    }

                    break;
                }

                case 1: // GET (typed: a counter is read as a long)
                {
                    RedisValue expected = await redis.StringGetAsync(_prefix + "r:" + key);
                    log.Add($"get {key} -> {expected}");
                    if (counters.Contains(key))
                    {
                        long? count = expected.IsNull ? null : (long)expected;
                        Assert.True(count == (await tiered.GetAsync<long>(key)).ValueOrNull(), step_ + string.Join("\n", log));
                        Assert.True(count == (await clustered.GetAsync<long>(key)).ValueOrNull(), step_ + "cluster");
                        break;
                    }

                    string? want = expected.IsNull ? null : (string?)expected;
                    Assert.True(want == (local.TryGet(key, out string? l) ? l : null), step_ + "local " + string.Join("\n", log));
                    Assert.True(want == (await tiered.GetAsync<string>(key)).ValueOrNull(), step_ + "tiered " + string.Join("\n", log));
                    Assert.True(want == (await clustered.GetAsync<string>(key)).ValueOrNull(), step_ + "cluster " + string.Join("\n", log));
                    break;
                }

                case 2: // EXISTS
                {
                    bool expected = await redis.KeyExistsAsync(_prefix + "r:" + key);
                    log.Add($"exists {key} -> {expected}");
                    if (!counters.Contains(key))
                    {
                        Assert.True(expected == local.ContainsKey(key), step_ + "local " + string.Join("\n", log));
                    }

                    Assert.True(expected == await tiered.ExistsAsync(key), step_ + "tiered " + string.Join("\n", log));
                    Assert.True(expected == await clustered.ExistsAsync(key), step_ + "cluster " + string.Join("\n", log));
                    break;
                }

                case 3: // DEL
                {
                    bool expected = await redis.KeyDeleteAsync(_prefix + "r:" + key);
                    log.Add($"del {key} -> {expected}");
                    bool l = local.Remove(key);
                    if (!counters.Contains(key))
                    {
                        Assert.True(expected == l, step_ + "local " + string.Join("\n", log));
                    }

                    Assert.True(expected == await tiered.RemoveAsync(key), step_ + "tiered " + string.Join("\n", log));
                    Assert.True(expected == await clustered.RemoveAsync(key), step_ + "cluster " + string.Join("\n", log));
                    counters.Remove(key);
                    break;
                }

                case 4 when !counters.Contains(key): // GETDEL
                {
                    RedisValue expected = await redis.StringGetDeleteAsync(_prefix + "r:" + key);
                    string? want = expected.IsNull ? null : (string?)expected;
                    log.Add($"getdel {key} -> {want}");
                    Assert.True(want == (local.TryRemove(key, out string? l) ? l : null), step_ + "local " + string.Join("\n", log));
                    Assert.True(want == (await tiered.GetAndRemoveAsync<string>(key)).ValueOrNull(), step_ + "tiered " + string.Join("\n", log));
                    Assert.True(want == (await clustered.GetAndRemoveAsync<string>(key)).ValueOrNull(), step_ + "cluster " + string.Join("\n", log));
                    break;
                }

                case 5: // PEXPIRE, either end of the range
                {
                    bool shortLife = random.Next(4) == 0;
                    TimeSpan life = shortLife ? TimeSpan.FromMilliseconds(random.Next(1, 51)) : LongLives[1 + random.Next(LongLives.Length - 1)]!.Value;
                    bool expected = (long)(await redis.ExecuteAsync("PEXPIRE", _prefix + "r:" + key, Lifetimes.Milliseconds(life))) == 1;
                    log.Add($"pexpire {key} {life} -> {expected}");
                    bool l = local.Expire(key, life);
                    if (!counters.Contains(key))
                    {
                        Assert.True(expected == l, step_ + "local " + string.Join("\n", log));
                    }

                    Assert.True(expected == await tiered.ExpireAsync(key, life), step_ + "tiered " + string.Join("\n", log));
                    Assert.True(expected == await clustered.ExpireAsync(key, life), step_ + "cluster " + string.Join("\n", log));
                    if (shortLife && expected)
                    {
                        pending.Add(key);
                        pendingUntil = Later(pendingUntil, life);
                    }

                    break;
                }

                case 6: // PERSIST: LocalCache answers as Redis; the tiered cache answers whether the key existed
                {
                    bool existed = await redis.KeyExistsAsync(_prefix + "r:" + key);
                    bool expected = await redis.KeyPersistAsync(_prefix + "r:" + key);
                    log.Add($"persist {key} -> {expected} (existed {existed})");
                    bool l = local.Persist(key);
                    if (!counters.Contains(key))
                    {
                        Assert.True(expected == l, step_ + "local " + string.Join("\n", log));
                    }

                    Assert.True(existed == await tiered.ExpireAsync(key, Timeout.InfiniteTimeSpan), step_ + "tiered " + string.Join("\n", log));
                    Assert.True(existed == await clustered.ExpireAsync(key, Timeout.InfiniteTimeSpan), step_ + "cluster " + string.Join("\n", log));
                    break;
                }

                case 7: // PTTL, within the tolerance
                {
                    long pttl = (long)await redis.ExecuteAsync("PTTL", _prefix + "r:" + key);
                    log.Add($"pttl {key} -> {pttl}");
                    if (!counters.Contains(key))
                    {
                        SameTimeToLive(pttl, local.GetTimeToLive(key), step_ + "local " + string.Join("\n", log));
                    }

                    SameTimeToLive(pttl, await tiered.GetTimeToLiveAsync(key), step_ + "tiered " + string.Join("\n", log));
                    SameTimeToLive(pttl, await clustered.GetTimeToLiveAsync(key), step_ + "cluster " + string.Join("\n", log));
                    break;
                }

                case 8 or 9: // INCRBY (the tiered caches only: LocalCache<string> holds no counters)
                {
                    long delta = random.Next(-5, 6);
                    string expected;
                    try
                    {
                        expected = ((long)await redis.StringIncrementAsync(_prefix + "r:" + key, delta)).ToString();
                    }
                    catch (RedisServerException)
                    {
                        expected = "error";
                    }

                    log.Add($"incrby {key} {delta} -> {expected}");
                    Assert.Equal(expected, await Answer(() => tiered.IncrementAsync(key, delta)));
                    Assert.Equal(expected, await Answer(() => clustered.IncrementAsync(key, delta)));
                    if (expected != "error")
                    {
                        counters.Add(key);
                        local.Remove(key); // LocalCache<string> leaves counters out from here on
                    }

                    break;
                }

                case 10: // KEYS: what a pattern matches (LocalCache lists them; the tiered caches answer EXISTS for each)
                {
                    string pattern = Patterns[random.Next(Patterns.Length)];
                    RedisKey[] found = [.. raw.GetServer(raw.GetEndPoints()[0]).Keys(pattern: _prefix + "r:" + pattern)];
                    string[] expected = [.. found.Select(k => ((string)k!)[(_prefix.Length + 2)..]).Order(StringComparer.Ordinal)];
                    log.Add($"keys {pattern} -> {string.Join(",", expected)}");
                    Assert.Equal(expected.Where(k => !counters.Contains(k)), local.Keys(pattern).Order(StringComparer.Ordinal));
                    break;
                }

                case 11: // pattern removal: counts and what is left
                {
                    string pattern = Patterns[random.Next(Patterns.Length)];
                    RedisKey[] found = [.. raw.GetServer(raw.GetEndPoints()[0]).Keys(pattern: _prefix + "r:" + pattern)];
                    long expected = found.Length == 0 ? 0 : await redis.KeyDeleteAsync(found);
                    int countersRemoved = found.Count(k => counters.Remove(((string)k!)[(_prefix.Length + 2)..]));
                    log.Add($"removebypattern {pattern} -> {expected}");
                    Assert.Equal(expected - countersRemoved, local.RemoveByPattern(pattern));
                    Assert.Equal(expected, await tiered.RemoveByPatternAsync(pattern));
                    Assert.Equal(expected, await clustered.RemoveByPatternAsync(pattern));
                    foreach (string k in Keys)
                    {
                        bool exists = await redis.KeyExistsAsync(_prefix + "r:" + k);
                        Assert.True(exists == await tiered.ExistsAsync(k), step_ + $"tiered exists {k} " + string.Join("\n", log));
                        Assert.True(exists == await clustered.ExistsAsync(k), step_ + $"cluster exists {k} " + string.Join("\n", log));
                    }

                    break;
                }

                default:
                    ran[op]--; // GETDEL of a counter: not run
                    break;
            }
        }

        Assert.All(ran, count => Assert.True(count >= steps / 40, $"seed {seed}: operations run {string.Join(",", ran)}"));
        Assert.Contains(log, line => line.StartsWith("wait", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _single?.Dispose();
        _cluster?.Dispose();
    }

    private static void WithFailSafe(TieredCacheOptions options) => options.FailSafeMaxDuration = FailSafeWindow;

    /// <summary>
    /// <paramref name="until"/>, or now plus <paramref name="timeToLive"/> and a few milliseconds (the caches keep whole
    /// milliseconds) when that is later.
    /// </summary>
    private static DateTimeOffset Later(DateTimeOffset until, TimeSpan timeToLive)
    {
        DateTimeOffset deadline = DateTimeOffset.UtcNow + timeToLive + TimeSpan.FromMilliseconds(5);
        return deadline > until ? deadline : until;
    }

    private async Task<bool> AnyExistsAsync(IDatabase redis, IReadOnlyCollection<string> keys) =>
        keys.Count > 0 && await redis.KeyExistsAsync([.. keys.Select(k => (RedisKey)(_prefix + "r:" + k))]) > 0;

    /// <summary>A cache answer, or <c>error</c> for the type error Redis would give.</summary>
    private static async Task<string> Answer(Func<ValueTask<long?>> call)
    {
        try
        {
            return (await call())?.ToString() ?? "unavailable";
        }
        catch (InvalidOperationException)
        {
            return "error";
        }
    }

    /// <summary>Redis's PTTL (-2 missing, -1 no expiry) against ours (null, infinite, remaining), within the tolerance.</summary>
    private static void SameTimeToLive(long pttl, TimeSpan? ours, string context)
    {
        switch (pttl)
        {
            case -2:
                Assert.True(ours is null, context + $" -> {ours}");
                break;
            case -1:
                Assert.True(ours == Timeout.InfiniteTimeSpan, context + $" -> {ours}");
                break;
            default:
                // In milliseconds: near TimeSpan.MaxValue a TimeSpan sum would overflow.
                Assert.True(ours is { } t && t >= TimeSpan.Zero && Math.Abs((long)t.TotalMilliseconds - pttl) <= (long)Tolerance.TotalMilliseconds, context + $" -> {ours}");
                break;
        }
    }

    /// <summary>The tiered caches' fail-safe window: Redis keeps their values this much past the time to live.</summary>
    private static readonly TimeSpan FailSafeWindow = TimeSpan.FromMinutes(1);
}

internal static class CacheResultExtensions
{
    internal static T? ValueOrNull<T>(this CacheResult<T> result) => result.HasValue ? result.Value : default;

    internal static long? ValueOrNull(this CacheResult<long> result) => result.HasValue ? result.Value : null;
}
