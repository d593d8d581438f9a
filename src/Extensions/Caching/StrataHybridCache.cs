using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Hybrid;
using Strata.Tiering;

namespace Strata.Extensions;

#pragma warning disable RS0026 // overloads with optional parameters: the overridden members are HybridCache's own

/// <summary>
/// A <see cref="HybridCache"/> over a <see cref="TieredCache"/>: the same two tiers, stampede protection and tags,
/// with Strata's L1 (no serialization on a hit), its backplane and its fail-safe. Register it with
/// <see cref="StrataBuilder.AddHybridCache"/>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><see cref="HybridCacheEntryOptions.Expiration"/> is the value's time to live (null: the cache's default);
/// <see cref="HybridCacheEntryOptions.LocalCacheExpiration"/> is not used: L1 keeps a value as long as Redis does, and
/// the backplane removes it when it changes (<see cref="TieredCacheOptions.LocalTimeToLive"/> bounds it for all values).</item>
/// <item>Flags: <see cref="HybridCacheEntryFlags.DisableUnderlyingData"/> reads the cache without calling the factory
/// (a miss gives <see langword="default"/>); the other flags are ignored, as the tiers are not separable per call.</item>
/// <item>Tags are Strata tags (see <see cref="CacheEntryOptions.Tags"/>); <see cref="RemoveByTagAsync(string, CancellationToken)"/>
/// with <c>*</c> clears the whole cache, as <see cref="HybridCache"/> documents. Tags need a single Redis server or
/// L1 alone: on a Redis Cluster, tagged writes throw <see cref="NotSupportedException"/>.</item>
/// <item>The factory's token is cancelled when every caller waiting for the value has cancelled (or the cache is disposed); a caller whose token cannot be cancelled keeps the run going, and a caller that cancels gets an <see cref="OperationCanceledException"/> carrying its own token.</item>
/// </list>
/// </remarks>
public sealed class StrataHybridCache : HybridCache
{
    /// <summary>The tag that <see cref="RemoveByTagAsync(string, CancellationToken)"/> reads as "everything".</summary>
    private const string Everything = "*";

    private readonly TieredCache _cache;

    // Untagged calls usually pass one shared options instance: its translation is made once.
    private readonly ConditionalWeakTable<HybridCacheEntryOptions, CacheEntryOptions> _translated = [];

    /// <summary>Creates the adapter.</summary>
    /// <param name="cache">The cache that holds the values.</param>
    public StrataHybridCache(TieredCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
    }

    /// <inheritdoc/>
    public override ValueTask<T> GetOrCreateAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (options?.Flags is { } flags && (flags & HybridCacheEntryFlags.DisableUnderlyingData) != 0) // Flags is nullable: null means none
        {
            return ReadOnlyAsync<T>(key, cancellationToken);
        }

        return _cache.GetOrSetAsync(
            key, (State: state, Factory: factory), static (_, s, _, token) => s.Factory(s.State, token), Translate(options, tags), cancellationToken);
    }

    /// <inheritdoc/>
    public override async ValueTask SetAsync<T>(string key, T value, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        CacheEntryOptions? translated = Translate(options, tags);
        if (translated is null)
        {
            await _cache.SetAsync(key, value, timeToLive: null, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _cache.SetAsync(key, value, translated, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override async ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default) =>
        await _cache.RemoveAsync(key, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public override async ValueTask RemoveAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        if (keys is null)
        {
            return; // documented: null is empty
        }

        string[] all = [.. keys];
        if (all.Length > 0)
        {
            await _cache.RemoveManyAsync(all, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override async ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (tag == Everything)
        {
            await _cache.ClearAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await _cache.RemoveByTagAsync(tag, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async ValueTask RemoveByTagAsync(IEnumerable<string> tags, CancellationToken cancellationToken = default)
    {
        if (tags is null)
        {
            return; // documented: null is empty
        }

        foreach (string tag in tags)
        {
            await RemoveByTagAsync(tag, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<T> ReadOnlyAsync<T>(string key, CancellationToken cancellationToken)
    {
        CacheResult<T> found = await _cache.GetAsync<T>(key, cancellationToken).ConfigureAwait(false);
        return found.HasValue ? found.Value! : default!;
    }

    /// <summary>Strata options for a call: null when the defaults do; cached per options instance when untagged.</summary>
    private CacheEntryOptions? Translate(HybridCacheEntryOptions? options, IEnumerable<string>? tags)
    {
        if (tags is null)
        {
            return options?.Expiration is null ? null : _translated.GetValue(options, static o => new CacheEntryOptions { TimeToLive = o.Expiration });
        }

        var translated = new CacheEntryOptions { TimeToLive = options?.Expiration };
        foreach (string tag in tags)
        {
            if (tag is null)
            {
                throw new ArgumentException("A tag is null.", nameof(tags));
            }

            if (tag == Everything)
            {
                throw new ArgumentException($"'{Everything}' is reserved: removing it removes everything, so no entry can carry it.", nameof(tags));
            }

            translated.Tags.Add(tag);
        }

        return translated;
    }
}
