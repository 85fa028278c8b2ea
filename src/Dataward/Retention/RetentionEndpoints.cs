using System.Security.Claims;
using Dataward.Audit;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Retention;

/// <summary>/api/retention: the retention schedule, sweeps, legal holds and the erasure ledger. Staff read and dry-run;
/// Administrator and DPO write rules, place holds and apply sweeps; the DPO alone signs off reviews.</summary>
public static class RetentionEndpoints
{
    public static void MapRetentionEndpoints(this RouteGroupBuilder api)
    {
        var retention = api.MapGroup("/retention").WithTags("Retention").RequireAuthorization(Policies.Staff);
        var rules = retention.MapGroup("/rules");
        rules.MapGet("/", ListRules).WithSummary("The retention schedule: every rule, with its review state (MIN006)");
        rules.MapPost("/", CreateRule).WithSummary("Add a rule: dataset, collection, date trigger field, ISO 8601 period, action (default review) and reason (MIN001, MIN023)")
            .RequireAuthorization(Policies.EditRegister);
        rules.MapGet("/{id:guid}", GetRule).WithSummary("One retention rule");
        rules.MapPut("/{id:guid}", ReplaceRule).WithSummary("Replace a rule; a new version needs a dry run before it is applied (MIN002)")
            .RequireAuthorization(Policies.EditRegister);
        rules.MapPatch("/{id:guid}", PatchRule).WithSummary("Change the fields given (an empty string clears an optional one)")
            .RequireAuthorization(Policies.EditRegister);
        rules.MapDelete("/{id:guid}", RetireRule).WithSummary("Delete a rule no sweep has applied; retire one that has")
            .RequireAuthorization(Policies.EditRegister);
        rules.MapPost("/{id:guid}/review", ReviewRule).WithSummary("Sign off the rule's annual review (DPO, MIN006)")
            .RequireAuthorization(Policies.ReviewRegister);
        rules.MapGet("/export", ExportSchedule).WithSummary("The schedule as CSV (default) or XLSX; /retention/print is the printable page")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");

        var sweeps = retention.MapGroup("/sweeps");
        sweeps.MapPost("/", StartSweep).WithSummary("Sweep the schedule: a dry run unless dryRun is false (applying needs Administrator or DPO); counts per rule and collection");
        sweeps.MapGet("/", ListSweeps).WithSummary("Recent sweeps and replays, newest first");
        sweeps.MapGet("/{id:guid}", GetSweep).WithSummary("One sweep: status and counts per rule and collection (MIN005)");
        sweeps.MapPost("/{id:guid}/resume", ResumeSweep).WithSummary("Resume a paused sweep now, from each rule's checkpoint (MIN004)")
            .RequireAuthorization(Policies.EditRegister);

        var holds = retention.MapGroup("/holds");
        holds.MapGet("/", ListHolds).WithSummary("Legal holds (the identity is never shown, only its kind and a keyed reference)");
        holds.MapPost("/", PlaceHold).WithSummary("Place a legal hold on a person: sweeps skip their rows (MIN003)").RequireAuthorization(Policies.EditRegister);
        holds.MapPost("/{id:guid}/release", ReleaseHold).WithSummary("Release a legal hold").RequireAuthorization(Policies.EditRegister);

        var erasures = retention.MapGroup("/erasures");
        erasures.MapGet("/", ListErasures).WithSummary("The erasure ledger by rule and collection: rows erased, counts only (MIN008)");
        erasures.MapPost("/replay", Replay).WithSummary("After a backup restore, apply the recorded erasures again (a dry run unless dryRun is false, MIN008)")
            .RequireAuthorization(Policies.EditRegister);
    }

    public static async Task<Ok<IReadOnlyList<RetentionRuleView>>> ListRules(RetentionService retention, CancellationToken cancellationToken) =>
        TypedResults.Ok(await retention.ListAsync(cancellationToken: cancellationToken));

