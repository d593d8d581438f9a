using System;
using System.Collections.Generic;
using System.Net.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Strata.SessionApi.Tests.Support;

/// <summary>
/// The sample service in memory (<see cref="WebApplicationFactory{TEntryPoint}"/>), on a shared in-memory SQLite
/// database of its own; tiered on <c>redis</c> with a key prefix of its own when one is given, L1-only otherwise.
/// </summary>
public sealed class SessionApiFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly string _environment;

    /// <param name="redis">The Redis configuration; null for L1 only.</param>
    /// <param name="settings">Settings over the defaults.</param>
    /// <param name="environment">The host's environment (WebApplicationFactory's default is Development).</param>
    public SessionApiFactory(string? redis, IReadOnlyDictionary<string, string?>? settings = null, string environment = "Development")
    {
        _environment = environment;
        _settings = new Dictionary<string, string?>
        {
            ["Sessions:ConnectionString"] = $"Data Source=api-{Guid.NewGuid():N};Mode=Memory;Cache=Shared",
            ["Strata:Provider"] = redis is null ? "Memory" : "Redis",
            ["Strata:Redis"] = redis,
            ["Strata:KeyPrefix"] = $"t{Guid.NewGuid():N}:",
            ["RateLimit:PermitLimit"] = "1000",
        };
        foreach ((string key, string? value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    /// <summary>A client whose requests carry <c>X-User-Id: <paramref name="user"/></c>.</summary>
    public HttpClient ClientFor(string user)
    {
        HttpClient client = CreateClient();
        client.DefaultRequestHeaders.Add("X-User-Id", user);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);
        foreach ((string key, string? value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
