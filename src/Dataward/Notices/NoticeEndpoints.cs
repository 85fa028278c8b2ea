using System.Security.Claims;
using Dataward.Audit;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Notices;

/// <summary>/api/notices: privacy notices, drafted and published by the Administrator or DPO.</summary>
public static class NoticeEndpoints
{
    public static void MapNoticeEndpoints(this RouteGroupBuilder api)
    {
        var notices = api.MapGroup("/notices").WithTags("Notices").RequireAuthorization(Policies.Staff);
        notices.MapGet("/", ListNotices).WithSummary("Notices, published versions and drafts");
        notices.MapPost("/", CreateNotice).WithSummary("Draft a notice").RequireAuthorization(Policies.EditRegister);
        notices.MapGet("/{id:guid}", GetNotice).WithSummary("One notice");
        notices.MapPost("/{id:guid}/publish", PublishNotice).WithSummary("Publish a draft as the next version; it never changes again").RequireAuthorization(Policies.EditRegister);
        notices.MapGet("/{id:guid}/renewals", Renewals).WithSummary("For a substantial version: how many people renewed their consent, per purpose (CNS018)");
        notices.MapGet("/versions/{version}", GetVersion).WithSummary("The published notice with this version");
    }

    public static async Task<Ok<IReadOnlyList<NoticeView>>> ListNotices(NoticeService notices, CancellationToken cancellationToken) =>
        TypedResults.Ok(await notices.ListAsync(cancellationToken));

    public static async Task<Results<Created<NoticeView>, ProblemHttpResult>> CreateNotice(NoticeRequest request, NoticeService notices,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await notices.CreateAsync(request, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/notices/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<NoticeView>, ProblemHttpResult>> GetNotice(Guid id, NoticeService notices, CancellationToken cancellationToken) =>
        await notices.GetAsync(id, cancellationToken) is { } notice
            ? TypedResults.Ok(notice)
            : Problems.From(Domain.Outcome<bool>.NotFound("id", "No notice has this id."));

    public static async Task<Results<Ok<NoticeView>, ProblemHttpResult>> PublishNotice(Guid id, NoticeService notices, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await notices.PublishAsync(id, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<IReadOnlyList<Consent.RenewalCount>>, ProblemHttpResult>> Renewals(Guid id, NoticeService notices,
        CancellationToken cancellationToken) =>
        await notices.RenewalsAsync(id, cancellationToken) is { } counts
            ? TypedResults.Ok(counts)
            : Problems.From(Domain.Outcome<bool>.NotFound("id", "No notice has this id."));

    public static async Task<Results<Ok<NoticeView>, ProblemHttpResult>> GetVersion(string version, NoticeService notices, CancellationToken cancellationToken) =>
        await notices.PublishedAsync(version, cancellationToken) is { } notice
            ? TypedResults.Ok(notice)
            : Problems.From(Domain.Outcome<bool>.NotFound("version", "No published notice has this version."));
}
