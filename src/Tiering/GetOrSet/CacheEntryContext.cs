using System;

namespace Strata.Tiering;

/// <summary>
/// What a <see cref="CacheScope.GetOrSetAsync{T}(string, System.Func{string, CacheEntryContext, System.Threading.CancellationToken, System.Threading.Tasks.ValueTask{T}}, CacheEntryOptions?, System.Threading.CancellationToken)"/> factory may decide about the value it produces: its time to live,
/// and whether it is cached at all (the services' <c>unless</c> rule: do not cache a null or an empty list).
/// </summary>
public sealed class CacheEntryContext
{
    private TimeSpan? _timeToLive;

    internal CacheEntryContext(string key, TimeSpan? timeToLive)
    {
        Key = key;
        _timeToLive = timeToLive;
    }

    /// <summary>Gets the key being produced, without any namespace prefix.</summary>
    public string Key { get; }

    /// <summary>
    /// Gets or sets the time to live the value is cached with; it starts as the call's (or the default) and
    /// <see langword="null"/> means no expiry.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? TimeToLive
    {
        get => _timeToLive;
        set => _timeToLive = TimeToLiveGuard.Positive(value, nameof(value));
    }

    /// <summary>Gets whether the value will be cached; false once <see cref="DoNotCache"/> was called.</summary>
    public bool WillCache { get; private set; } = true;

    /// <summary>Returns the value to the callers without caching it; the next call runs the factory again.</summary>
    public void DoNotCache() => WillCache = false;
}
