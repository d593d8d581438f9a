using System.Collections.Generic;
using Microsoft.Extensions.Options;

namespace Strata.Sessions;

/// <summary>Checks <see cref="SessionStoreOptions"/> when the host starts: every failure at once, each naming its setting.</summary>
internal sealed class SessionStoreOptionsValidator : IValidateOptions<SessionStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionStoreOptions options)
    {
        var failures = new List<string>(options.ConfigurationErrors);
        foreach ((_, _, string message) in options.Problems())
        {
            failures.Add($"{SessionStoreOptions.SectionName}: {message}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
