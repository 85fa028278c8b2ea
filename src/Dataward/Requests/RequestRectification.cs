using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Connectors.Datasets;
using Dataward.Connectors.Execution;
using Dataward.Connectors.Planning;
using Dataward.Connectors.Stores;
using Dataward.Domain;
using Dataward.Domain.Requests;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Requests;

/// <summary>One correction: the collection (<c>dataset:collection</c>), the field and the value the person asked for.</summary>
public sealed record RectificationChange(string Collection, string Field, JsonElement? Value);

public sealed record RectifyRequest(IReadOnlyList<RectificationChange>? Changes);

/// <summary>How many of the person's rows a correction changed.</summary>
public sealed record RectifiedField(string Collection, string Field, int Rows);

public sealed record RectificationView(RequestView Request, IReadOnlyList<RectifiedField> Changes);

public sealed partial class RequestExecutionService
{
    public const int MaxChanges = 100;

    /// <summary>DSR022: applies the corrections to the person's rows the plan finds, through the same connections, and
    /// keeps keyed fingerprints of the old values (never the values) in the audit trail. Keys and fields that join
    /// collections are refused, as are fields the dataset does not declare.</summary>
    public async Task<Outcome<RectificationView>> RectifyAsync(Guid id, RectifyRequest body, string actor, CancellationToken cancellationToken = default)
    {
        var changes = body.Changes ?? [];
        if (changes.Count is 0 or > MaxChanges)
        {
            return Outcome<RectificationView>.Invalid("changes", $"List 1 to {MaxChanges} corrections: collection (dataset:collection), field and value.", "DSR022");
        }
        var record = await db.Set<SubjectRequest>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<RectificationView>.NotFound("id", "No request has this id.");
        }
        if (record.Type != RequestTypes.Rectification)
        {
            return Outcome<RectificationView>.Conflict("type", $"This is a {record.Type} request, not a rectification.", "DSR022");
        }
        if (!RequestStates.IsVerified(record.State) || !RequestStates.IsOpen(record.State))
        {
            return Outcome<RectificationView>.Conflict("state", $"Only an open, verified request changes data; this one is {record.State}.", "DSR006");
        }
        using var _ = logger.BeginScope(Scope(record));
        var identities = requests.IdentitiesOf(record);
        await using var connected = await connections.ConnectAsync(cancellationToken);
        var plan = connected.Plan(identities.Keys);
        var planned = new List<(CollectionKey Collection, StoreTable Table, IReadOnlyList<string> KeyColumns, string Field, object? Value)>();
        var violations = new List<Violation>();
        try
        {
            for (var i = 0; i < changes.Count; i++)
            {
                var checkedChange = await CheckChangeAsync(changes[i], $"changes[{i}]", connected, plan, cancellationToken);
                if (checkedChange.Violation is { } violation)
                {
                    violations.Add(violation);
                }
                else
                {
                    planned.Add(checkedChange.Change!.Value);
                }
            }
            if (violations.Count > 0)
            {
                return Outcome<RectificationView>.Fail(FailureKind.Invalid, [.. violations]);
            }
            var found = await new AccessRunner(connected.Stores).RunAsync(plan, identities, cancellationToken);
            var purpose = $"requests.rectification:{record.Id:N}";
            var audited = new JsonArray();
            var results = new List<RectifiedField>();
            foreach (var group in planned.GroupBy(p => p.Collection))
            {
                var (table, keyColumns) = (group.First().Table, group.First().KeyColumns);
                var rows = found.Collections[group.Key.ToString()];
                if (rows.Count > 0 && keyColumns.Any(k => !rows[0].ContainsKey(k)))
                {
                    return Outcome<RectificationView>.Conflict($"changes", $"{group.Key}: its primary key ({string.Join(", ", keyColumns)}) is not declared in the dataset, so its rows cannot be named; add it to the dataset.", "DSR022");
                }
                var updates = rows.Select(row => new RowUpdate([.. keyColumns.Select(k => row[k])],
                    group.ToDictionary(c => c.Field, c => c.Value, StringComparer.Ordinal))).ToList();
                foreach (var change in group)
                {
                    // Keyed per request: the auditor can show a given old value was replaced, nobody can read it back.
                    audited.Add(new JsonObject
                    {
                        ["collection"] = group.Key.ToString(),
                        ["field"] = change.Field,
                        ["rows"] = rows.Count,
                        ["keyFingerprints"] = new JsonArray([.. rows.Select(r => (JsonNode?)keys.Hash("key\n" + StoreValues.Canonical(keyColumns.Select(k => r[k])), purpose))]),
                        ["oldValueFingerprints"] = new JsonArray([.. rows.Select(r => (JsonNode?)keys.Hash("value\n" + StoreValues.Canonical(r.GetValueOrDefault(change.Field)), purpose))]),
                    });
                    results.Add(new RectifiedField(group.Key.ToString(), change.Field, rows.Count));
                }
                if (updates.Count > 0)
                {
                    await connected.Stores[group.Key.Dataset].UpdateAsync(table.Name, keyColumns, updates, cancellationToken);
                }
            }
            var changedCollections = results.Where(r => r.Rows > 0).Select(r => r.Collection).Distinct().ToList();
            var categories = changedCollections.SelectMany(c => CategoriesOf(connected.Datasets, c)).Distinct().ToList();
            var outcome = await requests.ChangeRequestAsync(id, actor, async (request, now) =>
            {
                if (!RequestStates.IsOpen(request.State))
                {
                    return Outcome<bool>.Conflict("state", "The request was closed meanwhile.");
                }
                await audit.RecordAsync(actor, "requests.rectification_applied", $"request:{id}",
                    new JsonObject { ["reference"] = request.Reference, ["changes"] = audited }, cancellationToken);
                var recipients = await RecipientsAsync(request, [.. changedCollections.Select(c => c.Split(':')[0]).Distinct()], categories, cancellationToken);
                requests.Note(request, actor, "rectified", string.Join("; ", results.Select(r => $"{r.Collection}.{r.Field} corrected in {r.Rows} row(s)"))
                    + ". Old values kept only as fingerprints." + (recipients.Count == 0 ? "" : $" Recipients to notify (Art. 19): {string.Join(", ", recipients)}."), now);
                var reply = results.All(r => r.Rows == 0)
                    ? "We looked for the data you asked us to correct and found none held about you."
                    : "We have corrected your data as you asked:" + Environment.NewLine
                      + string.Join(Environment.NewLine, results.Where(r => r.Rows > 0).Select(r => $"- {Readable(r.Collection)}: {r.Field} ({r.Rows} record(s))"));
                if (recipients.Count > 0)
                {
                    reply += $"{Environment.NewLine}{Environment.NewLine}We disclosed your data to: {string.Join(", ", recipients)}. We are telling each of them of the correction (Art. 19).";
                }
                await FinishAsync(request, now, "Your rectification request", reply + Environment.NewLine + Environment.NewLine
                    + await requests.ComplaintRightsTextAsync(cancellationToken), cancellationToken);
                return Outcome<bool>.Success(true);
            }, "requests.rectified", cancellationToken);
            return outcome.Succeeded
                ? Outcome<RectificationView>.Success(new RectificationView(outcome.Value!, results))
                : Outcome<RectificationView>.Fail(outcome.Failure!.Value, [.. outcome.Violations]);
        }
        catch (Exception e) when (Unreachable(e) is { } why)
        {
            return Outcome<RectificationView>.Conflict("connection", $"{why} Nothing was recorded as corrected; try again.", "DSR022");
        }
    }

    private async Task<(Violation? Violation, (CollectionKey, StoreTable, IReadOnlyList<string>, string, object?)? Change)> CheckChangeAsync(
        RectificationChange? change, string at, Connections.ConnectedDatasets connected, TraversalPlan plan, CancellationToken cancellationToken)
    {
        if (change is null || CollectionKey.Parse(change.Collection ?? "") is not { } key
            || connected.Datasets.FirstOrDefault(d => d.FidesKey == key.Dataset) is not { } dataset
            || dataset.Collections.FirstOrDefault(c => c.Name == key.Collection) is not { } collection)
        {
            return (new Violation($"{at}.collection", "Name a collection of a connected dataset as dataset:collection.", "DSR022"), null);
        }
        if (plan.Step(key) is not { } step)
        {
            return (new Violation($"{at}.collection", $"{key} cannot be reached from the person's identities, so their rows there cannot be found.", "DSR022"), null);
        }
        var field = collection.Fields.FirstOrDefault(f => f.Name == change.Field);
        var table = (await connected.Stores[key.Dataset].DescribeAsync(cancellationToken)).Find(collection.Name);
        var column = field is null ? null : table?.Column(field.Name);
        if (field is null || table is null || column is null)
        {
            return (new Violation($"{at}.field", $"'{change.Field}' is not a field of {key}.", "DSR022"), null);
        }
        var keyColumns = table.PrimaryKey.Count > 0 ? table.PrimaryKey : step.PrimaryKey;
        var address = new FieldAddress(dataset.FidesKey, collection.Name, [field.Name]);
        var joins = connected.Datasets.SelectMany(d => d.References()).Any(r => r.Field.Equals(address) || r.Referenced.Equals(address));
        if (keyColumns.Contains(field.Name) || step.PrimaryKey.Contains(field.Name) || joins)
        {
            return (new Violation($"{at}.field", $"'{field.Name}' is a key or joins {key} to other collections: changing it would unlink rows. Correct it in the application that owns it.", "DSR022"), null);
        }
        if (field.FidesMeta?.ReadOnly == true)
        {
            return (new Violation($"{at}.field", $"'{field.Name}' is marked read_only in the dataset.", "DSR022"), null);
        }
        object? raw = change.Value switch
        {
            null or { ValueKind: JsonValueKind.Null } => null,
            { ValueKind: JsonValueKind.String } v => v.GetString(),
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            { ValueKind: JsonValueKind.Number } v => v.TryGetInt64(out var l) ? l : v.TryGetDecimal(out var d) ? d : null,
            _ => "\u0000invalid",
        };
        if (raw is null)
        {
            return column.Nullable
                ? (null, (key, table, keyColumns, field.Name, null))
                : (new Violation($"{at}.value", $"'{field.Name}' cannot be empty.", "DSR022"), null);
        }
        if (!StoreValues.TryCoerce(raw, column.Kind, out var typed) || typed is string s && (s.Contains('\u0000') || s.Length > (column.MaxLength ?? int.MaxValue)))
        {
            return (new Violation($"{at}.value", $"'{field.Name}' holds {column.DataType}{(column.MaxLength is { } max ? $" of up to {max} characters" : "")}: this value does not fit.", "DSR022"), null);
        }
        return (null, (key, table, keyColumns, field.Name, typed));
    }
}
