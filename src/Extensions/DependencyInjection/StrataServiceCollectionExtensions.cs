using System;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Extensions;
using Strata.Tiering;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Strata in a service collection.</summary>
public static class StrataServiceCollectionExtensions
{
    /// <summary>
    /// Registers the default <see cref="TieredCache"/> as a singleton, configured from the host's configuration (see
    /// <see cref="StrataOptions"/>) and then by <paramref name="configure"/>, validated when the host starts. The cache,
    /// and its Redis connection when Redis is configured, is created once at start-up and disposed with the host. Its
    /// logs go to the host's logging and its metrics to the host's meter factory.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes to the settings, applied after configuration; optional.</param>
    /// <returns>A builder for named caches and adapters.</returns>
    public static StrataBuilder AddStrata(this IServiceCollection services, Action<StrataOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<StrataOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<StrataOptions>, StrataConfiguration>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StrataOptions>, StrataOptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(CreateCache);
        services.AddHostedService<StrataStartup>();
        return new StrataBuilder(services);
    }

    private static TieredCache CreateCache(IServiceProvider services)
    {
        StrataOptions options = services.GetRequiredService<IOptions<StrataOptions>>().Value;
        TieredCacheOptions cache = options.Cache;
        cache.Logger ??= services.GetService<ILoggerFactory>()?.CreateLogger(typeof(TieredCache).FullName!);
        cache.MeterFactory ??= services.GetService<IMeterFactory>();
        if (ReferenceEquals(cache.TimeProvider, TimeProvider.System) && services.GetService<TimeProvider>() is { } time)
        {
            cache.TimeProvider = time; // the host's clock (a fake one in tests) unless the code chose one
        }

        if (options.EffectiveProvider == StrataProvider.Memory)
        {
            cache.Redis = null; // the switch wins over a REDIS_URL left in the environment
        }

        return new TieredCache(cache);
    }
}
