using System;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Tiering;

namespace Strata.Extensions;

/// <summary>Adds named caches and adapters to the cache <c>AddStrata</c> registered.</summary>
public sealed class StrataBuilder
{
    internal StrataBuilder(IServiceCollection services) => Services = services;

    /// <summary>Gets the service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers a named cache: the <see cref="CacheNamespace"/> <paramref name="name"/> of the default cache, as a
    /// keyed singleton (<c>[FromKeyedServices("confirmation")] CacheNamespace confirmations</c>).
    /// </summary>
    /// <param name="name">The name: not empty, without <c>:</c>; its keys are <c>name:key</c>.</param>
    /// <param name="defaultTimeToLive">The time to live of values written without one; null for the cache's default.</param>
    /// <param name="restartTimeToLiveOnUpdate">Whether an update restarts a value's time to live; see <see cref="CacheNamespace.RestartTimeToLiveOnUpdate"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is empty or contains <c>:</c>, or the time to live is not positive.</exception>
    /// <exception cref="InvalidOperationException">A named cache of that name is registered already.</exception>
    public StrataBuilder AddNamedCache(string name, TimeSpan? defaultTimeToLive = null, bool restartTimeToLiveOnUpdate = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains(CacheKey.Separator, StringComparison.Ordinal))
        {
            throw new ArgumentException($"A named cache's name cannot contain '{CacheKey.Separator}': '{name}'.", nameof(name));
        }

        if (defaultTimeToLive is { } ttl && ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(defaultTimeToLive), ttl, "The default time to live must be positive or null.");
        }

        foreach (ServiceDescriptor descriptor in Services)
        {
            if (descriptor.IsKeyedService && descriptor.ServiceType == typeof(CacheNamespace) && Equals(descriptor.ServiceKey, name))
            {
                throw new InvalidOperationException($"A named cache '{name}' is registered already.");
            }
        }

        Services.AddKeyedSingleton(name, (services, _) => services.GetRequiredService<TieredCache>().Namespace(name, defaultTimeToLive, restartTimeToLiveOnUpdate));
        return this;
    }

    /// <summary>
    /// Registers the named caches of the services Strata replaces: <c>confirmation</c> (300 s), <c>signup</c>
    /// (1,800 s), <c>session</c> (86,400 s), <c>rate_limit</c> (3,600 s) and <c>temp</c> (60 s). See <see cref="CacheNames"/>.
    /// </summary>
    /// <returns>This builder.</returns>
    public StrataBuilder AddPresetCaches() =>
        AddNamedCache(CacheNames.Confirmation, TimeSpan.FromSeconds(300))
            .AddNamedCache(CacheNames.Signup, TimeSpan.FromSeconds(1800))
            .AddNamedCache(CacheNames.Session, TimeSpan.FromSeconds(86400))
            .AddNamedCache(CacheNames.RateLimit, TimeSpan.FromSeconds(3600))
            .AddNamedCache(CacheNames.Temp, TimeSpan.FromSeconds(60));

    /// <summary>
    /// Registers <see cref="StrataDistributedCache"/> as the <see cref="IDistributedCache"/>, replacing any other, so
    /// that code written against <see cref="IDistributedCache"/> gets both tiers.
    /// </summary>
    /// <returns>This builder.</returns>
    public StrataBuilder AddDistributedCache()
    {
        Services.Replace(ServiceDescriptor.Singleton<IDistributedCache>(services =>
            new StrataDistributedCache(services.GetRequiredService<TieredCache>(), services.GetService<TimeProvider>())));
        return this;
    }

    /// <summary>
    /// Registers <see cref="StrataHybridCache"/> as the <see cref="HybridCache"/>, replacing Microsoft's default (call
    /// it after <c>AddHybridCache</c>, or instead of it). It reads the <see cref="HybridCacheOptions"/> that
    /// Microsoft's <c>AddHybridCache(options => ...)</c> configures.
    /// </summary>
    /// <returns>This builder.</returns>
    public StrataBuilder AddHybridCache()
    {
        Services.AddOptions<HybridCacheOptions>();
        Services.Replace(ServiceDescriptor.Singleton<HybridCache>(services =>
            new StrataHybridCache(
                services.GetRequiredService<TieredCache>(),
                services.GetRequiredService<IOptions<HybridCacheOptions>>().Value,
                services.GetService<ILogger<StrataHybridCache>>())));
        return this;
    }

    /// <summary>Registers <see cref="StrataHybridCache"/> as by <see cref="AddHybridCache()"/>, and configures its <see cref="HybridCacheOptions"/>.</summary>
    /// <param name="configure">Sets the options: <see cref="HybridCacheOptions.DefaultEntryOptions"/>, the key and payload limits, compression.</param>
    /// <returns>This builder.</returns>
    public StrataBuilder AddHybridCache(Action<HybridCacheOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return AddHybridCache();
    }
}
