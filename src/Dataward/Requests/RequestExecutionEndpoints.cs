using System.Security.Claims;
using Dataward.Audit;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Requests;

/// <summary>Carrying out requests: the erasure policy, approval and the durable erasure job with its proofs,
/// rectification, restriction and objection (/api/requests), and the restriction check (/api/restrictions).</summary>
public static class RequestExecutionEndpoints
{
    public static void MapRequestExecutionEndpoints(this RouteGroupBuilder api)
    {
        var requests = api.MapGroup("/requests").WithTags("Requests").RequireAuthorization(Policies.Staff);
        requests.MapGet("/erasure-policy", GetPolicy).WithSummary("The erasure policy: data category to masking strategy, and exempt categories with their legal reason");
        requests.MapPut("/erasure-policy", PutPolicy).WithSummary("Change the erasure policy (Administrator, DPO); strategies and categories are checked against the engine and the taxonomy")
            .RequireAuthorization(Policies.ApproveRequests);
        requests.MapGet("/{id:guid}/erasure-preview", Preview).WithSummary("What the erasure will change and keep, per collection, before approval (DSR014)");
        requests.MapPost("/{id:guid}/approve", Approve).WithSummary("Approve a verified erasure; it then runs as a durable, resumable job (DSR014, DSR016)")
            .RequireAuthorization(Policies.ApproveRequests);
        requests.MapGet("/{id:guid}/execution", Execution).WithSummary("The erasure's status, last error, proofs (no values), fields kept, and recipients to notify (DSR015-DSR017)");
        requests.MapPost("/{id:guid}/execution/resume", Resume)
            .WithSummary("Resume a paused erasure now, from its last checkpoint (the job also retries by itself); nothing missed, nothing applied twice (DSR016)")
            .RequireAuthorization(Policies.HandleRequests);
        requests.MapPost("/{id:guid}/recipients/{name}/notified", Notified).WithSummary("Record telling a recipient of a rectification, erasure or restriction (Art. 19, DSR017)")
            .RequireAuthorization(Policies.HandleRequests);
        requests.MapPost("/{id:guid}/rectify", Rectify).WithSummary("Apply the corrections the person asked for; old values are kept only as fingerprints (DSR022)")
            .RequireAuthorization(Policies.HandleRequests);
        requests.MapPost("/{id:guid}/restrict", Restrict).WithSummary("Restrict processing of the person's data to storage (DSR021)").RequireAuthorization(Policies.HandleRequests);
        requests.MapPost("/{id:guid}/lift-restriction", Lift).WithSummary("Lift a restriction, telling the person first (DSR021)").RequireAuthorization(Policies.HandleRequests);
        requests.MapPost("/{id:guid}/object", Object).WithSummary("Act on an objection: direct marketing stops at once (DSR019); other processing is restricted while assessed (DSR020)")
            .RequireAuthorization(Policies.HandleRequests);

        var restrictions = api.MapGroup("/restrictions").WithTags("Requests").RequireAuthorization(Policies.Staff);
        restrictions.MapGet("/check", Check).WithSummary("Is this person's data restricted, and for which processing? (DSR021)");
    }

    public static async Task<Ok<ErasurePolicyView>> GetPolicy(ErasurePolicyService policies, CancellationToken cancellationToken) =>
        TypedResults.Ok(await policies.GetAsync(cancellationToken));

    public static async Task<Results<Ok<ErasurePolicyView>, ProblemHttpResult>> PutPolicy(ErasurePolicyDocument body, ErasurePolicyService policies,
        ClaimsPrincipal user, CancellationToken cancellationToken) => Answer(await policies.SaveAsync(body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<ErasurePlanView>, ProblemHttpResult>> Preview(Guid id, RequestExecutionService execution,
        CancellationToken cancellationToken) => Answer(await execution.PreviewAsync(id, cancellationToken));

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> Approve(Guid id, RequestExecutionService execution, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await execution.ApproveAsync(id, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RequestExecutionView>, ProblemHttpResult>> Execution(Guid id, RequestExecutionService execution,
        CancellationToken cancellationToken) =>
        await execution.ExecutionAsync(id, cancellationToken) is { } view
            ? TypedResults.Ok(view)
            : Problems.From(Domain.Outcome<bool>.NotFound("id", "No request has this id."));

    public static async Task<Results<Ok<RequestExecutionView>, ProblemHttpResult>> Resume(Guid id, RequestExecutionService execution, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await execution.ResumeAsync(id, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RecipientView>, ProblemHttpResult>> Notified(Guid id, string name, NotifiedRequest body,
        RequestExecutionService execution, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        Answer(await execution.RecordNotifiedAsync(id, name, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RectificationView>, ProblemHttpResult>> Rectify(Guid id, RectifyRequest body, RequestExecutionService execution,
        ClaimsPrincipal user, CancellationToken cancellationToken) => Answer(await execution.RectifyAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> Restrict(Guid id, RestrictRequest body, RequestExecutionService execution,
        ClaimsPrincipal user, CancellationToken cancellationToken) => Answer(await execution.RestrictAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> Lift(Guid id, LiftRestrictionRequest body, RequestExecutionService execution,
        ClaimsPrincipal user, CancellationToken cancellationToken) => Answer(await execution.LiftRestrictionAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> Object(Guid id, ObjectionRequest body, RequestExecutionService execution,
        ClaimsPrincipal user, CancellationToken cancellationToken) => Answer(await execution.ObjectAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RestrictionCheck>, ProblemHttpResult>> Check(string? subject, RequestExecutionService execution,
        CancellationToken cancellationToken) => Answer(await execution.CheckRestrictionAsync(subject, cancellationToken));

    private static Results<Ok<T>, ProblemHttpResult> Answer<T>(Domain.Outcome<T> outcome) =>
        outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
}
