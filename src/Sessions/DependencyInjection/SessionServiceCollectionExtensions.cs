using System;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Strata.Extensions;
using Strata.Sessions;
using Strata.Tiering;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the session store on the cache that <c>AddStrata</c> registered.</summary>
public static class SessionServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="SessionRepository"/> singleton over the default cache and, unless another
    /// <see cref="ISessionStore"/> is registered, a <see cref="SqliteSessionStore"/> on
    /// <see cref="SessionStoreOptions.ConnectionString"/>. Settings come from <c>SESSION_MAX_MESSAGES</c>,
    /// <c>SESSION_EXPIRY_HOURS</c> and the <c>Sessions</c> section, then <paramref name="configure"/>; they are validated,
    /// and the schema created, when the host starts.
    /// </summary>
    /// <param name="builder">The builder <c>AddStrata</c> returned.</param>
    /// <param name="configure">Changes to the settings, applied after configuration; optional.</param>
    /// <returns>The builder.</returns>
    public static StrataBuilder AddSessions(this StrataBuilder builder, Action<SessionStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;
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
        return builder;
    }
}
