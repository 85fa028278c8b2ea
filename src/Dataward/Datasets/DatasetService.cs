using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Connections;
using Dataward.Connectors.Datasets;
using Dataward.Domain;
using Dataward.Domain.Register;
using Dataward.Platform.Storage;
using Dataward.Register;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Datasets;

/// <summary>A dataset as the list shows it, with the activities and systems that name it.</summary>
public sealed record DatasetSummary(string Key, string? Name, string? Description, int Collections, int Fields, int Version,
    DateTimeOffset UpdatedAt, IReadOnlyList<string> Activities, IReadOnlyList<string> Systems);

/// <summary>A registered dataset and its version.</summary>
public sealed record StoredDataset(Dataset Dataset, int Version);

/// <summary>What an import did to one dataset: <c>created</c>, <c>replaced</c> or <c>unchanged</c>.</summary>
public sealed record ImportedDataset(string Key, string Result, int Version);

/// <summary>What an import did; <see cref="Changed"/> is false when every dataset matched the register already.</summary>
public sealed record DatasetImportSummary(IReadOnlyList<ImportedDataset> Datasets)
{
    public bool Changed => Datasets.Any(d => d.Result != DatasetImportResults.Unchanged);

    public int Count(string result) => Datasets.Count(d => d.Result == result);
}

public static class DatasetImportResults
{
    public const string Created = "created";
    public const string Replaced = "replaced";
    public const string Unchanged = "unchanged";
}

/// <summary>An application that holds personal data, as the API takes it.</summary>
public sealed record SystemRequest(string Key, string Name, string? Description = null, string? Owner = null,
    IReadOnlyList<string>? Datasets = null);

public sealed record SystemView(string Key, string Name, string? Description, string? Owner, IReadOnlyList<string> Datasets,
    DateTimeOffset CreatedAt);

