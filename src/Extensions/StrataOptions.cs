using System.Collections.Generic;
using Strata.Tiering;

namespace Strata.Extensions;

/// <summary>
/// The settings of the cache that <c>AddStrata</c> registers: which provider, and the cache's own settings.
/// </summary>
/// <remarks>
/// <para>
/// Sources, each overriding the one before: the environment variables of the services Strata replaces
/// (<c>REDIS_URL</c>, <c>CACHE_DEFAULT_TTL</c> in seconds, <c>CACHE_KEY_PREFIX</c>), then the configuration section
/// <c>Strata</c> (flat: <c>Strata:Provider</c>, <c>Strata:Redis</c>, <c>Strata:KeyPrefix</c>,
/// <c>Strata:DefaultTimeToLive</c> as <c>hh:mm:ss</c>, <c>Strata:LocalMaxEntries</c>, ... every settable property of
/// <see cref="TieredCacheOptions"/>), then the code passed to <c>AddStrata</c>. The result is validated when the host
/// starts; a bad setting stops the start with a message that names it.
/// </para>
/// <para>
/// <c>CACHE_KEY_PREFIX</c> gets a <c>:</c> appended when it lacks one, so that <c>agent_service</c> gives the keys
/// <c>agent_service:users:42</c> that the services wrote.
/// </para>
/// </remarks>
public sealed class StrataOptions
{
    /// <summary>The configuration section the options bind from: <c>Strata</c>.</summary>
    public const string SectionName = "Strata";

    /// <summary>
    /// Gets or sets the provider: <see cref="StrataProvider.Memory"/> for an in-process cache only,
    /// <see cref="StrataProvider.Redis"/> for L1 in front of Redis. <see langword="null"/> (the default) chooses Redis
    /// when a connection is configured, else memory.
    /// </summary>
    public StrataProvider? Provider { get; set; }

    /// <summary>Gets the cache's settings (bound from the section's other keys).</summary>
    public TieredCacheOptions Cache { get; } = new();

    /// <summary>Gets the provider in effect: <see cref="Provider"/>, or the one its default chooses.</summary>
    public StrataProvider EffectiveProvider =>
        Provider ?? (string.IsNullOrWhiteSpace(Cache.Redis) ? StrataProvider.Memory : StrataProvider.Redis);

    /// <summary>Settings that could not be read (a malformed environment variable or value), reported by validation.</summary>
    internal List<string> ConfigurationErrors { get; } = [];
}
