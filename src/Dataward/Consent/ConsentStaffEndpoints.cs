using System.Security.Claims;
using System.Text;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Domain.Consent;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dataward.Consent;

/// <summary>A person named in a request body rather than a URL, so the identifier stays out of access logs.</summary>
public sealed record ConsentSubjectRequest(string Subject);

/// <summary>/api/consent, the staff side: a person's record (CNS023), proof exports (CNS022), erasure (CNS024) and counts
/// over time. Records and proof: Administrator, DPO, Auditor; erasure: Administrator, DPO; counts: any staff role.</summary>
public static class ConsentStaffEndpoints
{
    public static void MapConsentStaffEndpoints(this RouteGroupBuilder api)
    {
        var consent = api.MapGroup("/consent").WithTags("Consent").RequireAuthorization(Policies.Staff);
        consent.MapGet("/subjects/{subject}/history", History).RequireAuthorization(Policies.ReadConsentSubjects)
            .WithSummary("A person's consent events and current states, identifier decrypted; audited (CNS023)");
        consent.MapPost("/subjects/erase", Erase).RequireAuthorization(Policies.EraseConsentSubjects)
            .WithSummary("Erase a person's identifiers from the ledger, keeping the events by keyed hash (CNS024)");
        consent.MapPost("/proof", Proof).RequireAuthorization(Policies.ReadConsentSubjects)
            .WithSummary($"Proof of consent for a person or a purpose, JSON or HTML, at most {ConsentProofService.DefaultMaxEvents} events by default; audited (CNS022)");
        consent.MapGet("/purposes/{key}/counts", Counts)
            .WithSummary("How many people consented to a purpose, per day, week or month over a period (default: the last 90 days)");
    }

    /// <summary>The staff page's proof download: a plain form post (antiforgery-checked), answered with the file.</summary>
    public static void MapConsentStaffForms(this IEndpointRouteBuilder app) =>
        app.MapPost("/consent/subjects/proof", ProofForm).RequireAuthorization(Policies.ReadConsentSubjects).ExcludeFromDescription();

    public static async Task<Results<Ok<ConsentSubjectHistory>, ProblemHttpResult>> History(string subject, ConsentSubjects subjects,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await subjects.OpenAsync(subject, AuditActor.From(user), "api", cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<ConsentErasure>, ProblemHttpResult>> Erase(ConsentSubjectRequest request, ConsentSubjects subjects,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await subjects.EraseSubjectAsync(request.Subject, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<JsonObject>, FileContentHttpResult, ProblemHttpResult>> Proof(ConsentProofRequest request,
        ConsentProofService proofs, KeyRing keys, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await proofs.ExportAsync(request, AuditActor.From(user), cancellationToken);
        if (!outcome.Succeeded)
        {
            return TooMany(outcome, proofs.MaxEvents) ?? Problems.From(outcome);
        }
        return ConsentProofService.FormatOf(request.Format) == "html"
            ? TypedResults.File(Encoding.UTF8.GetBytes(proofs.Html(outcome.Value!)), "text/html; charset=utf-8",
                ConsentProofService.FileName(outcome.Value!, "html"))
            : TypedResults.Ok(outcome.Value!.ToJson(keys));
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ProofForm([FromForm] string? subject, [FromForm] string? format,
        ConsentProofService proofs, KeyRing keys, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await proofs.ExportAsync(new ConsentProofRequest(subject ?? "", Format: format), AuditActor.From(user), cancellationToken);
        if (!outcome.Succeeded)
        {
            return TooMany(outcome, proofs.MaxEvents) ?? Problems.From(outcome);
        }
        return ConsentProofService.FormatOf(format) == "html"
            ? TypedResults.File(Encoding.UTF8.GetBytes(proofs.Html(outcome.Value!)), "text/html; charset=utf-8", ConsentProofService.FileName(outcome.Value!, "html"))
            : TypedResults.File(Encoding.UTF8.GetBytes(outcome.Value!.ToJson(keys).ToJsonString()), "application/json", ConsentProofService.FileName(outcome.Value!, "json"));
    }

    /// <summary>CNS022: a proof larger than one export holds is 413, stating the limit; nothing is exported.</summary>
    private static ProblemHttpResult? TooMany<T>(Outcome<T> outcome, int limit) =>
        outcome.Violations.Any(v => v.Field == ConsentProofService.TooManyField)
            ? TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Too many events", detail: outcome.Describe(),
                extensions: new Dictionary<string, object?> { ["ruleId"] = "CNS022", ["limit"] = limit })
            : null;

    public static async Task<Results<Ok<ConsentCountSeries>, ProblemHttpResult>> Counts(string key, DateOnly? from, DateOnly? to, ConsentTrends trends,
        CancellationToken cancellationToken)
    {
        var outcome = await trends.PurposeAsync(key, from, to, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }
}
