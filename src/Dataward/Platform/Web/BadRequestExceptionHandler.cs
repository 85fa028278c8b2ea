using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;

namespace Dataward.Platform.Web;

/// <summary>Turns input the framework could not read (malformed JSON, wrong types, unbindable parameters, bodies too
/// large) into a 400-class problem naming the field, instead of a bare status or a 500.</summary>
public sealed partial class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
        {
            return false;
        }
        var (field, message) = Describe(bad);
        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Invalid input",
                Detail = message,
                Extensions = { ["errors"] = new Dictionary<string, string[]> { [field] = [message] } },
            },
        });
    }

    private static (string Field, string Message) Describe(BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException json)
        {
            var field = JsonPathToField(json.Path);
            var reason = json.Message.Contains("maximum configured depth", StringComparison.Ordinal)
                ? "The document is nested too deeply."
                : json.Path is null or "$"
                    ? "The body is not valid JSON of the expected shape."
                    : $"The value at '{json.Path}' is missing or not of the expected type.";
            if (json.Message.Contains("missing required properties", StringComparison.Ordinal))
            {
                reason = RequiredProperties().Match(json.Message) is { Success: true } m
                    ? $"Required: {m.Groups[1].Value}."
                    : "A required property is missing.";
                field = RequiredProperties().Match(json.Message) is { Success: true } first
                    ? first.Groups[1].Value.Split(',')[0].Trim(' ', '\'')
                    : field;
            }
            return (field, reason);
        }
        if (BindingFailure().Match(bad.Message) is { Success: true } binding)
        {
            return (binding.Groups["name"].Value, $"'{binding.Groups["value"].Value}' is not a valid {binding.Groups["type"].Value}.");
        }
        if (MissingParameter().Match(bad.Message) is { Success: true } missing)
        {
            return (missing.Groups["name"].Value, "This parameter is required.");
        }
        return ("body", bad.StatusCode == StatusCodes.Status413PayloadTooLarge
            ? "The request body is larger than the server accepts."
            : "The request could not be read: send JSON with Content-Type: application/json.");
    }

    private static string JsonPathToField(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }
        var trimmed = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return trimmed.Length == 0 ? "body" : trimmed;
    }

    [GeneratedRegex("""Failed to bind parameter "(?<type>[^ "]+) (?<name>[^ "]+)" from "(?<value>[^"]*)"\.""")]
    private static partial Regex BindingFailure();

    [GeneratedRegex("""Required parameter "(?<type>[^ "]+) (?<name>[^ "]+)" was not provided""")]
    private static partial Regex MissingParameter();

    [GeneratedRegex("missing required properties including: (.+)\\.")]
    private static partial Regex RequiredProperties();
}
