using System.Security.Claims;
using Dataward.Domain.Audit;
using Dataward.Platform.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Audit;

public sealed record AuditEntryResponse(long Sequence, DateTimeOffset Time, string Actor, string Action, string Target,
    System.Text.Json.Nodes.JsonNode? Details, string PreviousHash, string Hash)
{
    public static AuditEntryResponse From(AuditEntry e) => new(e.Sequence, e.Time, e.Actor, e.Action, e.Target,
        System.Text.Json.Nodes.JsonNode.Parse(e.Details), e.PreviousHash, e.Hash);
}

public sealed record AuditPageResponse(IReadOnlyList<AuditEntryResponse> Items, int Total, int Page, int PageSize);

/// <summary>Whether the chain is intact; if not, the first entry that breaks it and why.</summary>
public sealed record AuditVerificationResponse(bool Intact, long Count, long? FirstBrokenSequence, string? Reason);

/// <summary>/api/audit: read, verify and export the trail (Administrator, DPO, Auditor).</summary>
public static class AuditEndpoints
{
    public const int MaxPageSize = 500;

    public static void MapAuditEndpoints(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit").RequireAuthorization(Policies.ReadAudit);
        audit.MapGet("/", ListEntries).WithSummary("Browse the audit trail, newest first");
        audit.MapGet("/verify", Verify).WithSummary("Verify the hash chain");
        audit.MapGet("/export.csv", Export).WithSummary("Export matching entries as CSV, in chain order");
    }

    public static async Task<Results<Ok<AuditPageResponse>, ProblemHttpResult>> ListEntries(AuditTrail trail,
        string? action, string? actor, string? target, DateTimeOffset? from, DateTimeOffset? to, int? page, int? pageSize,
        CancellationToken cancellationToken)
    {
        var size = pageSize ?? 50;
        if (size is < 1 or > MaxPageSize || page is < 1)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid input",
                detail: $"page starts at 1; pageSize is between 1 and {MaxPageSize}.",
                extensions: new Dictionary<string, object?>
                {
                    ["errors"] = new Dictionary<string, string[]>
                    { [page is < 1 ? "page" : "pageSize"] = ["Out of range."] }
                });
        }
        var (entries, total) = await trail.PageAsync(new AuditQuery(action, actor, target, from, to), page ?? 1, size, cancellationToken);
        return TypedResults.Ok(new AuditPageResponse(entries.Select(AuditEntryResponse.From).ToList(), total, page ?? 1, size));
    }

    public static async Task<Ok<AuditVerificationResponse>> Verify(AuditTrail trail, CancellationToken cancellationToken)
    {
        var result = await trail.VerifyAsync(cancellationToken);
        return TypedResults.Ok(new AuditVerificationResponse(result.Intact, result.Count, result.FirstBrokenSequence, result.Reason));
    }

    public static async Task Export(HttpContext context, AuditTrail trail, ClaimsPrincipal user,
        string? action, string? actor, string? target, DateTimeOffset? from, DateTimeOffset? to)
    {
        var query = new AuditQuery(action, actor, target, from, to);
        await trail.RecordAsync(AuditActor.From(user), "audit.exported", "", null, context.RequestAborted);
        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = "attachment; filename=\"dataward-audit.csv\"";
        await using var writer = new StreamWriter(context.Response.Body, leaveOpen: true);
        await trail.ExportCsvAsync(query, writer, context.RequestAborted);
    }
}
