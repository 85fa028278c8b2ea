using System.Security.Claims;
using Dataward.Audit;
using Dataward.Connectors.Datasets;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dataward.Datasets;

/// <summary>/api/datasets: the databases that hold personal data, as fideslang datasets. Anyone signed in reads;
/// Administrator and DPO import and delete.</summary>
public static class DatasetEndpoints
{
    public static void MapDatasetEndpoints(this RouteGroupBuilder api)
    {
        var datasets = api.MapGroup("/datasets").WithTags("Datasets").RequireAuthorization(Policies.Staff);
        datasets.MapGet("/", ListDatasets).WithSummary("Registered datasets, with their size and the activities and systems that name them");
        datasets.MapGet("/{key}", GetDataset).WithSummary("One dataset as fideslang JSON (default) or YAML (?format=yaml)")
            .Produces<Dataset>(StatusCodes.Status200OK, "application/json", "application/yaml");
        datasets.MapPost("/", ImportDatasets).WithSummary("Import a fideslang dataset file (YAML or JSON); all or nothing; ?replace=true replaces changed datasets")
            .Accepts<DatasetFileContent>("application/yaml", "application/json")
            .WithMetadata(new RequestSizeLimitAttribute(FidesDatasetFile.MaxBytes))
            .RequireAuthorization(Policies.EditRegister);
        datasets.MapDelete("/{key}", DeleteDataset).WithSummary("Remove a dataset no activity or system names").RequireAuthorization(Policies.EditRegister);

        var systems = api.MapGroup("/systems").WithTags("Systems").RequireAuthorization(Policies.Staff);
        systems.MapGet("/", ListSystems).WithSummary("Applications that hold personal data");
        systems.MapGet("/{key}", GetSystem).WithSummary("One application and the datasets it uses");
        systems.MapPost("/", RegisterSystem).WithSummary("Register an application and the datasets it uses").RequireAuthorization(Policies.EditRegister);
    }

    public static async Task<Ok<IReadOnlyList<DatasetSummary>>> ListDatasets(DatasetService datasets, CancellationToken cancellationToken) =>
        TypedResults.Ok(await datasets.ListAsync(cancellationToken));

    public static async Task<Results<JsonHttpResult<Dataset>, ContentHttpResult, ProblemHttpResult>> GetDataset(string key, string? format,
        DatasetService datasets, HttpResponse response, CancellationToken cancellationToken)
    {
        format = format?.ToLowerInvariant();
        if (format is not (null or "json" or "yaml"))
        {
            return Problems.From(Domain.Outcome<bool>.Invalid("format", "Use json or yaml."));
        }
        if (await datasets.GetAsync(key, cancellationToken) is not { } stored)
        {
            return Problems.From(Domain.Outcome<bool>.NotFound("key", "No dataset has this key."));
        }
        response.Headers.ETag = $"\"{stored.Version}\"";
        return format == "yaml"
            ? TypedResults.Text(FidesDatasetFile.Write([stored.Dataset]), "application/yaml")
            : TypedResults.Json(stored.Dataset, FidesDatasetFile.Json);
    }

    public static async Task<Results<Created<DatasetImportSummary>, Ok<DatasetImportSummary>, ProblemHttpResult>> ImportDatasets(
        HttpRequest request, bool? replace, DatasetService datasets, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var (text, refusal) = await TextUpload.ReadAsync(request, FidesDatasetFile.MaxBytes, "dataset file", cancellationToken);
        if (text is null)
        {
            return refusal!;
        }
        var parsed = FidesDatasetFile.Parse(text);
        if (!parsed.Succeeded)
        {
            return Problems.From(parsed);
        }
        var outcome = await datasets.ImportAsync(parsed.Value!, replace ?? false, AuditActor.From(user), cancellationToken);
        if (!outcome.Succeeded)
        {
            return Problems.From(outcome);
        }
        return outcome.Value!.Datasets.FirstOrDefault(d => d.Result == DatasetImportResults.Created) is { } created
            ? TypedResults.Created($"/api/datasets/{Uri.EscapeDataString(created.Key)}", outcome.Value)
            : TypedResults.Ok(outcome.Value);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteDataset(string key, DatasetService datasets, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await datasets.DeleteAsync(key, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : Problems.From(outcome);
    }

    public static async Task<Ok<IReadOnlyList<SystemView>>> ListSystems(DatasetService datasets, CancellationToken cancellationToken) =>
        TypedResults.Ok(await datasets.SystemsAsync(cancellationToken));

    public static async Task<Results<Ok<SystemView>, ProblemHttpResult>> GetSystem(string key, DatasetService datasets, CancellationToken cancellationToken) =>
        await datasets.SystemAsync(key, cancellationToken) is { } system
            ? TypedResults.Ok(system)
            : Problems.From(Domain.Outcome<bool>.NotFound("key", "No system has this key."));

    public static async Task<Results<Created<SystemView>, ProblemHttpResult>> RegisterSystem(SystemRequest request, DatasetService datasets,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await datasets.RegisterSystemAsync(request, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created($"/api/systems/{Uri.EscapeDataString(outcome.Value!.Key)}", outcome.Value)
            : Problems.From(outcome);
    }
}
