namespace Strata.Extensions;

/// <summary>Where the cache keeps values, like the provider switch (<c>redis</c> or <c>in_memory</c>) of the services Strata replaces.</summary>
public enum StrataProvider
{
    /// <summary>In process only: no Redis, even when a connection is configured (for development and tests).</summary>
    Memory = 0,

    /// <summary>L1 in process, in front of Redis, with the backplane keeping instances coherent.</summary>
    Redis = 1,
}
