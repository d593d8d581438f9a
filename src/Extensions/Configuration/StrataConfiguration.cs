using System;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Strata.Extensions;

/// <summary>
/// Reads <see cref="StrataOptions"/> from the host's configuration: the services' environment variables first, then
/// the <c>Strata</c> section. Values it cannot read are kept for <see cref="StrataOptionsValidator"/> to report with the
/// others, rather than thrown one at a time.
/// </summary>
internal sealed class StrataConfiguration(IServiceProvider services) : IConfigureOptions<StrataOptions>
{
    internal const string RedisUrl = "REDIS_URL";
    internal const string DefaultTimeToLive = "CACHE_DEFAULT_TTL";
    internal const string KeyPrefix = "CACHE_KEY_PREFIX";

    public void Configure(StrataOptions options)
    {
        IConfiguration? configuration = services.GetService<IConfiguration>();
        if (configuration is null)
        {
            return; // no host configuration: the code passed to AddStrata is all there is
        }

        ReadEnvironment(configuration, options);
        IConfigurationSection section = configuration.GetSection(StrataOptions.SectionName);
        var settings = CacheSettings.From(options.Cache);
        try
        {
            section.Bind(settings);
        }
        catch (InvalidOperationException ex)
        {
            options.ConfigurationErrors.Add(ex.Message); // the binder's message names the key and the expected type
        }

        settings.CopyTo(options.Cache);

        string? provider = section[nameof(StrataOptions.Provider)];
        if (!string.IsNullOrWhiteSpace(provider))
        {
            if (Enum.TryParse(provider, ignoreCase: true, out StrataProvider parsed) && Enum.IsDefined(parsed) && !char.IsDigit(provider.Trim()[0]))
            {
                options.Provider = parsed;
            }
            else
            {
                options.ConfigurationErrors.Add($"{StrataOptions.SectionName}:{nameof(StrataOptions.Provider)} must be {nameof(StrataProvider.Memory)} or {nameof(StrataProvider.Redis)}; it was '{provider}'.");
            }
        }
    }

    private static void ReadEnvironment(IConfiguration configuration, StrataOptions options)
    {
        string? url = configuration[RedisUrl];
        if (!string.IsNullOrWhiteSpace(url))
        {
            options.Cache.Redis = url.Trim();
        }

        string? ttl = configuration[DefaultTimeToLive];
        if (!string.IsNullOrWhiteSpace(ttl))
        {
            if (int.TryParse(ttl, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds > 0)
            {
                options.Cache.DefaultTimeToLive = TimeSpan.FromSeconds(seconds);
            }
            else
            {
                options.ConfigurationErrors.Add($"{DefaultTimeToLive} must be a positive whole number of seconds; it was '{ttl}'.");
            }
        }

        string? prefix = configuration[KeyPrefix];
        if (!string.IsNullOrWhiteSpace(prefix))
        {
            prefix = prefix.Trim();
            options.Cache.KeyPrefix = prefix.EndsWith(':') ? prefix : prefix + ":";
        }
    }
}
