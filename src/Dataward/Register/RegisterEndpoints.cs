using System.Security.Claims;
using Dataward.Audit;
using Dataward.Domain.Register;
using Dataward.Domain.Taxonomy;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dataward.Register;

public sealed record ReviewRequest(string? Notes = null);

public sealed record CheckResponse(int Errors, int Warnings, IReadOnlyList<CheckViolation> Violations);

/// <summary>An organisation-defined prohibition as the API takes it; omitted criteria match anything.</summary>
public sealed record PolicyRuleRequest(string Key, string Name, IReadOnlyList<string>? DataCategories = null,
    IReadOnlyList<string>? DataUses = null, IReadOnlyList<string>? Sources = null, IReadOnlyList<string>? DataSubjects = null)
{
    public PolicyRule ToRule() => new(Key.Trim(), Name.Trim(), DataCategories ?? [], DataUses ?? [], Sources ?? [], DataSubjects ?? []);
}

/// <summary>/api/register: the Art. 30 record. Anyone signed in reads; Administrator and DPO write; the DPO reviews.</summary>
public static class RegisterEndpoints
{
    public static void MapRegisterEndpoints(this RouteGroupBuilder api)
    {
        var register = api.MapGroup("/register").WithTags("Register").RequireAuthorization(Policies.Staff);
        register.MapGet("/organisation", GetOrganisation).WithSummary("The controller's details (Art. 30(1)(a))");
        register.MapPut("/organisation", SetOrganisation).WithSummary("Record the controller's details").RequireAuthorization(Policies.EditRegister);

        var activities = register.MapGroup("/activities");
        activities.MapGet("/", ListActivities).WithSummary("List processing activities, with filters");
        activities.MapPost("/", CreateActivity).WithSummary("Record a processing activity").RequireAuthorization(Policies.EditRegister);
        activities.MapGet("/{id:guid}", GetActivity).WithSummary("One processing activity");
        activities.MapPut("/{id:guid}", UpdateActivity).WithSummary("Change a processing activity (If-Match: the version you edited)").RequireAuthorization(Policies.EditRegister);
        activities.MapDelete("/{id:guid}", DeleteActivity).WithSummary("Delete a draft activity").RequireAuthorization(Policies.EditRegister);
        activities.MapPost("/{id:guid}/reviews", ReviewActivity).WithSummary("Sign off the periodic review (DPO)").RequireAuthorization(Policies.ReviewRegister);
        activities.MapGet("/{id:guid}/reviews", ListReviews).WithSummary("Reviews of an activity, newest first");
        activities.MapGet("/{id:guid}/versions", ListVersions).WithSummary("Versions of an activity: who changed it and when");
        activities.MapGet("/{id:guid}/versions/{from:int}/diff/{to:int}", Diff).WithSummary("What changed between two versions");

        register.MapGet("/export", Export).WithSummary("The whole register as YAML (default), JSON, CSV or XLSX (ICO template columns)")
            .Produces<RegisterDocument>(StatusCodes.Status200OK, "application/json", "application/yaml", "text/csv");
        register.MapPost("/import", Import).WithSummary("Apply a YAML or JSON register file; nothing changes if any part is invalid")
            .Accepts<RegisterDocument>("application/yaml", "application/json").RequireAuthorization(Policies.EditRegister)
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(RegisterFile.MaxBytes));
        register.MapGet("/check", Check).WithSummary("Run the register checks (REG015-REG020 and policy rules)");
        register.MapGet("/policies", ListPolicies).WithSummary("Policy prohibitions: the shipped defaults and the organisation's own");
        register.MapPost("/policies", AddPolicy).WithSummary("Add a prohibition (data category x use x source x subject)").RequireAuthorization(Policies.EditRegister);
    }

    public static async Task<Ok<Organisation>> GetOrganisation(RegisterService register, CancellationToken cancellationToken) =>
        TypedResults.Ok(await register.OrganisationAsync(cancellationToken));

    public static async Task<Results<Ok<Organisation>, ProblemHttpResult>> SetOrganisation(Organisation organisation,
        RegisterService register, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await register.SetOrganisationAsync(organisation, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<IReadOnlyList<ActivityView>>, ProblemHttpResult>> ListActivities(RegisterService register,
        bool? overdue, string? lawfulBasis, bool? specialCategory, string? status, string? owner, CancellationToken cancellationToken)
    {
        if (lawfulBasis is not null && !LawfulBases.All.Contains(lawfulBasis))
        {
            return Problems.From(Domain.Outcome<bool>.Invalid("lawfulBasis", $"Use one of {string.Join(", ", LawfulBases.All)}.", "REG001"));
        }
        if (status is not null && !ActivityStatus.All.Contains(status))
        {
            return Problems.From(Domain.Outcome<bool>.Invalid("status", $"Use one of {string.Join(", ", ActivityStatus.All)}."));
        }
        return TypedResults.Ok(await register.ListAsync(new ActivityFilter(overdue, lawfulBasis, specialCategory, status, owner), cancellationToken));
    }

    public static async Task<Results<Ok<ActivityView>, ProblemHttpResult>> GetActivity(Guid id, RegisterService register,
        HttpResponse response, CancellationToken cancellationToken)
    {
        if (await register.GetAsync(id, cancellationToken) is not { } activity)
        {
            return Problems.From(Domain.Outcome<bool>.NotFound("id", "No activity has this id."));
        }
        response.Headers.ETag = $"\"{activity.Version}\"";
        return TypedResults.Ok(activity);
    }

    public static async Task<Results<Created<ActivityView>, ProblemHttpResult>> CreateActivity(ProcessingActivity activity,
        RegisterService register, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await register.CreateAsync(activity, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/register/activities/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<ActivityView>, ProblemHttpResult>> UpdateActivity(Guid id, ProcessingActivity activity,
        [FromHeader(Name = "If-Match")] string? ifMatch, RegisterService register, ClaimsPrincipal user, HttpResponse response,
        CancellationToken cancellationToken)
    {
        int? expected = null;
        if (!string.IsNullOrWhiteSpace(ifMatch))
        {
            if (!int.TryParse(ifMatch.Trim().Trim('"'), out var version))
            {
                return Problems.From(Domain.Outcome<bool>.Invalid("If-Match", "Send the version you edited, as returned in the ETag (e.g. \"3\")."));
            }
            expected = version;
        }
        var outcome = await register.UpdateAsync(id, activity, expected, AuditActor.From(user), cancellationToken);
        if (!outcome.Succeeded)
        {
            return Problems.From(outcome);
        }
        response.Headers.ETag = $"\"{outcome.Value!.Version}\"";
        return TypedResults.Ok(outcome.Value);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteActivity(Guid id, RegisterService register, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await register.DeleteAsync(id, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : Problems.From(outcome);
    }

    public static async Task<Results<Ok<ActivityView>, ProblemHttpResult>> ReviewActivity(Guid id, ReviewRequest request,
        RegisterService register, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await register.ReviewAsync(id, request.Notes, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Ok<IReadOnlyList<ActivityReviewView>>> ListReviews(Guid id, RegisterService register, CancellationToken cancellationToken) =>
        TypedResults.Ok(await register.ReviewsAsync(id, cancellationToken));

    public static async Task<Ok<IReadOnlyList<ActivityVersionView>>> ListVersions(Guid id, RegisterService register, CancellationToken cancellationToken) =>
        TypedResults.Ok(await register.HistoryAsync(id, cancellationToken));

    public static async Task<Results<Ok<IReadOnlyList<FieldChange>>, ProblemHttpResult>> Diff(Guid id, int from, int to,
        RegisterService register, CancellationToken cancellationToken)
    {
        var outcome = await register.DiffAsync(id, from, to, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> Export(string? format, RegisterService register,
        CancellationToken cancellationToken)
    {
        if (!RegisterFile.TryParseFormat(format, out var parsed))
        {
            return Problems.From(Domain.Outcome<bool>.Invalid("format", "Use yaml, json, csv or xlsx."));
        }
        var document = await register.ExportAsync(cancellationToken);
        var activities = await register.ListAsync(new ActivityFilter(), cancellationToken);
        var buffer = new MemoryStream();
        await RegisterFile.WriteAsync(document, activities, parsed, buffer, cancellationToken);
        buffer.Position = 0;
        return TypedResults.File(buffer, RegisterFile.ContentType(parsed), $"register.{parsed.ToString().ToLowerInvariant()}");
    }

    public static async Task<Results<Ok<ImportSummary>, ProblemHttpResult>> Import(HttpRequest request, RegisterService register,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var (text, refusal) = await TextUpload.ReadAsync(request, RegisterFile.MaxBytes, "register file", cancellationToken);
        if (text is null)
        {
            return refusal!;
        }
        var parsed = RegisterFile.Parse(text);
        if (!parsed.Succeeded)
        {
            return Problems.From(parsed);
        }
        var outcome = await register.ImportAsync(parsed.Value!, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Ok<CheckResponse>> Check(RegisterService register, CancellationToken cancellationToken)
    {
        var violations = await register.CheckAsync(cancellationToken);
        return TypedResults.Ok(new CheckResponse(violations.Count(v => v.Level == CheckLevel.Error), violations.Count(v => v.Level == CheckLevel.Warning), violations));
    }

    public static async Task<Ok<IReadOnlyList<PolicyRule>>> ListPolicies(RegisterService register, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<PolicyRule>>([.. RegisterChecks.DefaultPolicy, .. await register.PolicyRulesAsync(cancellationToken)]);

    public static async Task<Results<Created<PolicyRule>, ProblemHttpResult>> AddPolicy(PolicyRuleRequest request, RegisterService register,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await register.AddPolicyRuleAsync(request.ToRule(), AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/register/policies/{outcome.Value!.Key}", outcome.Value) : Problems.From(outcome);
    }
}

public sealed record TaxonomyTermRequest(string Key, string Name, string Parent, string? Description = null);

/// <summary>/api/taxonomy/{dataCategories|dataUses|dataSubjects}: the keys the register is written in.</summary>
public static class TaxonomyEndpoints
{
    public static void MapTaxonomyEndpoints(this RouteGroupBuilder api)
    {
        var taxonomy = api.MapGroup("/taxonomy").WithTags("Taxonomy").RequireAuthorization(Policies.Staff);
        taxonomy.MapGet("/{kind}", ListTerms).WithSummary("Keys of one hierarchy, with their GDPR marks");
        taxonomy.MapPost("/{kind}", AddTerm).WithSummary("Add the organisation's own key under an existing parent").RequireAuthorization(Policies.EditRegister);
    }

    public sealed record TermView(string Key, string Name, string? Parent, string? Description, bool Custom,
        IReadOnlyList<string> SpecialCategories, bool CriminalOffenceData);

    public static async Task<Results<Ok<IReadOnlyList<TermView>>, ProblemHttpResult>> ListTerms(string kind, RegisterService register,
        CancellationToken cancellationToken)
    {
        if (!TryParseKind(kind, out var parsed))
        {
            return UnknownKind(kind);
        }
        var taxonomy = await register.TaxonomyAsync(cancellationToken);
        return TypedResults.Ok<IReadOnlyList<TermView>>(taxonomy.Terms(parsed).OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => new TermView(t.Key, t.Name, t.Parent, t.Description, t.Custom,
                parsed == TaxonomyKind.DataCategories ? taxonomy.SpecialCategoriesOf(t.Key).Select(s => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(s.ToString())).Order().ToList() : [],
                parsed == TaxonomyKind.DataCategories && Taxonomy.IsCriminalOffenceData(t.Key)))
            .ToList());
    }

    public static async Task<Results<Created<TaxonomyTerm>, ProblemHttpResult>> AddTerm(string kind, TaxonomyTermRequest request,
        RegisterService register, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (!TryParseKind(kind, out var parsed))
        {
            return UnknownKind(kind);
        }
        var outcome = await register.AddTermAsync(parsed, new TaxonomyTerm(request.Key.Trim(), request.Name.Trim(), request.Parent.Trim(), request.Description), AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/taxonomy/{kind}", outcome.Value!) : Problems.From(outcome);
    }

    private static bool TryParseKind(string kind, out TaxonomyKind parsed) =>
        Enum.TryParse(kind, ignoreCase: true, out parsed) && Enum.IsDefined(parsed) && !int.TryParse(kind, out _);

    private static ProblemHttpResult UnknownKind(string kind) =>
        Problems.From(Domain.Outcome<bool>.NotFound("kind", $"'{kind}' is not a taxonomy; use dataCategories, dataUses or dataSubjects."));
}
