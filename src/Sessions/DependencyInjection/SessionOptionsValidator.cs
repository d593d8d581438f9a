using System;
using System.Collections.Generic;
using Microsoft.Extensions.Options;

namespace Strata.Sessions;

/// <summary>Checks <see cref="SessionOptions"/> when the host starts: every failure at once, each naming its setting.</summary>
internal sealed class SessionOptionsValidator : IValidateOptions<SessionOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionOptions options)
    {
        var failures = new List<string>(options.ConfigurationErrors);
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            failures.Add($"{SessionOptions.SectionName}: {ex.Message.Split('\n')[0].TrimEnd('\r')}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
