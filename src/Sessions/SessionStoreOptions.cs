using System;
using System.Collections.Generic;

namespace Strata.Sessions;

/// <summary>
/// Settings of a <see cref="SessionRepository"/>. In a host they come from the services' environment variables
/// (<c>SESSION_MAX_MESSAGES</c>, <c>SESSION_EXPIRY_HOURS</c>), then the <c>Sessions</c> section, then code.
/// </summary>
public sealed class SessionStoreOptions
{
    /// <summary>The configuration section: <c>Sessions:MaxMessages</c>, <c>Sessions:ConnectionString</c>, ...</summary>
    public const string SectionName = "Sessions";

    /// <summary>Gets or sets the most messages a session may hold (<c>SESSION_MAX_MESSAGES</c>); default 100.</summary>
    public int MaxMessages { get; set; } = 100;

    /// <summary>
    /// Gets or sets how long a session may stay idle before <see cref="SessionRepository.CleanupExpiredSessionsAsync"/>
    /// archives it (<c>SESSION_EXPIRY_HOURS</c>); default 24 hours.
    /// </summary>
    public TimeSpan IdleExpiry { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Gets or sets how long a read stays in the cache. Writes invalidate what they change, so this only bounds memory
    /// and the life of a value changed behind the repository's back (by hand in the database); default 10 minutes.
    /// </summary>
    public TimeSpan CacheTimeToLive { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Gets or sets the SQLite connection string of the default store (<see cref="SqliteSessionStore"/>); default a file
    /// <c>sessions.db</c> in the working directory.
    /// </summary>
    public string ConnectionString { get; set; } = "Data Source=sessions.db";

    /// <summary>
    /// Gets or sets how often a host runs <see cref="SessionRepository.CleanupExpiredSessionsAsync"/>; null (the
    /// default) never, for a service that schedules it elsewhere.
    /// </summary>
    public TimeSpan? CleanupInterval { get; set; }

    /// <summary>What configuration held that could not be read, for the validator to report with the other failures.</summary>
    internal List<string> ConfigurationErrors { get; } = [];

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        foreach ((string setting, object? value, string message) in Problems())
        {
            throw setting == nameof(ConnectionString)
                ? new ArgumentException(message, setting)
                : new ArgumentOutOfRangeException(setting, value, message);
        }
    }

    /// <summary>Every setting out of range, with its value and a sentence naming it: what <see cref="Validate"/> throws for the first.</summary>
    internal IEnumerable<(string Setting, object? Value, string Message)> Problems()
    {
        if (MaxMessages < 1)
        {
            yield return (nameof(MaxMessages), MaxMessages, "MaxMessages (SESSION_MAX_MESSAGES) must be at least 1.");
        }

        if (IdleExpiry <= TimeSpan.Zero)
        {
            yield return (nameof(IdleExpiry), IdleExpiry, "IdleExpiry (SESSION_EXPIRY_HOURS) must be positive.");
        }

        if (CacheTimeToLive <= TimeSpan.Zero)
        {
            yield return (nameof(CacheTimeToLive), CacheTimeToLive, "CacheTimeToLive must be positive.");
        }

        if (CleanupInterval is { } interval && interval <= TimeSpan.Zero)
        {
            yield return (nameof(CleanupInterval), interval, "CleanupInterval must be positive, or null for none.");
        }

        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return (nameof(ConnectionString), ConnectionString, "ConnectionString must name a SQLite database.");
        }
    }
}
