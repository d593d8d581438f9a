using System;

namespace Strata.Testing;

/// <summary>
/// Redis for a test class: the instance ./test.sh started (its address in <paramref name="variable"/>), or, when the
/// tests run without it, one of its own started by <paramref name="start"/> and stopped with the fixture.
/// </summary>
public abstract class RedisFixture(string variable, Func<RedisProcess> start) : IDisposable
{
    private readonly RedisProcess? _own = string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)) ? start() : null;

    public string Configuration => _own?.Configuration ?? Environment.GetEnvironmentVariable(variable)!;

    public void Dispose()
    {
        _own?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The shared single redis-server of ./test.sh, or one of its own.</summary>
public sealed class SingleRedis() : RedisFixture("STRATA_TEST_REDIS", () => RedisProcess.StartServer());

/// <summary>The shared Redis Cluster of ./test.sh (three primaries, a replica each), or one of its own.</summary>
public sealed class ClusterRedis() : RedisFixture("STRATA_TEST_REDIS_CLUSTER", RedisProcess.StartCluster);
