using System;
using StackExchange.Redis;

namespace Strata.Tiering;

/// <summary>
/// Reads the Redis setting the services Strata replaces used: a <c>REDIS_URL</c> (<c>redis://</c> or, for TLS,
/// <c>rediss://</c>, with optional user, password and database: <c>redis://user:secret@host:6379/2</c>), or else a
/// StackExchange.Redis configuration string (<c>host:6379,password=...</c>).
/// </summary>
public static class RedisConnectionString
{
    /// <summary>Parses a Redis URL or a StackExchange.Redis configuration string.</summary>
    /// <param name="value">The setting.</param>
    /// <returns>Options with <see cref="ConfigurationOptions.AbortOnConnectFail"/> off, so a cache can start while Redis is down.</returns>
    /// <exception cref="ArgumentException">The value is empty or not a valid URL or configuration string.</exception>
    public static ConfigurationOptions Parse(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        ConfigurationOptions options;
        if (value.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            options = ParseUrl(value);
        }
        else
        {
            try
            {
                options = ConfigurationOptions.Parse(value);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"'{Redact(value)}' is neither a redis:// URL nor a valid StackExchange.Redis configuration string: {ex.Message}", nameof(value), ex);
            }
        }

        if (options.EndPoints.Count == 0)
        {
            throw new ArgumentException($"'{Redact(value)}' names no Redis endpoint.", nameof(value));
        }

        options.AbortOnConnectFail = false;
        return options;
    }

    private static ConfigurationOptions ParseUrl(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"'{Redact(value)}' is not a valid Redis URL.", nameof(value));
        }

        var options = new ConfigurationOptions { Ssl = uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase) };
        options.EndPoints.Add(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port);
        if (options.Ssl)
        {
            options.SslHost = uri.Host;
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            string[] parts = uri.UserInfo.Split(':', 2);
            string user = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                options.Password = Uri.UnescapeDataString(parts[1]);
                if (user.Length > 0)
                {
                    options.User = user;
                }
            }
            else
            {
                options.Password = user; // redis://secret@host: a lone value is the password, as redis-cli reads it
            }
        }

        string path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int database))
            {
                throw new ArgumentException($"'{Redact(value)}': the path must be a database number, not '{path}'.", nameof(value));
            }

            options.DefaultDatabase = database;
        }

        return options;
    }

    /// <summary>Hides a password before the value appears in an exception message.</summary>
    private static string Redact(string value)
    {
        int at = value.IndexOf('@', StringComparison.Ordinal);
        int scheme = value.IndexOf("://", StringComparison.Ordinal);
        if (at > 0 && scheme > 0 && at > scheme)
        {
            return value[..(scheme + 3)] + "***" + value[at..];
        }

        int password = value.IndexOf("password=", StringComparison.OrdinalIgnoreCase);
        return password < 0 ? value : value[..(password + 9)] + "***";
    }
}
