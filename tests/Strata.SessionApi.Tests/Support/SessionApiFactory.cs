using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

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
            ["Auth:SigningKey"] = SigningKey,
        };
        foreach ((string key, string? value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    /// <summary>The key the tests' tokens are signed with (the service is configured with it).</summary>
    public const string SigningKey = "session-api-tests-signing-key-0123456789abcdef";

    /// <summary>A client whose requests carry a bearer token for <paramref name="user"/>, an administrator's when <paramref name="admin"/>.</summary>
    public HttpClient ClientFor(string user, bool admin = false)
    {
        HttpClient client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(user, admin));
        return client;
    }

    /// <summary>A client without a token.</summary>
    public HttpClient AnonymousClient() => CreateClient();

    /// <summary>A token as any issuer of the service's settings would make it: HS256, subject, optional admin role.</summary>
    public static string Token(string user, bool admin = false, string key = SigningKey, string issuer = "strata-session-api")
    {
        var claims = new Dictionary<string, object> { ["sub"] = user };
        if (admin)
        {
            claims["role"] = "admin";
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = "strata-session-api",
            Claims = claims,
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });
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
