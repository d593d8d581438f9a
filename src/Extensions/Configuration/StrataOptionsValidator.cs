using System;
using System.Collections.Generic;
using Microsoft.Extensions.Options;
using Strata.Tiering;

namespace Strata.Extensions;

/// <summary>
/// Checks <see cref="StrataOptions"/> when the host starts (<c>ValidateOnStart</c>): every failure is reported, each
/// naming the setting to fix.
/// </summary>
internal sealed class StrataOptionsValidator : IValidateOptions<StrataOptions>
{
    public ValidateOptionsResult Validate(string? name, StrataOptions options)
    {
        var failures = new List<string>(options.ConfigurationErrors);
        string redis = $"{StrataOptions.SectionName}:{nameof(TieredCacheOptions.Redis)}";
        if (options.Provider == StrataProvider.Redis && string.IsNullOrWhiteSpace(options.Cache.Redis))
        {
            failures.Add($"{StrataOptions.SectionName}:{nameof(StrataOptions.Provider)} is {nameof(StrataProvider.Redis)}, but no connection is configured: set {redis} or {StrataConfiguration.RedisUrl}.");
        }
        else if (options.EffectiveProvider == StrataProvider.Redis)
        {
            try
            {
                _ = RedisConnectionString.Parse(options.Cache.Redis!);
            }
            catch (ArgumentException ex)
            {
                failures.Add($"{redis} (or {StrataConfiguration.RedisUrl}) is invalid: {MessageOf(ex)}");
            }
        }

        try
        {
            options.Cache.Validate();
        }
        catch (ArgumentException ex)
        {
            failures.Add($"{StrataOptions.SectionName}: {MessageOf(ex)}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The exception's own sentence, without the " (Parameter ...)" and "Actual value" lines the runtime appends.</summary>
    internal static string MessageOf(ArgumentException exception)
    {
        string message = exception.Message;
        int newline = message.IndexOf('\n', StringComparison.Ordinal);
        if (newline >= 0)
        {
            message = message[..newline].TrimEnd('\r');
        }

        string parameter = $" (Parameter '{exception.ParamName}')";
        return message.EndsWith(parameter, StringComparison.Ordinal) ? message[..^parameter.Length] : message;
    }
}
