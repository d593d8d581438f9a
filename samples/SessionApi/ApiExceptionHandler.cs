using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Strata.Sessions;

namespace Strata.SessionApi;

/// <summary>
/// Turns the exceptions a caller caused into problem details: bad input (an <see cref="ArgumentException"/> from the
/// repository or the endpoints, or a body that does not bind) is 400 with the field in <c>errors</c>, in every
/// environment; a full session is 409.
/// Anything else is left to the default handler (500, no details).
/// </summary>
internal sealed class ApiExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails? problem = exception switch
        {
            SessionMessageLimitException limit => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "The session holds the most messages allowed.",
                Detail = limit.Message,
                Extensions = { ["sessionId"] = limit.SessionId, ["maxMessages"] = limit.MaxMessages },
            },
            ArgumentException argument => new HttpValidationProblemDetails(new Dictionary<string, string[]>
            {
                [argument.ParamName ?? "request"] = [Sentence(argument)],
            })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request is not valid.",
            },
            BadHttpRequestException { InnerException: JsonException json } bad => new HttpValidationProblemDetails(new Dictionary<string, string[]>
            {
                [Field(json.Path)] = [FirstLine(json.Message)],
            })
            {
                Status = bad.StatusCode,
                Title = "The request body is not valid JSON for this route.",
                Detail = FirstLine(json.Message),
            },
            BadHttpRequestException bad => new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = "The request could not be read.",
                Detail = FirstLine(bad.InnerException?.Message ?? bad.Message),
            },
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>The field a JSON path names (<c>$.role</c> is <c>role</c>, <c>$.context.a</c> is <c>context.a</c>); <c>body</c> for the whole body.</summary>
    private static string Field(string? path) =>
        path is null or "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    /// <summary>The exception's own sentence, without the " (Parameter ...)" the runtime appends.</summary>
    private static string Sentence(ArgumentException exception)
    {
        string message = FirstLine(exception.Message);
        string parameter = $" (Parameter '{exception.ParamName}')";
        return message.EndsWith(parameter, StringComparison.Ordinal) ? message[..^parameter.Length] : message;
    }

    private static string FirstLine(string message)
    {
        int end = message.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? message : message[..end]).TrimEnd('\r');
    }
}
