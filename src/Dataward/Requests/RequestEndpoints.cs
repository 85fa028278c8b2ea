using System.Security.Claims;
using Dataward.Audit;
using Dataward.Domain.Requests;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Requests;

public sealed record VerifyRequest(string Code);

public sealed record ExtendRequest(int Months, string Reason);

public sealed record PauseRequest(string Reason);

public sealed record RejectRequest(string Ground, string Reason);

public sealed record CancelRequest(string? Reason);

/// <summary>/api/requests: data-subject requests. Staff and tokens handle them; the person proves their identity with
/// the e-mailed code (the only anonymous operation, rate-limited).</summary>
public static class RequestEndpoints
{
    public static void MapRequestEndpoints(this RouteGroupBuilder api)
    {
        var requests = api.MapGroup("/requests").WithTags("Requests").RequireAuthorization(Policies.Staff);
        requests.MapGet("/", List).WithSummary("The request queue; due=overdue|soon lists what needs attention (DSR025)");
        requests.MapPost("/", Create).WithSummary("Log a request received by any channel; the person gets an acknowledgement and a code (DSR001, DSR002)")
            .RequireAuthorization(Policies.HandleRequests);
        requests.MapGet("/{id:guid}", Get).WithSummary("One request with its deadline and timeline");
        requests.MapPost("/{id:guid}/verify", Verify).WithSummary("Confirm the person's identity with the code e-mailed to them (DSR007)")
            .AllowAnonymous().RequireRateLimiting(DatawardApp.SignInRateLimit);
        requests.MapPost("/{id:guid}/resend-code", ResendCode).WithSummary("Send a new identity code (the old one stops working)").RequireAuthorization(Policies.HandleRequests);
        requests.MapPost("/{id:guid}/extend", Extend).WithSummary("Extend by one or two further months, with reasons told to the person (DSR004)")
            .RequireAuthorization(Policies.HandleRequests);
        requests.MapPost("/{id:guid}/pause", Pause).WithSummary("Stop the clock while a fee or clarification is awaited (DSR005)").RequireAuthorization(Policies.HandleRequests);
        requests.MapPost("/{id:guid}/resume", Resume).WithSummary("Restart the clock: what was awaited arrived (DSR005)").RequireAuthorization(Policies.HandleRequests);
        requests.MapPost("/{id:guid}/reject", Reject).WithSummary("Refuse, with the ground and reasons sent to the person (DSR010, DSR023)")
            .RequireAuthorization(Policies.HandleRequests);
        requests.MapPost("/{id:guid}/cancel", Cancel).WithSummary("Cancel: withdrawn by the person, or a duplicate").RequireAuthorization(Policies.HandleRequests);
        requests.MapPost("/{id:guid}/require-proof", RequireProof)
            .WithSummary("Ask for more proof of identity than the code, telling the person what and why; the request waits and the clock stops (DSR008, DSR005)")
            .RequireAuthorization(Policies.HandleRequests);
        requests.MapPost("/{id:guid}/identity-checks", RecordCheck)
            .WithSummary("Record what was checked to prove the identity (kind identity, DSR008) or an agent's authority (kind authority, DSR009): the method and outcome, never a copy")
            .RequireAuthorization(Policies.HandleRequests);
        requests.MapPost("/{id:guid}/reply-channel", ReplyChannel).WithSummary("The person asked to be answered another way: email, post, phone or in_person (DSR024)")
            .RequireAuthorization(Policies.HandleRequests);
        requests.MapGet("/{id:guid}/messages", Messages).WithSummary("Every e-mail sent to the person for this request (codes withheld), and an answer waiting to go by post (DSR024)");
    }

    public static async Task<Ok<IReadOnlyList<RequestSummary>>> List(RequestService requests, string? state, string? type, string? due,
        CancellationToken cancellationToken) => TypedResults.Ok(await requests.ListAsync(new RequestFilter(state, type, due), cancellationToken));

    public static async Task<Results<Created<RequestView>, ProblemHttpResult>> Create(NewRequest request, RequestService requests, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await requests.CreateAsync(request, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/requests/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> Get(Guid id, RequestService requests, CancellationToken cancellationToken) =>
        await requests.GetAsync(id, cancellationToken) is { } view
            ? TypedResults.Ok(view)
            : Problems.From(Domain.Outcome<bool>.NotFound("id", "No request has this id."));

    /// <summary>Anonymous: before verification the answer reveals nothing about the request or the person (DSR006).</summary>
    public static async Task<Results<Ok<RequestVerified>, ProblemHttpResult>> Verify(Guid id, VerifyRequest body, RequestService requests,
        CancellationToken cancellationToken)
    {
        var outcome = await requests.VerifyAsync(id, body.Code, AuditActor.Anonymous, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> ResendCode(Guid id, RequestService requests, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await requests.ResendCodeAsync(id, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> Extend(Guid id, ExtendRequest body, RequestService requests, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await requests.ExtendAsync(id, body.Months, body.Reason, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> Pause(Guid id, PauseRequest body, RequestService requests, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await requests.PauseAsync(id, body.Reason, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> Resume(Guid id, RequestService requests, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await requests.ResumeAsync(id, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> Reject(Guid id, RejectRequest body, RequestService requests, ClaimsPrincipal user,
        CancellationToken cancellationToken) =>
        Answer(await requests.RejectAsync(id, body.Ground, body.Reason, AuditActor.From(user), IsDpo(user), cancellationToken));

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> Cancel(Guid id, CancelRequest body, RequestService requests, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await requests.CancelAsync(id, body.Reason, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> RequireProof(Guid id, RequireProofRequest body, RequestService requests,
        ClaimsPrincipal user, CancellationToken cancellationToken) => Answer(await requests.RequireProofAsync(id, body.Reason, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> RecordCheck(Guid id, IdentityCheckRequest body, RequestService requests,
        ClaimsPrincipal user, CancellationToken cancellationToken) => Answer(await requests.RecordCheckAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RequestView>, ProblemHttpResult>> ReplyChannel(Guid id, ReplyChannelRequest body, RequestService requests,
        ClaimsPrincipal user, CancellationToken cancellationToken) => Answer(await requests.SetReplyChannelAsync(id, body.Channel, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<RequestMessagesView>, ProblemHttpResult>> Messages(Guid id, RequestService requests, CancellationToken cancellationToken)
    {
        var outcome = await requests.MessagesAsync(id, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static bool IsDpo(ClaimsPrincipal user) => user.IsInRole(StaffRoles.DataProtectionOfficer) || user.IsInRole(StaffRoles.Administrator);

    private static Results<Ok<RequestView>, ProblemHttpResult> Answer(Domain.Outcome<RequestView> outcome) =>
        outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
}
