using System.Security.Claims;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Dataward.Pseudonymisation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Sharing;

/// <summary>/api/sharing: sharing agreements, extracts under them and the export log.</summary>
public static class SharingEndpoints
{
    public static void MapSharingEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/sharing").WithTags("Sharing").RequireAuthorization(Policies.Staff);
        group.MapGet("/agreements", List).WithSummary("Sharing agreements, newest first, with what blocks exports under each today");
        group.MapPost("/agreements", Create).WithSummary("Draft an agreement: recipient, purpose (activity), collection, fields with treatments (MIN020, MIN023)")
            .RequireAuthorization(Policies.EditRegister);
        group.MapGet("/agreements/{agreement}", Get).WithSummary("One agreement, by reference (DSA-2026-0001) or id");
        group.MapPut("/agreements/{agreement}", Update).WithSummary("Replace an agreement's terms, status included (a new version)")
            .RequireAuthorization(Policies.EditRegister);
        group.MapPost("/{agreement}/exports", Export)
            .WithSummary("The extract: only agreed fields, treated as agreed, from the connected dataset; logged with its SHA-256 (MIN018-MIN022)")
            .RequireAuthorization(Policies.ShareExport);
        group.MapGet("/{agreement}/exports", AgreementExports).WithSummary("The export log of one agreement, newest first (MIN022)");
        group.MapGet("/exports", Exports).WithSummary("The export log, newest first: who, when, agreement, records, fields, SHA-256 (MIN022)");
        group.MapPost("/{agreement}/k-anonymity", KAnonymity)
            .WithSummary("k-anonymity of the agreement's extract as it would be made now; counts only (MIN015, MIN016)").RequireAuthorization(Policies.ShareExport);
    }

    public static async Task<Ok<IReadOnlyList<AgreementView>>> List(SharingService sharing, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sharing.ListAsync(cancellationToken));

    public static async Task<Results<Created<AgreementView>, ProblemHttpResult>> Create(AgreementRequest body, SharingService sharing, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await sharing.CreateAsync(body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/sharing/agreements/{outcome.Value!.Reference}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<AgreementView>, ProblemHttpResult>> Get(string agreement, SharingService sharing, CancellationToken cancellationToken) =>
        await sharing.GetAsync(agreement, cancellationToken) is { } view
            ? TypedResults.Ok(view)
            : Problems.From(Outcome<bool>.NotFound("agreement", "No sharing agreement has this reference."));

    public static async Task<Results<Ok<AgreementView>, ProblemHttpResult>> Update(string agreement, AgreementRequest body, SharingService sharing, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await sharing.UpdateAsync(agreement, body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    /// <summary>Writes the extract to a temporary file readable by this process only (deleted when the response ends), so
    /// its SHA-256 is logged before the first byte leaves; the response carries it as <c>Content-Digest</c>.</summary>
    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> Export(string agreement, ExportRequest body, SharingService sharing,
        ClaimsPrincipal user, HttpResponse response, CancellationToken cancellationToken)
    {
        var file = new FileStream(Path.Combine(Path.GetTempPath(), $"dataward-export-{Guid.NewGuid():N}"), SharingExtract.PrivateFile(FileMode.CreateNew, FileAccess.ReadWrite, FileOptions.DeleteOnClose | FileOptions.Asynchronous));
        try
        {
            var outcome = await sharing.ExportAsync(agreement, body, file, "download", AuditActor.From(user), cancellationToken);
            if (!outcome.Succeeded)
            {
                await file.DisposeAsync();
                return Problems.From(outcome);
            }
            var export = outcome.Value!;
            file.Position = 0;
            response.Headers["Content-Digest"] = $"sha-256=:{Convert.ToBase64String(Convert.FromHexString(export.Sha256))}:";
            response.Headers["Dataward-Export-Id"] = export.Id.ToString();
            response.Headers["Dataward-Export-Label"] = export.Label;
            response.Headers["Dataward-Export-Records"] = export.Records.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Stream(file, export.Format == SharingExtract.Json ? "application/json" : "text/csv; charset=utf-8",
                $"{export.Agreement}-{export.FinishedAt:yyyyMMdd-HHmmss}.{export.Format}");
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    public static async Task<Results<Ok<IReadOnlyList<ExportView>>, ProblemHttpResult>> AgreementExports(string agreement, SharingService sharing,
        CancellationToken cancellationToken)
    {
        var outcome = await sharing.ExportsAsync(agreement, 1000, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Ok<IReadOnlyList<ExportView>>> Exports(SharingService sharing, int? limit, CancellationToken cancellationToken) =>
        TypedResults.Ok((await sharing.ExportsAsync(null, limit ?? 200, cancellationToken)).Value!);

    public static async Task<Results<Ok<KAnonymityView>, ProblemHttpResult>> KAnonymity(string agreement, AgreementKAnonymityRequest body, SharingService sharing,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await sharing.KAnonymityAsync(agreement, body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }
}
