using System.Security.Claims;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dataward.Dpias;

/// <summary>/api/dpias: screening of register activities and the DPIAs themselves. Anyone signed in reads; Staff, DPO
/// and Administrator screen and write; the DPO alone advises; the DPO or an Administrator signs off and tracks the
/// prior consultation with the ICO.</summary>
public static class DpiaEndpoints
{
    public static void MapDpiaEndpoints(this RouteGroupBuilder api)
    {
        var dpias = api.MapGroup("/dpias").WithTags("DPIAs").RequireAuthorization(Policies.Staff);
        dpias.MapPost("/screenings", Screen).WithSummary("Screen a register activity: two or more WP248 criteria or any Art. 35(3) case require a DPIA (ACC011)")
            .RequireAuthorization(Policies.EditDpias);
        dpias.MapGet("/screenings", Screenings).WithSummary("Screenings, newest first; activityId narrows to one activity");
        dpias.MapGet("/screenings/{id:guid}", Screening).WithSummary("One screening with its result and reasons");

        dpias.MapGet("/", List).WithSummary("Every DPIA, running ICO consultation clocks first; activityId narrows to one activity");
        dpias.MapPost("/", Create).WithSummary("Start a DPIA of a register activity, with any sections already written (ACC012)")
            .RequireAuthorization(Policies.EditDpias);
        dpias.MapGet("/{id:guid}", Get).WithSummary("One DPIA: sections, risks on the 3x3 matrix, the DPO's advice, sign-off, prior consultation and timeline");
        dpias.MapPut("/{id:guid}", Replace).WithSummary("Replace the sections (If-Match: the version you edited); editing after the DPO's advice needs it again (ACC012)")
            .RequireAuthorization(Policies.EditDpias);
        dpias.MapPatch("/{id:guid}", Patch).WithSummary("Change the sections given, keep the rest (If-Match: the version you edited) (ACC012)")
            .RequireAuthorization(Policies.EditDpias);
        dpias.MapPost("/{id:guid}/risks", AddRisk).WithSummary("Add a risk: likelihood x severity on the fixed scales, measures, residual risk (ACC012)")
            .RequireAuthorization(Policies.EditDpias);
        dpias.MapPut("/{id:guid}/risks/{riskId:guid}", ReplaceRisk).WithSummary("Change a risk (ACC012)").RequireAuthorization(Policies.EditDpias);
        dpias.MapDelete("/{id:guid}/risks/{riskId:guid}", RemoveRisk).WithSummary("Remove a risk").RequireAuthorization(Policies.EditDpias);
        dpias.MapPost("/{id:guid}/advice", Advise).WithSummary("The DPO's advice on this version (Art. 35(2)); DPO only")
            .RequireAuthorization(Policies.AdviseOnDpias);
        dpias.MapPost("/{id:guid}/sign-off", SignOff).WithSummary("Sign off: refused without the DPO's advice, overruling it needs reasons (ACC012); a residual high risk accepted opens a prior consultation (ACC013)")
            .RequireAuthorization(Policies.SignOffDpias);
        dpias.MapPost("/{id:guid}/reviews", Review).WithSummary("Review a signed-off DPIA and set the next review (Art. 35(11))")
            .RequireAuthorization(Policies.SignOffDpias);

        var consultation = dpias.MapGroup("/{id:guid}/consultation").RequireAuthorization(Policies.SignOffDpias);
        consultation.MapPost("/submission", Submit).WithSummary("The request for prior consultation was sent; the ICO's receipt starts the 8-week clock (ACC013)");
        consultation.MapPost("/extension", Extend).WithSummary("The ICO extended its period by 6 weeks, with reasons (ACC013)");
        consultation.MapPost("/suspension", Suspend).WithSummary("The ICO asked for information: its clock stands still (Art. 36(2), ACC013)");
        consultation.MapPost("/resumption", Resume).WithSummary("The information was provided: the clock runs again, later by the days suspended (ACC013)");
        consultation.MapPost("/advice", IcoAdvice).WithSummary("The ICO's written advice arrived: the processing may start unless it advised against (ACC013)");
    }

