using System;
using System.Collections.Generic;
using Microsoft.Extensions.Options;

namespace Strata.Sessions;

/// <summary>Checks <see cref="SessionStoreOptions"/> when the host starts: every failure at once, each naming its setting.</summary>
internal sealed class SessionStoreOptionsValidator : IValidateOptions<SessionStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionStoreOptions options)
    {
        var failures = new List<string>(options.ConfigurationErrors);
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            // The exception's own sentence, without the runtime's " (Parameter ...)" and "Actual value" additions.
            string sentence = ex.Message.Split('\n')[0].TrimEnd('\r').Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal);
            failures.Add($"{SessionStoreOptions.SectionName}: {sentence}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
