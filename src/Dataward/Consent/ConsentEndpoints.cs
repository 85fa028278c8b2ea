using System.Security.Claims;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Consent;

public sealed record ConsentCheckBatch(IReadOnlyList<ConsentCheckItem> Items);

public sealed record MarketingLinksRequest(string Subject, string Purpose);

/// <summary>/api/consent: purposes (Administrator, DPO), events and checks (any staff role or token).</summary>
public static class ConsentEndpoints
{
    public static void MapConsentEndpoints(this RouteGroupBuilder api)
    {
        var consent = api.MapGroup("/consent").WithTags("Consent").RequireAuthorization(Policies.Staff);
        consent.MapGet("/purposes", ListPurposes).WithSummary("Consent purposes");
        consent.MapPost("/purposes", CreatePurpose).WithSummary("Define a consent purpose").RequireAuthorization(Policies.EditRegister);
        consent.MapGet("/purposes/{key}", GetPurpose).WithSummary("One consent purpose");
        consent.MapPut("/purposes/{key}", UpdatePurpose).WithSummary("Change a purpose's wording, flags or activities (not its key)").RequireAuthorization(Policies.EditRegister);
        consent.MapPost("/purposes/{key}/retire", RetirePurpose).WithSummary("Retire a purpose: withdrawals only from now on").RequireAuthorization(Policies.EditRegister);
        consent.MapDelete("/purposes/{key}", DeletePurpose).WithSummary("Delete a purpose no consent record points at").RequireAuthorization(Policies.EditRegister);
        consent.MapPost("/events", RecordEvent).WithSummary("Record that a person gave or withdrew consent; returns the receipt id");
        consent.MapGet("/check", Check).WithSummary("May this subject's data be processed for this purpose?");
        consent.MapPost("/check", CheckBatch).WithSummary($"Check up to {ConsentService.MaxBatch} subject and purpose pairs");
        consent.MapPost("/links", CreateLinks).WithSummary("Withdrawal links and RFC 8058 List-Unsubscribe headers for a marketing e-mail to this person about this purpose");
        consent.MapGet("/receipts/{id:guid}", Receipt).WithSummary("The consent receipt of an event: Kantara v1.1 shape, or format=iso-27560 for the ISO/IEC TS 27560 record");
    }

    /// <summary>CNS008: the address mail clients POST to (RFC 8058 one-click unsubscribe). Anonymous and without an
    /// antiforgery token by design: the signed link is the proof; a GET never withdraws (scanners prefetch links).</summary>
    public static void MapOneClickUnsubscribe(this IEndpointRouteBuilder app) =>
        app.MapPost("/privacy/unsubscribe", OneClickUnsubscribe).AllowAnonymous().DisableAntiforgery()
            .RequireRateLimiting(DatawardApp.SignInRateLimit).WithTags("Privacy centre")
            .WithSummary("One-click withdrawal from a marketing e-mail (RFC 8058); the token is the link's t parameter");

    public static async Task<Results<Ok<WithdrawalPreview>, ProblemHttpResult>> OneClickUnsubscribe(string? t, ConsentService consent,
        CancellationToken cancellationToken)
    {
        var outcome = await consent.WithdrawByLinkAsync(t, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<MarketingLinks>, ProblemHttpResult>> CreateLinks(MarketingLinksRequest request, ConsentService consent,
        CancellationToken cancellationToken)
    {
        var outcome = await consent.MarketingLinksAsync(request.Subject, request.Purpose, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Ok<IReadOnlyList<ConsentPurposeView>>> ListPurposes(ConsentService consent, CancellationToken cancellationToken) =>
        TypedResults.Ok(await consent.ListPurposesAsync(cancellationToken));

    public static async Task<Results<Ok<ConsentPurposeView>, ProblemHttpResult>> GetPurpose(string key, ConsentService consent, CancellationToken cancellationToken) =>
        await consent.GetPurposeAsync(key, cancellationToken) is { } purpose
            ? TypedResults.Ok(purpose)
            : Problems.From(Domain.Outcome<bool>.NotFound("key", "No purpose has this key."));

    public static async Task<Results<Created<ConsentPurposeView>, ProblemHttpResult>> CreatePurpose(ConsentPurposeRequest request,
        ConsentService consent, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await consent.CreatePurposeAsync(request, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/consent/purposes/{outcome.Value!.Key}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<ConsentPurposeView>, ProblemHttpResult>> UpdatePurpose(string key, ConsentPurposeRequest request,
        ConsentService consent, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await consent.UpdatePurposeAsync(key, request, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<ConsentPurposeView>, ProblemHttpResult>> RetirePurpose(string key, ConsentService consent,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await consent.RetirePurposeAsync(key, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeletePurpose(string key, ConsentService consent, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await consent.DeletePurposeAsync(key, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : Problems.From(outcome);
    }

    public static async Task<Results<Created<RecordedConsent>, ProblemHttpResult>> RecordEvent(ConsentEventRequest request,
        ConsentService consent, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await consent.RecordAsync(request, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created(outcome.Value!.Receipt, outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<ConsentCheck>, ProblemHttpResult>> Check(string subject, string purpose, ConsentChecks consent,
        CancellationToken cancellationToken)
    {
        var outcome = await consent.CheckAsync(subject, purpose, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<IReadOnlyList<ConsentCheckResult>>, ProblemHttpResult>> CheckBatch(ConsentCheckBatch batch,
        ConsentService consent, CancellationToken cancellationToken)
    {
        var outcome = await consent.CheckBatchAsync(batch.Items, cancellationToken);
        if (outcome.Succeeded)
        {
            return TypedResults.Ok(outcome.Value!);
        }
        // CNS014: too many pairs is 413, stating the limit; nothing is answered.
        return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Too many checks", detail: outcome.Describe(),
            extensions: new Dictionary<string, object?> { ["ruleId"] = "CNS014", ["limit"] = ConsentService.MaxBatch });
    }

    public static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> Receipt(Guid id, string? format, ConsentService consent,
        Iso27560ConsentRecords iso, CancellationToken cancellationToken)
    {
        // CNS006: the Kantara receipt by default, the ISO/IEC TS 27560 record of the event's (subject, purpose) on request.
        var iso27560 = string.Equals(format, "iso-27560", StringComparison.OrdinalIgnoreCase);
        if (format is not null && !iso27560 && !string.Equals(format, "kantara", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.From(Domain.Outcome<bool>.Invalid("format", "Use kantara (the default) or iso-27560.", "CNS006"));
        }
        var receipt = iso27560 ? await iso.RecordAsync(id, cancellationToken) : await consent.ReceiptAsync(id, cancellationToken);
        return receipt is not null
            ? TypedResults.Ok(receipt)
            : Problems.From(Domain.Outcome<bool>.NotFound("id", "No consent event has this id."));
    }
}
