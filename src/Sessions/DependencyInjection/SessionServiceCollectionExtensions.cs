using System;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Strata.Sessions;
using Strata.Tiering;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the session store on the host's <see cref="TieredCache"/> (the one <c>AddStrata</c> registers, or the application's own).</summary>
public static class SessionServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="SessionRepository"/> singleton over the registered <see cref="TieredCache"/> and, unless another
    /// <see cref="ISessionStore"/> is registered, a <see cref="SqliteSessionStore"/> on
    /// <see cref="SessionStoreOptions.ConnectionString"/>. Settings come from <c>SESSION_MAX_MESSAGES</c>,
    /// <c>SESSION_EXPIRY_HOURS</c> and the <c>Sessions</c> section, then <paramref name="configure"/>; they are validated,
    /// and the schema created, when the host starts.
    /// </summary>
    /// <remarks>
    /// The package depends on the cache (<c>Strata.Tiering</c>), not on its host integration: register the cache with
    /// <c>AddStrata()</c> from <c>Strata.Extensions</c>, or as a <see cref="TieredCache"/> singleton of your own.
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <param name="configure">Changes to the settings, applied after configuration; optional.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddSessions(this IServiceCollection services, Action<SessionStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<SessionStoreOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<SessionStoreOptions>, SessionConfiguration>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SessionStoreOptions>, SessionStoreOptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISessionStore>(provider => new SqliteSessionStore(provider.GetRequiredService<IOptions<SessionStoreOptions>>().Value.ConnectionString));
        services.TryAddSingleton(provider => new SessionRepository(
            provider.GetRequiredService<ISessionStore>(),
            provider.GetRequiredService<TieredCache>(),
            provider.GetRequiredService<IOptions<SessionStoreOptions>>().Value,
            provider.GetRequiredService<TimeProvider>()));
        services.AddHostedService<SessionStartup>();
        return services;
    }
}
