using System.Security.Claims;
using Dataward.Audit;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Requests;

public sealed record ResolveFlagRequest(string Flag, string Note);

/// <summary>/api/requests/{id}/plan, run, results, package, release: executing access and portability requests
/// against the connected databases (issue 5 points 5, 6). Nothing before verification (DSR006).</summary>
public static class RequestAccessEndpoints
{
    public static void MapRequestAccessEndpoints(this RouteGroupBuilder api)
    {
        var requests = api.MapGroup("/requests").WithTags("Requests").RequireAuthorization(Policies.HandleRequests);
        requests.MapGet("/{id:guid}/plan", Plan).WithSummary("The plan over the connected datasets, with a dry run counting rows per step, unreachable collections and what an erasure would change (DSR006: verified requests only)");
        requests.MapPost("/{id:guid}/run", Run).WithSummary("Run an access or portability request now and build its package; a database that cannot be read pauses it with the error, to be tried again");
        requests.MapGet("/{id:guid}/access-run", Execution).WithSummary("Where the access run stands: rows per collection, third-party flags, the last error");
        requests.MapGet("/{id:guid}/results", Results).WithSummary("The rows found: {\"collections\": {\"<dataset>:<collection>\": [rows]}} as Fides keys its raw access results (audited)");
        requests.MapGet("/{id:guid}/package", Package).WithSummary("The package as a ZIP: report.html, data.json, one CSV per collection, supplementary.json (audited)");
        requests.MapPost("/{id:guid}/flags/resolve", ResolveFlag).WithSummary("Mark a third-party data flag checked, saying what was done (DSR012)")
            .RequireAuthorization(Policies.ApproveRequests);
        requests.MapPost("/{id:guid}/release", Release).WithSummary("Release a reviewed package: the person is e-mailed a link that expires and asks for a fresh code (DSR012, DSR013)")
            .RequireAuthorization(Policies.ApproveRequests);
    }

    public static async Task<Results<Ok<RequestPlanView>, ProblemHttpResult>> Plan(Guid id, RequestAccessService access, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await access.PlanAsync(id, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<AccessRunView>, ProblemHttpResult>> Run(Guid id, RequestAccessService access, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await access.RunAsync(id, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<AccessRunView>, ProblemHttpResult>> Execution(Guid id, RequestAccessService access,
        CancellationToken cancellationToken) => Answer(await access.StatusAsync(id, cancellationToken));

    public static async Task<Results<Ok<AccessResultsView>, ProblemHttpResult>> Results(Guid id, RequestAccessService access, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await access.ResultsAsync(id, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Package(Guid id, RequestAccessService access, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await access.PackageAsync(id, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.File(outcome.Value!, "application/zip", $"request-{id:N}.zip") : Problems.From(outcome);
    }

    public static async Task<Results<Ok<AccessRunView>, ProblemHttpResult>> ResolveFlag(Guid id, ResolveFlagRequest body, RequestAccessService access,
        ClaimsPrincipal user, CancellationToken cancellationToken) =>
        Answer(await access.ResolveFlagAsync(id, body.Flag, body.Note, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<AccessRunView>, ProblemHttpResult>> Release(Guid id, RequestAccessService access, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await access.ReleaseAsync(id, AuditActor.From(user), cancellationToken));

    private static Results<Ok<AccessRunView>, ProblemHttpResult> Answer(Domain.Outcome<AccessRunView> outcome) =>
        outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);

    /// <summary>The person's download (DSR013): only with the token a fresh code gave; otherwise a plain 404.</summary>
    public static void MapPackageDownload(this WebApplication app) =>
        app.MapGet("/privacy/requests/{id:guid}/package", Download).AllowAnonymous().ExcludeFromDescription()
            .RequireRateLimiting(DatawardApp.SignInRateLimit);

    public static async Task<IResult> Download(Guid id, string? t, RequestAccessService access, CancellationToken cancellationToken) =>
        await access.DownloadAsync(id, t, cancellationToken) is { } package
            ? TypedResults.File(package.Zip, "application/zip", $"{package.Reference}.zip")
            : TypedResults.NotFound();
}
