using System;

namespace Strata.Tiering.Tests.Support;

/// <summary>The shared single redis-server of ./test.sh, or one of its own.</summary>
public sealed class SingleRedis : IDisposable
{
    private readonly RedisProcess? _own;

    public SingleRedis()
    {
        string? shared = Environment.GetEnvironmentVariable("STRATA_TEST_REDIS");
        if (string.IsNullOrEmpty(shared))
        {
            _own = RedisProcess.StartServer();
            shared = _own.Configuration;
        }

        Configuration = shared;
    }

    public string Configuration { get; }

    public void Dispose() => _own?.Dispose();
}

/// <summary>The shared three-primary Redis Cluster of ./test.sh, or one of its own.</summary>
public sealed class ClusterRedis : IDisposable
{
    private readonly RedisProcess? _own;

    public ClusterRedis()
    {
        string? shared = Environment.GetEnvironmentVariable("STRATA_TEST_REDIS_CLUSTER");
        if (string.IsNullOrEmpty(shared))
        {
            _own = RedisProcess.StartCluster();
            shared = _own.Configuration;
        }

        Configuration = shared;
    }

    public string Configuration { get; }

    public void Dispose() => _own?.Dispose();
}
