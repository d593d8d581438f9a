namespace Strata.Extensions;

/// <summary>
/// The named caches of the services Strata replaces, registered together by <see cref="StrataBuilder.AddPresetCaches"/>,
/// each a namespace of the default cache with its default time to live.
/// </summary>
public static class CacheNames
{
    /// <summary><c>confirmation</c>: pending confirmations, 300 seconds.</summary>
    public const string Confirmation = "confirmation";

    /// <summary><c>signup</c>: sign-up flows, 1,800 seconds.</summary>
    public const string Signup = "signup";

    /// <summary><c>session</c>: user sessions, 86,400 seconds.</summary>
    public const string Session = "session";

    /// <summary><c>rate_limit</c>: rate-limit counters, 3,600 seconds.</summary>
    public const string RateLimit = "rate_limit";

    /// <summary><c>temp</c>: short-lived values, 60 seconds.</summary>
    public const string Temp = "temp";
}
