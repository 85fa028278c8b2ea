using System.Security.Claims;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Complaints;

/// <summary>/api/complaints: complaints to the organisation (the public lodge theirs in the privacy centre). Any staff
/// member reads; Administrators, the DPO and Staff log and handle them.</summary>
public static class ComplaintEndpoints
{
    public static void MapComplaintEndpoints(this RouteGroupBuilder api)
    {
        var complaints = api.MapGroup("/complaints").WithTags("Complaints").RequireAuthorization(Policies.Staff);
        complaints.MapGet("/", List).WithSummary("Complaints with their deadlines, open ones first: status=received|acknowledged|responded|closed|open, due=overdue|soon");
        complaints.MapPost("/", Log).WithSummary("Log a complaint received by e-mail, post, telephone or in person; ackDueAt per ACC014")
            .RequireAuthorization(Policies.HandleComplaints);
        complaints.MapGet("/counts", Counts).WithSummary("Complaints received in a period (from, to: local dates) and how they were handled (DPA 2018 s. 164B)");
        complaints.MapGet("/{id:guid}", Get).WithSummary("One complaint with the complainant's details (the read is audited), clocks and history");
        complaints.MapPost("/{id:guid}/acknowledge", Acknowledge).WithSummary("Acknowledge by e-mail through the outbox, or record a letter or call (ACC014)")
            .RequireAuthorization(Policies.HandleComplaints);
        complaints.MapPost("/{id:guid}/updates", Update).WithSummary("A progress update, e-mailed to the person on request")
            .RequireAuthorization(Policies.HandleComplaints);
        complaints.MapPost("/{id:guid}/respond", Respond).WithSummary("The outcome, sent with the right to complain to the ICO (ACC014)")
            .RequireAuthorization(Policies.HandleComplaints);
        complaints.MapPost("/{id:guid}/close", Close).WithSummary("Close after the outcome, or earlier with a reason")
            .RequireAuthorization(Policies.HandleComplaints);
    }

    public static async Task<Results<Ok<IReadOnlyList<ComplaintSummary>>, ProblemHttpResult>> List(string? status, string? due, ComplaintService complaints,
        CancellationToken cancellationToken)
    {
        var outcome = await complaints.ListAsync(new ComplaintFilter(status, due), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Created<ComplaintView>, ProblemHttpResult>> Log(NewComplaint body, ComplaintService complaints, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await complaints.LogAsync(body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/complaints/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<ComplaintCounts>, ProblemHttpResult>> Counts(DateOnly? from, DateOnly? to, ComplaintService complaints,
        CancellationToken cancellationToken)
    {
        var outcome = await complaints.CountsAsync(from, to, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<ComplaintView>, ProblemHttpResult>> Get(Guid id, ComplaintService complaints, ClaimsPrincipal user,
        CancellationToken cancellationToken) =>
        await complaints.GetAsync(id, AuditActor.From(user), cancellationToken) is { } view
            ? TypedResults.Ok(view)
            : Problems.From(Outcome<bool>.NotFound("id", "No complaint has this id."));

    public static async Task<Results<Ok<ComplaintView>, ProblemHttpResult>> Acknowledge(Guid id, AcknowledgeRequest body, ComplaintService complaints,
        ClaimsPrincipal user, CancellationToken cancellationToken) =>
        Answer(await complaints.AcknowledgeAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<ComplaintView>, ProblemHttpResult>> Update(Guid id, ComplaintUpdateRequest body, ComplaintService complaints,
        ClaimsPrincipal user, CancellationToken cancellationToken) =>
        Answer(await complaints.AddUpdateAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<ComplaintView>, ProblemHttpResult>> Respond(Guid id, RespondRequest body, ComplaintService complaints,
        ClaimsPrincipal user, CancellationToken cancellationToken) =>
        Answer(await complaints.RespondAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<ComplaintView>, ProblemHttpResult>> Close(Guid id, CloseComplaintRequest body, ComplaintService complaints,
        ClaimsPrincipal user, CancellationToken cancellationToken) =>
        Answer(await complaints.CloseAsync(id, body, AuditActor.From(user), cancellationToken));

    private static Results<Ok<ComplaintView>, ProblemHttpResult> Answer(Outcome<ComplaintView> outcome) =>
        outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
}
