using Dataward.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Platform.Web;

/// <summary>Turns rule violations into RFC 9457 problem details: <c>errors</c> keyed by field and the spec's
/// <c>ruleId</c> where there is one. The one place that decides an outcome's status code.</summary>
public static class Problems
{
    public static ProblemHttpResult From<T>(Outcome<T> outcome)
    {
        var status = outcome.Failure switch
        {
            FailureKind.NotFound => StatusCodes.Status404NotFound,
            FailureKind.Conflict => StatusCodes.Status409Conflict,
            FailureKind.Forbidden => StatusCodes.Status403Forbidden,
            _ => StatusCodes.Status400BadRequest,
        };
        var title = outcome.Failure switch
        {
            FailureKind.NotFound => "Not found",
            FailureKind.Conflict => "Conflict",
            FailureKind.Forbidden => "Forbidden",
            _ => "Invalid input",
        };
        var extensions = new Dictionary<string, object?>
        {
            ["errors"] = outcome.Violations.GroupBy(v => v.Field)
                .ToDictionary(g => g.Key, g => g.Select(v => v.Message).ToArray()),
        };
        if (outcome.Violations.Select(v => v.RuleId).FirstOrDefault(r => r is not null) is { } ruleId)
        {
            extensions["ruleId"] = ruleId;
        }
        return TypedResults.Problem(
            detail: string.Join(" ", outcome.Violations.Select(v => v.Message)),
            statusCode: status,
            title: title,
            extensions: extensions);
    }
}
