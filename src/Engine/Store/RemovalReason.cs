namespace Strata.Engine;

/// <summary>Why an entry left a <see cref="LocalCache{TValue}"/>.</summary>
public enum RemovalReason
{
    /// <summary>Removed by the caller: <c>Remove</c>, <c>TryRemove</c>, <c>Clear</c>, a pattern delete, or <c>Expire</c> with a non-positive time to live.</summary>
    Removed = 0,

    /// <summary>Overwritten by a newer value for the same key.</summary>
    Replaced = 1,

    /// <summary>Its time to live ran out.</summary>
    Expired = 2,

    /// <summary>Evicted to keep the cache within its entry or weight bound.</summary>
    Evicted = 3,
}
