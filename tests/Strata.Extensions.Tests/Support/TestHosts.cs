using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Strata.Tiering;

namespace Strata.Extensions.Tests.Support;

/// <summary>Real hosts (<see cref="Host.CreateApplicationBuilder()"/>) configured by the test alone: no process environment.</summary>
internal static class TestHosts
{
    /// <summary>A key prefix of its own, so tests sharing a Redis never see each other's keys.</summary>
    public static string UniquePrefix() => $"t{Guid.NewGuid():N}:";

    /// <summary>A host builder whose configuration is exactly <paramref name="settings"/>, with AddStrata called.</summary>
    public static HostApplicationBuilder Builder(Dictionary<string, string?> settings, Action<StrataBuilder>? strata = null, Action<StrataOptions>? configure = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Test" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        StrataBuilder added = builder.Services.AddStrata(configure);
        strata?.Invoke(added);
        return builder;
    }

    /// <summary>Builds and starts a host over <paramref name="settings"/>.</summary>
    public static async Task<IHost> StartAsync(Dictionary<string, string?> settings, Action<StrataBuilder>? strata = null, Action<StrataOptions>? configure = null, Action<IServiceCollection>? services = null)
    {
        HostApplicationBuilder builder = Builder(settings, strata, configure);
        services?.Invoke(builder.Services);
        IHost host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>Settings of an L1-only cache.</summary>
    public static Dictionary<string, string?> Memory() => new() { ["Strata:Provider"] = "Memory" };

    /// <summary>
    /// Settings of a cache on <paramref name="redis"/> (a <c>host:port</c>), through the services' REDIS_URL. The
    /// operation timeout is 10 s rather than 1 s: these tests count what reached Redis, and on a loaded run a command of
    /// a host just started can wait past a second for the starved thread pool (a PUBLISH did, 1,668 ms, which opened
    /// the circuit and failed a contract test). The tests of a Redis that does not answer set their own.
    /// </summary>
    public static Dictionary<string, string?> Redis(string redis) => new()
    {
        ["REDIS_URL"] = $"redis://{redis}",
        ["Strata:KeyPrefix"] = UniquePrefix(),
        ["Strata:OperationTimeout"] = "00:00:10",
    };

    public static TieredCache Cache(this IHost host) => host.Services.GetRequiredService<TieredCache>();
}
