using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Strata.Testing;
using Strata.Tiering;
using Xunit;

namespace Strata.Sessions.Tests.Hosting;

/// <summary><c>AddStrata().AddSessions()</c> in a real host: configuration, validation, schema at start-up, scheduled cleanup.</summary>
public sealed class AddSessionsTests
{
    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings, Action<SessionStoreOptions>? configure = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Test" });
        builder.Configuration.Sources.Clear();
        settings.TryAdd("Strata:Provider", "Memory");
        settings.TryAdd("Sessions:ConnectionString", $"Data Source=host-{Guid.NewGuid():N};Mode=Memory;Cache=Shared");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddStrata();
        builder.Services.AddSessions(configure);
        return builder;
    }

    [Fact]
    public async Task Start_ReadsTheServicesEnvironmentNamesThenTheSection()
    {
        using IHost host = Builder(new() { ["SESSION_MAX_MESSAGES"] = "7", ["SESSION_EXPIRY_HOURS"] = "1.5", ["Sessions:CacheTimeToLive"] = "00:00:30" }).Build();
        await host.StartAsync();

        SessionStoreOptions options = host.Services.GetRequiredService<IOptions<SessionStoreOptions>>().Value;

        Assert.Equal((7, TimeSpan.FromMinutes(90), TimeSpan.FromSeconds(30)), (options.MaxMessages, options.IdleExpiry, options.CacheTimeToLive));
        Assert.Equal(7, host.Services.GetRequiredService<SessionRepository>().MaxMessages);
        await host.StopAsync();
    }

    [Fact]
    public async Task Start_BadSettings_FailsWithEveryOneNamed()
    {
        using IHost host = Builder(new() { ["SESSION_MAX_MESSAGES"] = "lots", ["SESSION_EXPIRY_HOURS"] = "-2", ["Sessions:CacheTimeToLive"] = "soon" }).Build();

        var thrown = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(thrown.Failures, f => f.Contains("SESSION_MAX_MESSAGES must be a positive whole number; it was 'lots'", StringComparison.Ordinal));
        Assert.Contains(thrown.Failures, f => f.Contains("SESSION_EXPIRY_HOURS must be a positive number of hours; it was '-2'", StringComparison.Ordinal));
        Assert.Contains(thrown.Failures, f => f.Contains("Sessions:CacheTimeToLive", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_SettingOutOfRange_FailsWithItsSentence()
    {
        using IHost host = Builder(new() { ["Sessions:MaxMessages"] = "0" }).Build();

        var thrown = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(["Sessions: MaxMessages (SESSION_MAX_MESSAGES) must be at least 1."], thrown.Failures);
    }

    [Fact]
    public async Task Start_CreatesTheSchema_SoTheFirstRequestFindsIt()
    {
        string connection = $"Data Source=schema-{Guid.NewGuid():N};Mode=Memory;Cache=Shared";
        using IHost host = Builder(new() { ["Sessions:ConnectionString"] = connection }).Build();

        await host.StartAsync();

        using var probe = new SqliteConnection(connection); // the store keeps the in-memory database open
        probe.Open();
        using SqliteCommand command = probe.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        Assert.Equal((long)SqliteSessionStore.SchemaVersion, command.ExecuteScalar());
        await host.StopAsync();
    }

    [Fact]
    public async Task AddSessions_WithoutAddStrata_UsesTheApplicationsOwnCache()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Test" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Sessions:ConnectionString"] = $"Data Source=own-{Guid.NewGuid():N};Mode=Memory;Cache=Shared" });
        await using var cache = new TieredCache(new TieredCacheOptions());
        builder.Services.AddSingleton(cache);
        builder.Services.AddSessions();
        using IHost host = builder.Build();
        await host.StartAsync();

        SessionRepository sessions = host.Services.GetRequiredService<SessionRepository>();
        ChatSession created = await sessions.CreateAsync("alice", "code_agent", "t");
        Assert.Equal(created.Id, (await sessions.GetAsync(created.Id))!.Id);
        Assert.Equal(1, cache.Namespace(SessionRepository.CacheNamespaceName, new SessionStoreOptions().CacheTimeToLive).GetStatistics().Sets);
        await host.StopAsync();
    }

    [Fact]
    public void AddSessions_StoreRegisteredBefore_IsKept()
    {
        using SqliteSessionStore store = SqliteSessionStore.InMemory($"kept-{Guid.NewGuid():N}");
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Test" });
        builder.Services.AddSingleton<ISessionStore>(store);
        builder.Services.AddStrata();
        builder.Services.AddSessions();
        using IHost host = builder.Build();

        Assert.Same(store, host.Services.GetRequiredService<ISessionStore>());
    }

    [Fact]
    public async Task CleanupInterval_ArchivesIdleSessionsOnEachTick()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        HostApplicationBuilder builder = Builder([], o => o.CleanupInterval = TimeSpan.FromHours(1));
        builder.Services.AddSingleton<TimeProvider>(time);
        using IHost host = builder.Build();
        await host.StartAsync();
        SessionRepository repository = host.Services.GetRequiredService<SessionRepository>();
        ChatSession session = await repository.CreateAsync("alice", "agent", "idle");

        time.Advance(TimeSpan.FromHours(25)); // past the 24 h expiry

        // The service's timer starts on a background thread, maybe after the jump: keep the clock ticking until it fires.
        await Eventually.True(
            async () =>
            {
                time.Advance(TimeSpan.FromHours(1));
                return (await repository.GetAsync(session.Id))?.Status == SessionStatus.Archived;
            },
            "the scheduled cleanup");
        await host.StopAsync();
    }
}
