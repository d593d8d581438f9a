using System;
using System.Collections.Generic;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Strata.SessionApi;

/// <summary>
/// JWT bearer authentication: the caller is the token's subject (<c>sub</c>), an administrator has the role
/// <c>admin</c> (claim <c>role</c>). Tokens are HS256, signed with <c>Auth:SigningKey</c> (at least 32 bytes of UTF-8),
/// issued by <c>Auth:Issuer</c> for <c>Auth:Audience</c> (both <c>strata-session-api</c> by default). In Development,
/// without a key, a fixed development key is used, and <c>dotnet run --project samples/SessionApi -- token alice
/// [admin]</c> prints a token for it; elsewhere a missing or short key stops the start.
/// </summary>
internal static class Authentication
{
    public const string AdminPolicy = "admin";
    public const string AdminRole = "admin";
    public const string DefaultIssuer = "strata-session-api";

    /// <summary>The key of Development without <c>Auth:SigningKey</c>: public, so never valid anywhere else.</summary>
    public const string DevelopmentKey = "strata-session-api-development-signing-key-not-secret";

    private const int MinimumKeyBytes = 32;

    /// <summary>The settings' problems, for the start to report with the others; empty when they are valid.</summary>
    public static IReadOnlyList<string> Problems(IConfiguration configuration, IHostEnvironment environment)
    {
        string? key = configuration["Auth:SigningKey"];
        if (string.IsNullOrEmpty(key))
        {
            return environment.IsDevelopment() ? [] : ["Auth:SigningKey must be set outside Development: the key that signs and checks the bearer tokens (at least 32 bytes)."];
        }

        return Encoding.UTF8.GetByteCount(key) < MinimumKeyBytes
            ? [$"Auth:SigningKey must be at least {MinimumKeyBytes} bytes of UTF-8; it has {Encoding.UTF8.GetByteCount(key)}."]
            : [];
    }

    public static void AddBearerAuthentication(this WebApplicationBuilder builder)
    {
        SecurityKey key = SigningKey(builder.Configuration, builder.Environment);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(bearer =>
        {
            bearer.MapInboundClaims = false; // sub and role as the token has them
            bearer.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = builder.Configuration["Auth:Issuer"] ?? DefaultIssuer,
                ValidAudience = builder.Configuration["Auth:Audience"] ?? DefaultIssuer,
                IssuerSigningKey = key,
                NameClaimType = JwtRegisteredClaimNames.Sub,
                RoleClaimType = "role",
            };
        });
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(AdminPolicy, policy => policy.RequireRole(AdminRole));
    }

    /// <summary>A token for <paramref name="user"/>, valid for <paramref name="lifetime"/>, with the admin role when asked.</summary>
    public static string Mint(IConfiguration configuration, IHostEnvironment environment, string user, bool admin, TimeSpan lifetime)
    {
        var claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Sub] = user };
        if (admin)
        {
            claims["role"] = AdminRole;
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = configuration["Auth:Issuer"] ?? DefaultIssuer,
            Audience = configuration["Auth:Audience"] ?? DefaultIssuer,
            Claims = claims,
            Expires = DateTime.UtcNow.Add(lifetime),
            SigningCredentials = new SigningCredentials(SigningKey(configuration, environment), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>The caller's user id: the token's subject.</summary>
    public static string UserId(this HttpContext http) =>
        http.User.FindFirst(JwtRegisteredClaimNames.Sub)?.Value ?? throw new InvalidOperationException("The request is not authenticated.");

    public static bool IsAdmin(this HttpContext http) => http.User.IsInRole(AdminRole);

    private static SymmetricSecurityKey SigningKey(IConfiguration configuration, IHostEnvironment environment)
    {
        string? key = configuration["Auth:SigningKey"];
        return new SymmetricSecurityKey(Encoding.UTF8.GetBytes(string.IsNullOrEmpty(key) && environment.IsDevelopment() ? DevelopmentKey : key ?? ""));
    }
}
