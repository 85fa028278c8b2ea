using System.Security.Claims;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Breaches;

/// <summary>/api/breaches: the breach register. Any staff member reports; the DPO (or an administrator) handles.</summary>
public static class BreachEndpoints
{
    public static void MapBreachEndpoints(this RouteGroupBuilder api)
    {
        var breaches = api.MapGroup("/breaches").WithTags("Breaches").RequireAuthorization(Policies.Staff);
        breaches.MapGet("/", List).WithSummary("Every breach, notified or not, with the ICO clock; format=csv exports the register (ACC005)");
        breaches.MapPost("/", Report).WithSummary("Report a suspected breach; the DPO is e-mailed at once (ACC002)").RequireAuthorization(Policies.ReportBreaches);
        breaches.MapGet("/{id:guid}", Get).WithSummary("One breach with its clock, assessment, decisions, actions and timeline");
        breaches.MapPost("/{id:guid}/triage", Triage).WithSummary("A breach or not, with reasons; awareAt starts the 72-hour clock (ACC001, ACC002, ACC004)")
            .RequireAuthorization(Policies.HandleBreaches);
        breaches.MapPost("/{id:guid}/assessment", Assess).WithSummary("ENISA severity and the risk level with its reason (ACC009, ACC004)")
            .RequireAuthorization(Policies.HandleBreaches);
        breaches.MapPost("/{id:guid}/decisions", Decide).WithSummary("Notify the ICO or not; tell people or not, with the Art. 34(3) exception (ACC004, ACC006, ACC007)")
            .RequireAuthorization(Policies.HandleBreaches);
        breaches.MapPost("/{id:guid}/ico-notifications", Notified).WithSummary("Record a report sent to the ICO; late ones need reasons (ACC003)")
            .RequireAuthorization(Policies.HandleBreaches);
        breaches.MapGet("/{id:guid}/ico-report", IcoReport).WithSummary("The ICO notification draft with every Art. 33(3) item; format=html for a readable page (ACC008)")
            .RequireAuthorization(Policies.HandleBreaches);
        breaches.MapGet("/{id:guid}/letter", Letter).WithSummary("The Art. 34(2) letter to the people affected (ACC008)").RequireAuthorization(Policies.HandleBreaches);
        breaches.MapPut("/{id:guid}/affected-people", AffectedPeople).WithSummary("The affected people's e-mail addresses, kept encrypted")
            .RequireAuthorization(Policies.HandleBreaches);
        breaches.MapPost("/{id:guid}/letter/send", SendLetter).WithSummary("Send the letter to every known affected person through the outbox")
            .RequireAuthorization(Policies.HandleBreaches);
        breaches.MapPost("/{id:guid}/actions", AddAction).WithSummary("A follow-up action: description, owner, due date").RequireAuthorization(Policies.HandleBreaches);
        breaches.MapPost("/{id:guid}/actions/{actionId:guid}/done", ActionDone).WithSummary("Mark an action done").RequireAuthorization(Policies.HandleBreaches);
        breaches.MapPost("/{id:guid}/actions/{actionId:guid}/waive", ActionWaived).WithSummary("Waive an action, with a reason (ACC010)")
            .RequireAuthorization(Policies.HandleBreaches);
        breaches.MapPost("/{id:guid}/close", Close).WithSummary("Close once every action is done or waived; the breach stays in the register (ACC010)")
            .RequireAuthorization(Policies.HandleBreaches);
    }

    public static async Task<Results<Ok<IReadOnlyList<BreachSummary>>, FileContentHttpResult, ProblemHttpResult>> List(BreachService breaches, string? format,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        switch (format)
        {
            case null or "" or "json":
                return TypedResults.Ok(await breaches.ListAsync(cancellationToken));
            case "csv":
                await using (var writer = new StringWriter())
                {
                    await breaches.ExportCsvAsync(writer, AuditActor.From(user), cancellationToken);
                    return TypedResults.File(System.Text.Encoding.UTF8.GetBytes(writer.ToString()), "text/csv; charset=utf-8", "dataward-breaches.csv");
                }
            default:
                return Problems.From(Outcome<bool>.Invalid("format", "Use json or csv."));
        }
    }

    public static async Task<Results<Created<BreachView>, ProblemHttpResult>> Report(NewBreach body, BreachService breaches, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await breaches.ReportAsync(body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/breaches/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<BreachView>, ProblemHttpResult>> Get(Guid id, BreachService breaches, CancellationToken cancellationToken) =>
        await breaches.GetAsync(id, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.From(Outcome<bool>.NotFound("id", "No breach has this id."));

    public static async Task<Results<Ok<BreachView>, ProblemHttpResult>> Triage(Guid id, TriageRequest body, BreachService breaches, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await breaches.TriageAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<BreachView>, ProblemHttpResult>> Assess(Guid id, AssessmentRequest body, BreachService breaches, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await breaches.AssessAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<BreachView>, ProblemHttpResult>> Decide(Guid id, DecisionRequest body, BreachService breaches, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await breaches.DecideAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<BreachView>, ProblemHttpResult>> Notified(Guid id, IcoNotificationRequest body, BreachService breaches, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await breaches.RecordIcoNotificationAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<JsonObject>, ContentHttpResult, ProblemHttpResult>> IcoReport(Guid id, string? format, BreachService breaches,
        CancellationToken cancellationToken)
    {
        if (format is not (null or "" or "json" or "html"))
        {
            return Problems.From(Outcome<bool>.Invalid("format", "Use json or html."));
        }
        var outcome = await breaches.IcoReportAsync(id, cancellationToken);
        if (!outcome.Succeeded)
        {
            return Problems.From(outcome);
        }
        return format == "html" ? TypedResults.Text(BreachService.IcoReportHtml(outcome.Value!), "text/html; charset=utf-8") : TypedResults.Ok(outcome.Value!);
    }

    public static async Task<Results<Ok<BreachLetter>, ProblemHttpResult>> Letter(Guid id, BreachService breaches, CancellationToken cancellationToken)
    {
        var outcome = await breaches.LetterAsync(id, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<BreachView>, ProblemHttpResult>> AffectedPeople(Guid id, AffectedPeopleRequest body, BreachService breaches,
        ClaimsPrincipal user, CancellationToken cancellationToken) => Answer(await breaches.SetAffectedPeopleAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<BreachView>, ProblemHttpResult>> SendLetter(Guid id, BreachService breaches, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await breaches.SendLetterAsync(id, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<BreachView>, ProblemHttpResult>> AddAction(Guid id, ActionRequest body, BreachService breaches, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await breaches.AddActionAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<BreachView>, ProblemHttpResult>> ActionDone(Guid id, Guid actionId, BreachService breaches, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await breaches.FinishActionAsync(id, actionId, null, waive: false, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<BreachView>, ProblemHttpResult>> ActionWaived(Guid id, Guid actionId, WaiveRequest body, BreachService breaches,
        ClaimsPrincipal user, CancellationToken cancellationToken) =>
        Answer(await breaches.FinishActionAsync(id, actionId, body.Reason, waive: true, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<BreachView>, ProblemHttpResult>> Close(Guid id, CloseRequest body, BreachService breaches, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await breaches.CloseAsync(id, body, AuditActor.From(user), cancellationToken));

    private static Results<Ok<BreachView>, ProblemHttpResult> Answer(Outcome<BreachView> outcome) =>
        outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
}