/// <summary>The databases that hold personal data (fideslang datasets) and the applications that use them. The request
/// and retention engines read these datasets; every change is validated first and audited in the same transaction.</summary>
public sealed class DatasetService(DatawardDbContext db, RegisterService register, AuditTrail audit, TimeProvider time, ConnectionCatalog catalog)
{
    public async Task<IReadOnlyList<DatasetSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        var records = await db.Datasets.AsNoTracking().OrderBy(d => d.Key).ToListAsync(cancellationToken);
        var activities = await ActivitiesByDatasetAsync(cancellationToken);
        var systems = await db.Systems.AsNoTracking().OrderBy(s => s.Key).ToListAsync(cancellationToken);
        return records.Select(r => new DatasetSummary(r.Key, r.Name, r.Description, r.CollectionCount, r.FieldCount, r.Version, r.UpdatedAt,
                activities.TryGetValue(r.Key, out var names) ? names : [],
                systems.Where(s => s.Datasets.Contains(r.Key)).Select(s => s.Key).ToList()))
            .ToList();
    }

    public async Task<StoredDataset?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Key == key, cancellationToken) is { } record
            ? new StoredDataset(Deserialize(record.Document), record.Version)
            : null;

    /// <summary>Registers the datasets of one file, all or nothing. A dataset identical to the registered one changes
    /// nothing; a different one with a registered key is a conflict unless <paramref name="replace"/> is set, which
    /// makes it the next version.</summary>
    public async Task<Outcome<DatasetImportSummary>> ImportAsync(IReadOnlyList<Dataset> datasets, bool replace, string actor,
        CancellationToken cancellationToken = default)
    {
        var violations = DatasetRules.Validate(datasets, await register.TaxonomyAsync(cancellationToken));
        if (violations.Count > 0)
        {
            return Outcome<DatasetImportSummary>.Fail(FailureKind.Invalid, [.. violations]);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var keys = datasets.Select(d => d.FidesKey).ToList();
        var existing = await db.Datasets.Where(d => keys.Contains(d.Key)).ToDictionaryAsync(d => d.Key, cancellationToken);
        var documents = datasets.Select(d => JsonSerializer.Serialize(d, FidesDatasetFile.Json)).ToList();
        var changed = Enumerable.Range(0, datasets.Count)
            .Where(i => existing.TryGetValue(keys[i], out var record) && !JsonNode.DeepEquals(JsonNode.Parse(record.Document), JsonNode.Parse(documents[i])))
            .ToList();
        if (changed.Count > 0 && !replace)
        {
            return Outcome<DatasetImportSummary>.Fail(FailureKind.Conflict, [.. changed.Select(i => new Violation($"dataset[{i}].fides_key",
                $"A different dataset '{keys[i]}' is registered (version {existing[keys[i]].Version}); import with replace to make this version {existing[keys[i]].Version + 1}."))]);
        }

        var results = new List<ImportedDataset>();
        var now = time.GetUtcNow();
        try
        {
            for (var i = 0; i < datasets.Count; i++)
            {
                var dataset = datasets[i];
                if (!existing.TryGetValue(keys[i], out var record))
                {
                    record = new DatasetRecord { Key = keys[i], Document = documents[i], CreatedAt = now };
                    Apply(record, dataset, documents[i], now);
                    db.Datasets.Add(record);
                    await audit.RecordAsync(actor, "datasets.imported", $"dataset:{record.Key}", Details(record), cancellationToken);
                    results.Add(new ImportedDataset(record.Key, DatasetImportResults.Created, record.Version));
                }
                else if (changed.Contains(i))
                {
                    Apply(record, dataset, documents[i], now);
                    record.Version++;
                    await audit.RecordAsync(actor, "datasets.replaced", $"dataset:{record.Key}", Details(record), cancellationToken);
                    results.Add(new ImportedDataset(record.Key, DatasetImportResults.Replaced, record.Version));
                }
                else
                {
                    results.Add(new ImportedDataset(record.Key, DatasetImportResults.Unchanged, record.Version));
                }
            }
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another import of the same key committed between our read and our write.
            return Outcome<DatasetImportSummary>.Conflict("dataset", "Another import changed these datasets at the same time; import again.");
        }
        var summary = new DatasetImportSummary(results);
        if (summary.Changed)
        {
            // Requests connect with the datasets as this commit left them.
            catalog.Forget();
        }
        return Outcome<DatasetImportSummary>.Success(summary);
    }

    /// <summary>Removes a dataset that no activity or system names any more.</summary>
    public async Task<Outcome<string>> DeleteAsync(string key, string actor, CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Datasets.FirstOrDefaultAsync(d => d.Key == key, cancellationToken);
        if (record is null)
        {
            return Outcome<string>.NotFound("key", "No dataset has this key.");
        }
        var activities = (await ActivitiesByDatasetAsync(cancellationToken)).GetValueOrDefault(key) ?? [];
        var systems = await db.Systems.Where(s => s.Datasets.Contains(key)).Select(s => s.Key).ToListAsync(cancellationToken);
        if (activities.Count + systems.Count > 0)
        {
            var users = activities.Select(a => $"activity '{a}'").Concat(systems.Select(s => $"system '{s}'"));
            return Outcome<string>.Conflict("key", $"'{key}' is named by {string.Join(", ", users)}; remove it there first.");
        }
        db.Datasets.Remove(record);
        await audit.RecordAsync(actor, "datasets.deleted", $"dataset:{key}", new JsonObject { ["version"] = record.Version }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        catalog.Forget();
        return Outcome<string>.Success(key);
    }

    public async Task<IReadOnlyList<SystemView>> SystemsAsync(CancellationToken cancellationToken = default) =>
        (await db.Systems.AsNoTracking().OrderBy(s => s.Key).ToListAsync(cancellationToken)).Select(View).ToList();

    public async Task<SystemView?> SystemAsync(string key, CancellationToken cancellationToken = default) =>
        await db.Systems.AsNoTracking().FirstOrDefaultAsync(s => s.Key == key, cancellationToken) is { } record ? View(record) : null;

    public async Task<Outcome<SystemView>> RegisterSystemAsync(SystemRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var key = request.Key.Trim();
        var datasets = (request.Datasets ?? []).Select(d => d.Trim()).ToList();
        var violations = new List<Violation>();
        if (!DatasetRules.IsKey(key))
        {
            violations.Add(new Violation("key", $"Give the system a key of 1 to {DatasetRules.MaxKeyLength} letters, digits, '_', '.' or '-'."));
        }
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 200)
        {
            violations.Add(new Violation("name", "Give the system a name of 1 to 200 characters."));
        }
        if (request.Description?.Length > 2000 || request.Owner?.Trim().Length > 200)
        {
            violations.Add(new Violation(request.Description?.Length > 2000 ? "description" : "owner", "Keep the description under 2,000 characters and the owner under 200."));
        }
        var registered = (await db.Datasets.Where(d => datasets.Contains(d.Key)).Select(d => d.Key).ToListAsync(cancellationToken)).ToHashSet();
        violations.AddRange(datasets.Select((d, i) => (d, i)).Where(x => !registered.Contains(x.d))
            .Select(x => new Violation($"datasets[{x.i}]", $"No dataset '{x.d}' is registered; import it first.")));
        if (violations.Count > 0)
        {
            return Outcome<SystemView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.Systems.AnyAsync(s => s.Key == key, cancellationToken))
        {
            return Outcome<SystemView>.Conflict("key", $"A system '{key}' is already registered.");
        }
        var record = new SystemRecord
        {
            Key = key,
            Name = request.Name.Trim(),
            Description = string.IsNullOrWhiteSpace(request.Description) ? null : request.Description.Trim(),
            Owner = string.IsNullOrWhiteSpace(request.Owner) ? null : request.Owner.Trim(),
            Datasets = [.. datasets.Distinct()],
            CreatedAt = time.GetUtcNow(),
        };
        db.Systems.Add(record);
        await audit.RecordAsync(actor, "systems.registered", $"system:{key}", new JsonObject { ["datasets"] = record.Datasets.Count }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<SystemView>.Success(View(record));
    }

    public static Dataset Deserialize(string document) => JsonSerializer.Deserialize<Dataset>(document, FidesDatasetFile.Json)!;

    private static void Apply(DatasetRecord record, Dataset dataset, string document, DateTimeOffset now)
    {
        record.Name = dataset.Name;
        record.Description = dataset.Description;
        record.Document = document;
        record.CollectionCount = dataset.Collections.Count;
        record.FieldCount = dataset.AllFields().Count();
        record.UpdatedAt = now;
    }

    private static JsonObject Details(DatasetRecord record) =>
        new() { ["version"] = record.Version, ["collections"] = record.CollectionCount, ["fields"] = record.FieldCount };

    // Activities name the datasets where their data is held (register.md §1.4, column 20).
    private async Task<Dictionary<string, List<string>>> ActivitiesByDatasetAsync(CancellationToken cancellationToken) =>
        (await db.Activities.AsNoTracking().OrderBy(a => a.Name).Select(a => a.Document).ToListAsync(cancellationToken))
            .Select(d => JsonSerializer.Deserialize<ProcessingActivity>(d, RegisterService.Json)!)
            .SelectMany(a => a.Datasets.Distinct().Select(key => (Key: key, a.Name)))
            .GroupBy(x => x.Key)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Name).ToList());

    private static SystemView View(SystemRecord record) =>
        new(record.Key, record.Name, record.Description, record.Owner, record.Datasets, record.CreatedAt);
}