    public static async Task<Results<Created<DpiaScreeningView>, ProblemHttpResult>> Screen(DpiaScreeningRequest body, DpiaService dpias, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await dpias.ScreenAsync(body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/dpias/screenings/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Ok<IReadOnlyList<DpiaScreeningView>>> Screenings(Guid? activityId, DpiaService dpias, CancellationToken cancellationToken) =>
        TypedResults.Ok(await dpias.ScreeningsAsync(activityId, cancellationToken));

    public static async Task<Results<Ok<DpiaScreeningView>, ProblemHttpResult>> Screening(Guid id, DpiaService dpias, CancellationToken cancellationToken) =>
        await dpias.ScreeningAsync(id, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.From(Outcome<bool>.NotFound("id", "No screening has this id."));

    public static async Task<Ok<IReadOnlyList<DpiaSummary>>> List(Guid? activityId, DpiaService dpias, CancellationToken cancellationToken) =>
        TypedResults.Ok(await dpias.ListAsync(activityId, cancellationToken));

    public static async Task<Results<Created<DpiaView>, ProblemHttpResult>> Create(NewDpia body, DpiaService dpias, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await dpias.CreateAsync(body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/dpias/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<DpiaView>, ProblemHttpResult>> Get(Guid id, DpiaService dpias, HttpResponse response, CancellationToken cancellationToken)
    {
        if (await dpias.GetAsync(id, cancellationToken) is not { } view)
        {
            return Problems.From(Outcome<bool>.NotFound("id", "No DPIA has this id."));
        }
        response.Headers.ETag = $"\"{view.Version}\"";
        return TypedResults.Ok(view);
    }

    public static Task<Results<Ok<DpiaView>, ProblemHttpResult>> Replace(Guid id, DpiaSections body, [FromHeader(Name = "If-Match")] string? ifMatch,
        DpiaService dpias, ClaimsPrincipal user, HttpResponse response, CancellationToken cancellationToken) =>
        UpdateAsync(id, body, patch: false, ifMatch, dpias, user, response, cancellationToken);

    public static Task<Results<Ok<DpiaView>, ProblemHttpResult>> Patch(Guid id, DpiaSections body, [FromHeader(Name = "If-Match")] string? ifMatch,
        DpiaService dpias, ClaimsPrincipal user, HttpResponse response, CancellationToken cancellationToken) =>
        UpdateAsync(id, body, patch: true, ifMatch, dpias, user, response, cancellationToken);

    private static async Task<Results<Ok<DpiaView>, ProblemHttpResult>> UpdateAsync(Guid id, DpiaSections body, bool patch, string? ifMatch, DpiaService dpias,
        ClaimsPrincipal user, HttpResponse response, CancellationToken cancellationToken)
    {
        int? expected = null;
        if (!string.IsNullOrWhiteSpace(ifMatch))
        {
            if (!int.TryParse(ifMatch.Trim().Trim('"'), out var version))
            {
                return Problems.From(Outcome<bool>.Invalid("If-Match", "Send the version you edited, as returned in the ETag (e.g. \"3\")."));
            }
            expected = version;
        }
        var outcome = await dpias.UpdateAsync(id, body, patch, expected, AuditActor.From(user), cancellationToken);
        if (!outcome.Succeeded)
        {
            return Problems.From(outcome);
        }
        response.Headers.ETag = $"\"{outcome.Value!.Version}\"";
        return TypedResults.Ok(outcome.Value);
    }

    public static async Task<Results<Ok<DpiaView>, ProblemHttpResult>> AddRisk(Guid id, DpiaRiskInput body, DpiaService dpias, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await dpias.SaveRiskAsync(id, null, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<DpiaView>, ProblemHttpResult>> ReplaceRisk(Guid id, Guid riskId, DpiaRiskInput body, DpiaService dpias, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await dpias.SaveRiskAsync(id, riskId, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<DpiaView>, ProblemHttpResult>> RemoveRisk(Guid id, Guid riskId, DpiaService dpias, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await dpias.RemoveRiskAsync(id, riskId, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<DpiaView>, ProblemHttpResult>> Advise(Guid id, DpiaAdviceRequest body, DpiaService dpias, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await dpias.AdviseAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<DpiaView>, ProblemHttpResult>> SignOff(Guid id, DpiaSignOffRequest body, DpiaService dpias, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await dpias.SignOffAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<DpiaView>, ProblemHttpResult>> Review(Guid id, DpiaReviewRequest body, DpiaService dpias, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await dpias.ReviewAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<DpiaView>, ProblemHttpResult>> Submit(Guid id, ConsultationSubmissionRequest body, DpiaService dpias, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await dpias.SubmitConsultationAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<DpiaView>, ProblemHttpResult>> Extend(Guid id, ConsultationExtensionRequest body, DpiaService dpias, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await dpias.ExtendConsultationAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<DpiaView>, ProblemHttpResult>> Suspend(Guid id, ConsultationSuspensionRequest body, DpiaService dpias, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await dpias.SuspendConsultationAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<DpiaView>, ProblemHttpResult>> Resume(Guid id, ConsultationResumptionRequest body, DpiaService dpias, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await dpias.ResumeConsultationAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<DpiaView>, ProblemHttpResult>> IcoAdvice(Guid id, IcoAdviceRequest body, DpiaService dpias, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await dpias.RecordIcoAdviceAsync(id, body, AuditActor.From(user), cancellationToken));

    private static Results<Ok<DpiaView>, ProblemHttpResult> Answer(Outcome<DpiaView> outcome) =>
        outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
}
