using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Strata.Sessions;

/// <summary>
/// Reads <see cref="SessionStoreOptions"/> from the host's configuration: <c>SESSION_MAX_MESSAGES</c> and
/// <c>SESSION_EXPIRY_HOURS</c>, then the <c>Sessions</c> section. What it cannot read is kept for
/// <see cref="SessionStoreOptionsValidator"/> to report with the rest.
/// </summary>
internal sealed class SessionConfiguration(IServiceProvider services) : IConfigureOptions<SessionStoreOptions>
{
    internal const string MaxMessages = "SESSION_MAX_MESSAGES";
    internal const string ExpiryHours = "SESSION_EXPIRY_HOURS";

    public void Configure(SessionStoreOptions options)
    {
        IConfiguration? configuration = services.GetService<IConfiguration>();
        if (configuration is null)
        {
            return;
        }

        List<string> errors = options.ConfigurationErrors;
        string? max = configuration[MaxMessages];
        if (!string.IsNullOrWhiteSpace(max))
        {
            if (int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count > 0)
            {
                options.MaxMessages = count;
            }
            else
            {
                errors.Add($"{MaxMessages} must be a positive whole number; it was '{max}'.");
            }
        }

        string? hours = configuration[ExpiryHours];
        if (!string.IsNullOrWhiteSpace(hours))
        {
            if (double.TryParse(hours, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && value > 0 && value <= TimeSpan.MaxValue.TotalHours)
            {
                options.IdleExpiry = TimeSpan.FromHours(value);
            }
            else
            {
                errors.Add($"{ExpiryHours} must be a positive number of hours; it was '{hours}'.");
            }
        }

        try
        {
            configuration.GetSection(SessionStoreOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            errors.Add(ex.Message); // the binder's message names the key and the expected type
        }
    }
}