    public static async Task<Results<Created<RetentionRuleView>, ProblemHttpResult>> CreateRule(RetentionRuleRequest request, RetentionService retention,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await retention.CreateAsync(request, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/retention/rules/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<RetentionRuleView>, ProblemHttpResult>> GetRule(Guid id, RetentionService retention, CancellationToken cancellationToken) =>
        await retention.GetAsync(id, cancellationToken) is { } rule ? TypedResults.Ok(rule) : Problems.From(Domain.Outcome<bool>.NotFound("id", "No retention rule has this id."));

    public static async Task<Results<Ok<RetentionRuleView>, ProblemHttpResult>> ReplaceRule(Guid id, RetentionRuleRequest request, RetentionService retention,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await retention.UpdateAsync(id, request, partial: false, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<RetentionRuleView>, ProblemHttpResult>> PatchRule(Guid id, RetentionRuleRequest request, RetentionService retention,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await retention.UpdateAsync(id, request, partial: true, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RetireRule(Guid id, RetentionService retention, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await retention.RetireAsync(id, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : Problems.From(outcome);
    }

    public static async Task<Results<Ok<RetentionRuleView>, ProblemHttpResult>> ReviewRule(Guid id, RetentionReviewRequest? request, RetentionService retention,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await retention.ReviewAsync(id, request?.Notes, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> ExportSchedule(string? format, RetentionService retention,
        CancellationToken cancellationToken)
    {
        var parsed = format?.ToLowerInvariant() switch
        {
            null or "" or "csv" => ScheduleFormat.Csv,
            "xlsx" => (ScheduleFormat?)ScheduleFormat.Xlsx,
            _ => null,
        };
        if (parsed is not { } chosen)
        {
            return Problems.From(Domain.Outcome<bool>.Invalid("format", "Use csv or xlsx (the printable page is /retention/print)."));
        }
        var buffer = new MemoryStream();
        await retention.WriteScheduleAsync(chosen, buffer, cancellationToken);
        buffer.Position = 0;
        return chosen == ScheduleFormat.Csv
            ? TypedResults.File(buffer, "text/csv; charset=utf-8", "retention-schedule.csv")
            : TypedResults.File(buffer, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "retention-schedule.xlsx");
    }

    public static async Task<Results<Created<SweepView>, ProblemHttpResult>> StartSweep(SweepRequest? request, RetentionSweeps sweeps, ClaimsPrincipal user,
        IAuthorizationService authorization, CancellationToken cancellationToken)
    {
        request ??= new SweepRequest();
        if (!request.DryRun && !(await authorization.AuthorizeAsync(user, Policies.EditRegister)).Succeeded)
        {
            return Problems.From(Domain.Outcome<bool>.Fail(Domain.FailureKind.Forbidden,
                new Domain.Violation("dryRun", "Applying a sweep is for an Administrator or the DPO; anyone on the staff may run a dry run.")));
        }
        var outcome = await sweeps.StartAsync(request, AuditActor.From(user), "api", cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/retention/sweeps/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Ok<IReadOnlyList<SweepView>>> ListSweeps(RetentionSweeps sweeps, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sweeps.ListAsync(cancellationToken: cancellationToken));

    public static async Task<Results<Ok<SweepView>, ProblemHttpResult>> GetSweep(Guid id, RetentionSweeps sweeps, CancellationToken cancellationToken) =>
        await sweeps.GetAsync(id, cancellationToken) is { } sweep ? TypedResults.Ok(sweep) : Problems.From(Domain.Outcome<bool>.NotFound("id", "No sweep has this id."));

    public static async Task<Results<Ok<SweepView>, ProblemHttpResult>> ResumeSweep(Guid id, RetentionSweeps sweeps, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await sweeps.ResumeAsync(id, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Ok<IReadOnlyList<LegalHoldView>>> ListHolds(RetentionService retention, CancellationToken cancellationToken) =>
        TypedResults.Ok(await retention.HoldsAsync(cancellationToken));

    public static async Task<Results<Created<LegalHoldView>, ProblemHttpResult>> PlaceHold(LegalHoldRequest request, RetentionService retention,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await retention.PlaceHoldAsync(request, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/retention/holds/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<LegalHoldView>, ProblemHttpResult>> ReleaseHold(Guid id, LegalHoldRelease? request, RetentionService retention,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await retention.ReleaseHoldAsync(id, request?.Reason, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Ok<IReadOnlyList<ErasureLedgerEntry>>> ListErasures(RetentionSweeps sweeps, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sweeps.ErasuresAsync(cancellationToken));

    public static async Task<Created<SweepView>> Replay(SweepRequest? request, RetentionSweeps sweeps, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var view = await sweeps.ReplayAsync(request?.DryRun ?? true, AuditActor.From(user), "api", cancellationToken);
        return TypedResults.Created($"/api/retention/sweeps/{view.Id}", view);
    }
}
