using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dataward.Connectors.Datasets;
using Dataward.Connectors.Masking;
using Dataward.Connectors.Planning;
using Dataward.Connectors.Stores;

namespace Dataward.Connectors.Execution;

/// <summary>Where an erasure stands, saved by the host after every change (see <see cref="IErasureCheckpoint"/>) and
/// handed back to resume. <see cref="Targets"/> holds the primary keys of the subject's rows found before anything
/// changed (personal data: the host keeps it encrypted and drops it once the erasure is complete);
/// <see cref="Completed"/> holds the proofs, which outlive the data.</summary>
public sealed record ErasureProgress(
    IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyList<string?>>>? Targets,
    PendingCollection? Pending,
    IReadOnlyList<CollectionProof> Completed)
{
    public static ErasureProgress Start { get; } = new(null, null, []);

    public bool IsCompleted(CollectionKey collection) => Completed.Any(p => p.Collection == collection.ToString());
}

/// <summary>How a host stores <see cref="ErasureProgress"/>: camel-case JSON, written by source-generated code (a host
/// saves the progress before every change of an erasure, so its serialisation is on every erasure's path) and read
/// back by it. Progress saved before with <see cref="JsonSerializerDefaults.Web"/> reads the same.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ErasureProgress))]
public sealed partial class ErasureProgressJson : JsonSerializerContext;

/// <summary>A collection whose transaction was about to commit: the keyed digest of each row's new values (by key
/// fingerprint) tells, on resume, which rows already carry them, so nothing is applied twice.</summary>
public sealed record PendingCollection(string Collection, IReadOnlyDictionary<string, string> RowDigests, CollectionProof Proof);

/// <summary>The proof an erasure keeps per collection: the action, the rows it covered, each field's strategy and
/// how many values it overwrote, and keyed fingerprints (HMAC-SHA-256) of the rows' primary keys, never values.</summary>
public sealed record CollectionProof(string Collection, string Action, long Rows, IReadOnlyList<FieldProof> Fields, IReadOnlyList<string> KeyFingerprints);

/// <summary>One field's strategy and the number of non-null values it overwrote.</summary>
public sealed record FieldProof(string Field, string Strategy, long Values);

/// <summary>Persists an erasure's progress; implemented by the host (the request job), which stores the latest
/// <see cref="ErasureProgress"/> so a killed run resumes from it.</summary>
public interface IErasureCheckpoint
{
    Task SaveAsync(ErasureProgress progress, CancellationToken cancellationToken);
}

/// <summary>The outcome: what was planned and kept, and a proof per collection changed.</summary>
public sealed record ErasureResult(ErasurePreview Preview, IReadOnlyList<CollectionProof> Proofs, ErasureProgress Progress);

/// <summary>Erases a data subject's rows: finds them once by the plan (before any identity is masked), then per
/// collection, children first, masks the targeted fields (or deletes rows) in one transaction, saving progress
/// before each (the collection pending, with everything completed before it) and once at the end. Primary keys,
/// fields on either end of a reference and exempt categories are never changed; a collection without a primary key
/// is left alone and said so.</summary>
public sealed class ErasureRunner(IReadOnlyList<Dataset> datasets, IReadOnlyDictionary<string, IDataStore> stores)
{
    private readonly AccessRunner access = new(stores);

    /// <summary>What <see cref="RunAsync"/> would change, collection by collection, without changing anything.</summary>
    public async Task<ErasurePreview> PreviewAsync(TraversalPlan plan, ErasurePolicy policy, CancellationToken cancellationToken = default)
    {
        await access.EnsureRunnableAsync(plan, cancellationToken);
        var references = datasets.SelectMany(d => d.References()).ToList();
        var referenceEnds = references.SelectMany(r => new[] { r.Field, r.Referenced }).ToHashSet();
        var result = new List<CollectionErasure>();
        foreach (var step in plan.Steps)
        {
            var dataset = datasets.First(d => d.FidesKey == step.Collection.Dataset);
            var collection = dataset.Collections.First(c => c.Name == step.Collection.Collection);
            var table = (await stores[step.Collection.Dataset].DescribeAsync(cancellationToken)).Find(collection.Name)!;
            var keyColumns = table.PrimaryKey.Count > 0 ? table.PrimaryKey : step.PrimaryKey;
            var fields = new List<FieldErasure>();
            var kept = new List<FieldKept>();
            var deleteRequested = collection.FidesMeta?.MaskingStrategyOverride?.Strategy is "delete" or MaskingStrategy.DeleteRow;
            var fallbackToFit = new List<(Field Field, StoreColumn Column)>();
            foreach (var field in collection.Fields)
            {
                var categories = field.DataCategories ?? [];
                if (policy.RuleFor(categories) is not { } rule)
                {
                    continue;
                }
                var address = new FieldAddress(dataset.FidesKey, collection.Name, [field.Name]);
                var column = table.Column(field.Name)!;
                if (field.FidesMeta?.Length is { } length && (column.MaxLength is null || length < column.MaxLength))
                {
                    column = column with { MaxLength = length };
                }
                if (policy.ExemptionFor(categories) is { } exemption)
                {
                    kept.Add(new FieldKept(field.Name, KeptReason.Exempt,
                        $"{exemption.DataCategory} is kept: {exemption.Reason}{(exemption.RetentionEnds is { } end ? $" (until {end})" : "")}."));
                }
                else if (keyColumns.Contains(field.Name) || step.PrimaryKey.Contains(field.Name))
                {
                    kept.Add(new FieldKept(field.Name, KeptReason.PrimaryKey, "Part of the primary key: rows stay linked."));
                }
                else if (referenceEnds.Contains(address))
                {
                    kept.Add(new FieldKept(field.Name, KeptReason.Reference, "A reference joins collections through it: rows stay linked."));
                }
                else if (field.FidesMeta?.ReadOnly == true)
                {
                    kept.Add(new FieldKept(field.Name, KeptReason.ReadOnly, "Marked read_only in the dataset."));
                }
                else
                {
                    var spec = field.FidesMeta?.MaskingStrategyOverride is { } o ? new MaskingSpec(o.Strategy, o.Configuration) : rule.Masking;
                    if (spec.Strategy == MaskingStrategy.DeleteRow)
                    {
                        deleteRequested = true;
                        fallbackToFit.Add((field, column));
                        continue;
                    }
                    var (strategy, error) = spec.Strategy == MaskingStrategy.Auto
                        ? (MaskingStrategy.FitFor(column), MaskingStrategy.FitFor(column) is null ? $"no default strategy writes {column.DataType}." : null)
                        : MaskingStrategy.Create(spec);
                    if (strategy?.Unfit(column) is { } unfit)
                    {
                        error = unfit;
                    }
                    if (error is not null)
                    {
                        kept.Add(new FieldKept(field.Name, KeptReason.Unfit, error));
                        continue;
                    }
                    fields.Add(new FieldErasure(field.Name, strategy!.Name) { Masking = strategy, Column = column });
                }
            }

            string? note = null;
            var action = fields.Count > 0 || fallbackToFit.Count > 0 ? ErasureAction.Mask : ErasureAction.None;
            if (deleteRequested)
            {
                var inbound = references.Where(r => r.Referenced.Dataset == dataset.FidesKey && r.Referenced.Collection == collection.Name
                    && !(r.Field.Dataset == dataset.FidesKey && r.Field.Collection == collection.Name))
                    .Select(r => $"{r.Field.Dataset}:{r.Field.Collection}").Distinct().ToList();
                if (inbound.Count == 0 && keyColumns.Count > 0)
                {
                    action = ErasureAction.DeleteRows;
                    fields.Clear();
                    fallbackToFit.Clear();
                }
                else
                {
                    note = inbound.Count > 0
                        ? $"Rows are not deleted: {string.Join(", ", inbound)} reference{(inbound.Count == 1 ? "s" : "")} them; their fields are masked instead."
                        : "Rows are not deleted: the table has no primary key to name them.";
                }
            }
            foreach (var (field, column) in fallbackToFit)
            {
                if (MaskingStrategy.FitFor(column) is { } fit)
                {
                    fields.Add(new FieldErasure(field.Name, fit.Name) { Masking = fit, Column = column });
                }
                else
                {
                    kept.Add(new FieldKept(field.Name, KeptReason.Unfit, $"no default strategy writes {column.DataType}."));
                }
            }
            if (action == ErasureAction.Mask && fields.Count == 0)
            {
                action = ErasureAction.None;
            }
            if (action != ErasureAction.None && keyColumns.Count == 0)
            {
                note = "Nothing is changed: the collection has no primary key (in the table or the dataset) to name its rows by.";
                action = ErasureAction.None;
            }
            result.Add(new CollectionErasure(step.Collection, action, keyColumns, action == ErasureAction.Mask ? fields : [], kept, note));
        }
        return new ErasurePreview(result);
    }

    /// <summary>Runs (or resumes, from <paramref name="resumeFrom"/>) the erasure for the given identities.</summary>
    public async Task<ErasureResult> RunAsync(TraversalPlan plan, IReadOnlyDictionary<string, string> identities, ErasurePolicy policy,
        MaskingSecrets secrets, IErasureCheckpoint checkpoint, ErasureProgress? resumeFrom = null, CancellationToken cancellationToken = default)
    {
        var (preview, readColumns, order) = await KeptPreviewAsync(plan, policy, cancellationToken);
        var progress = resumeFrom ?? ErasureProgress.Start;
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secrets.FingerprintKey);
        // The rows as found, when this run found them: their values are what gets masked (a resumed run reads them again).
        Dictionary<CollectionKey, IReadOnlyList<StoreRow>>? found = null;
        // DSR016: the progress is saved before every change to a store (write-ahead: the collection as Pending, with the
        // row digests that tell on resume whether its commit happened) and once at the end. A collection's completion is
        // not saved on its own: it rides with the next save, as nothing is changed between the two (see
        // docs/architecture.md, "Erasure checkpoints").
        var unsaved = false;
        if (progress.Targets is null)
        {
            // Found once, before any change: masking an identity field would hide the rows from a second look. Steps
            // whose rows neither change nor lead to other rows are not read.
            var rows = found = await access.TraverseAsync(plan, identities, step => readColumns.GetValueOrDefault(step.Collection), [], cancellationToken);
            var targets = new Dictionary<string, IReadOnlyList<IReadOnlyList<string?>>>(StringComparer.Ordinal);
            foreach (var collection in preview.Collections.Where(c => c.Action != ErasureAction.None))
            {
                targets[collection.Collection.ToString()] = [.. rows[collection.Collection]
                    .Select(r => (IReadOnlyList<string?>)[.. collection.KeyColumns.Select(k => Text(r[k]))])];
            }
            progress = progress with { Targets = targets };
            // Saved with the first collection's pending record, before the first change (or at the end if nothing changes).
            unsaved = true;
        }

        // The change of the collection before, still running where the store waits on the network (PostgreSQL): the wait
        // overlaps the work that prepares the next collection (masked values, digests, proof), which touches no store.
        // SQLite's calls finish before they return (handing them to another thread to overlap its flushes cost more in
        // wake-ups than it saved: docs/benchmarks.md). It is awaited before anything reads a store again or saves
        // progress: changes stay one after the other, each recorded as above.
        Task? changing = null;
        async Task SettledAsync()
        {
            if (changing is { } running)
            {
                changing = null;
                await running;
            }
        }
        try
        {
            foreach (var collection in order)
            {
                if (progress.IsCompleted(collection.Collection))
                {
                    continue;
                }
                var store = stores[collection.Collection.Dataset];
                var table = (await store.DescribeAsync(cancellationToken)).Find(collection.Collection.Collection)!;
                var keyColumns = collection.KeyColumns.Select(k => table.Column(k)!).ToList();
                var keys = progress.Targets!.GetValueOrDefault(collection.Collection.ToString()) ?? [];
                CollectionProof proof;
                if (collection.Action == ErasureAction.DeleteRows)
                {
                    // Deleting is idempotent: a resumed run deletes whatever of the rows is still there.
                    await SettledAsync();
                    var present = keys.Count == 0 ? [] : await store.SelectAsync(table.Name, collection.KeyColumns, [Filter(collection, keys)], cancellationToken);
                    proof = new CollectionProof(collection.Collection.ToString(), "deleted", keys.Count, [],
                        [.. keys.Select(k => Fingerprint(hmac, Typed(k, keyColumns)))]);
                    progress = progress with { Pending = new PendingCollection(proof.Collection, new Dictionary<string, string>(), proof) };
                    await checkpoint.SaveAsync(progress, cancellationToken);
                    if (present.Count > 0)
                    {
                        IReadOnlyList<IReadOnlyList<object?>> deleted = [.. present.Select(r => (IReadOnlyList<object?>)[.. r.Values])];
                        changing = store.DeleteAsync(table.Name, collection.KeyColumns, deleted, cancellationToken);
                    }
                }
                else
                {
                    if (found is null && keys.Count > 0)
                    {
                        // A resumed run reads the rows back: after the change before is committed.
                        await SettledAsync();
                    }
                    IReadOnlyList<StoreRow> current = keys.Count == 0 ? []
                        : found?.GetValueOrDefault(collection.Collection) is { } rows ? [.. rows.Where(r => collection.KeyColumns.All(k => r[k] is not null))]
                        : await store.SelectAsync(table.Name, [.. collection.KeyColumns.Concat(collection.Fields.Select(f => f.Field)).Distinct(StringComparer.Ordinal)],
                            [Filter(collection, keys)], cancellationToken);
                    var pending = progress.Pending is { } p && p.Collection == collection.Collection.ToString() ? p.RowDigests : null;
                    var digests = new Dictionary<string, string>(current.Count, StringComparer.Ordinal);
                    var updates = new List<RowUpdate>(current.Count);
                    var fields = collection.Fields;
                    var counts = new long[fields.Count];
                    var fingerprints = new List<string>(current.Count);
                    foreach (var row in current)
                    {
                        var key = new object?[collection.KeyColumns.Count];
                        for (var i = 0; i < key.Length; i++)
                        {
                            key[i] = row[collection.KeyColumns[i]];
                        }
                        var fingerprint = Fingerprint(hmac, key);
                        fingerprints.Add(fingerprint);
                        var masked = new object?[fields.Count];
                        // A row already holding the values an interrupted run committed is not masked again.
                        if (pending is not null && pending.TryGetValue(fingerprint, out var committed))
                        {
                            for (var i = 0; i < masked.Length; i++)
                            {
                                masked[i] = row[fields[i].Field];
                            }
                            if (committed == Digest(hmac, masked))
                            {
                                digests[fingerprint] = committed;
                                continue;
                            }
                        }
                        var values = new Dictionary<string, object?>(fields.Count, StringComparer.Ordinal);
                        for (var i = 0; i < masked.Length; i++)
                        {
                            var field = fields[i];
                            var value = row[field.Field];
                            var mask = field.Masking.Mask(value, field.Column, secrets);
                            values[field.Field] = masked[i] = mask is not null && StoreValues.TryCoerce(mask, field.Column.Kind, out var typed) ? typed : mask;
                            if (value is not null)
                            {
                                counts[i]++;
                            }
                        }
                        digests[fingerprint] = Digest(hmac, masked);
                        updates.Add(new RowUpdate(key, values));
                    }
                    var previous = progress.Pending is { } earlier && earlier.Collection == collection.Collection.ToString() ? earlier.Proof : null;
                    proof = new CollectionProof(collection.Collection.ToString(), "masked", current.Count,
                        [.. fields.Select((f, i) => new FieldProof(f.Field, f.Strategy, counts[i]))],
                        fingerprints);
                    if (updates.Count > 0)
                    {
                        progress = progress with { Pending = new PendingCollection(proof.Collection, digests, proof) };
                        // This save records the collection before as completed: its commit comes first.
                        await SettledAsync();
                        await checkpoint.SaveAsync(progress, cancellationToken);
                        changing = store.UpdateAsync(table.Name, collection.KeyColumns, updates, cancellationToken);
                    }
                    else if (previous is not null)
                    {
                        proof = previous;
                    }
                }
                progress = progress with { Pending = null, Completed = [.. progress.Completed, proof] };
                unsaved = true;
            }
            await SettledAsync();
        }
        catch when (changing is { } running)
        {
            // Nothing outlives the run: a change still running finishes (or fails) before the error goes up, so the
            // caller may close its stores.
            await running.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
        if (unsaved)
        {
            await checkpoint.SaveAsync(progress, cancellationToken);
        }
        return new ErasureResult(preview, progress.Completed, progress);
    }

    // A preview depends on the plan, the datasets, the stores' described schemas and the policy: it is worked out once
    // and kept with the plan while all four stay the same (the same dataset and schema objects, a policy with the same
    // rules and exemptions), as a request runs the same few plans again and again.
    // Kept with it, the columns the first look reads per collection (what later steps look rows up by, the key and the
    // masked fields; none for a collection that neither changes nor leads anywhere): the same lists every run, so a
    // store keeps the statement text it built for them; and the order the collections are erased in.
    private sealed record KeptPreview(Dataset[] Datasets, StoreSchema?[] Schemas, string Policy, ErasurePreview Preview,
        IReadOnlyDictionary<CollectionKey, IReadOnlyList<string>> ReadColumns, IReadOnlyList<CollectionErasure> Order);

    private static readonly ConditionalWeakTable<TraversalPlan, KeptPreview> Previews = new();

    private async Task<(ErasurePreview Preview, IReadOnlyDictionary<CollectionKey, IReadOnlyList<string>> ReadColumns, IReadOnlyList<CollectionErasure> Order)> KeptPreviewAsync(
        TraversalPlan plan, ErasurePolicy policy, CancellationToken cancellationToken)
    {
        var schemas = new StoreSchema?[plan.Steps.Count];
        for (var i = 0; i < schemas.Length; i++)
        {
            schemas[i] = stores.TryGetValue(plan.Steps[i].Collection.Dataset, out var store) ? await store.DescribeAsync(cancellationToken) : null;
        }
        var key = PolicyKey(policy);
        if (Previews.TryGetValue(plan, out var kept) && kept.Policy == key && SameObjects(kept.Schemas, schemas) && SameObjects(kept.Datasets, datasets))
        {
            // Checked again as PreviewAsync would (itself kept per plan and schema, so cheap).
            await access.EnsureRunnableAsync(plan, cancellationToken);
            return (kept.Preview, kept.ReadColumns, kept.Order);
        }
        var preview = await PreviewAsync(plan, policy, cancellationToken);
        var needed = AccessRunner.NeededOutputs(plan);
        var readColumns = new Dictionary<CollectionKey, IReadOnlyList<string>>();
        foreach (var step in plan.Steps)
        {
            var erasure = preview.For(step.Collection);
            IReadOnlyList<string> keys = erasure is { Action: not ErasureAction.None } ? erasure.KeyColumns : [];
            IReadOnlyList<string> masked = erasure is { Action: ErasureAction.Mask } ? [.. erasure.Fields.Select(f => f.Field)] : [];
            IReadOnlyList<string> columns = [.. (needed.GetValueOrDefault(step.Collection) ?? []).Concat(keys).Concat(masked).Distinct(StringComparer.Ordinal)];
            if (columns.Count > 0)
            {
                readColumns[step.Collection] = columns;
            }
        }
        IReadOnlyList<CollectionErasure> order = [.. ErasureOrder(plan, preview)];
        Previews.AddOrUpdate(plan, new KeptPreview([.. datasets], schemas, key, preview, readColumns, order));
        return (preview, readColumns, order);
    }

    private static bool SameObjects<T>(IReadOnlyList<T> kept, IReadOnlyList<T> now) where T : class?
    {
        if (kept.Count != now.Count)
        {
            return false;
        }
        for (var i = 0; i < kept.Count; i++)
        {
            if (!ReferenceEquals(kept[i], now[i]))
            {
                return false;
            }
        }
        return true;
    }

    // Everything of the policy a preview reads, as text: rules (category, strategy, configuration) and exemptions.
    private static string PolicyKey(ErasurePolicy policy)
    {
        var text = new StringBuilder();
        foreach (var rule in policy.Rules)
        {
            text.Append("r\u0001").Append(rule.DataCategory).Append('\u0001').Append(rule.Masking.Strategy);
            foreach (var (name, value) in (rule.Masking.Configuration ?? new Dictionary<string, JsonElement>()).OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                text.Append('\u0001').Append(name).Append('=').Append(value.GetRawText());
            }
            text.Append('\u0002');
        }
        foreach (var exemption in policy.Exemptions)
        {
            text.Append("e\u0001").Append(exemption.DataCategory).Append('\u0001').Append(exemption.Reason)
                .Append('\u0001').Append(exemption.RetentionEnds).Append('\u0002');
        }
        return text.ToString();
    }

    // Children before parents (the plan reversed), and each collection after those its erase_after names.
    private IEnumerable<CollectionErasure> ErasureOrder(TraversalPlan plan, ErasurePreview preview)
    {
        var pending = plan.Steps.Reverse().Select(s => preview.For(s.Collection)!).Where(c => c.Action != ErasureAction.None).ToList();
        var done = new HashSet<CollectionKey>();
        while (pending.Count > 0)
        {
            var next = pending.FirstOrDefault(c => EraseAfter(c.Collection).All(a => done.Contains(a) || pending.All(p => p.Collection != a))) ?? pending[0];
            pending.Remove(next);
            done.Add(next.Collection);
            yield return next;
        }
    }

    private IEnumerable<CollectionKey> EraseAfter(CollectionKey key) =>
        (datasets.FirstOrDefault(d => d.FidesKey == key.Dataset)?.Collections.FirstOrDefault(c => c.Name == key.Collection)?.FidesMeta?.EraseAfter ?? [])
        .Select(CollectionKey.Parse).OfType<CollectionKey>();

    private static KeyFilter Filter(CollectionErasure collection, IReadOnlyList<IReadOnlyList<string?>> keys) =>
        new(collection.KeyColumns, [.. keys.Select(k => (IReadOnlyList<object?>)[.. k.Cast<object?>()])]);

    private static string? Text(object? value) => value is null ? null : StoreValues.TryCoerce(value, ValueKind.Text, out var text) ? (string?)text : null;

    private static List<object?> Typed(IReadOnlyList<string?> key, IReadOnlyList<StoreColumn> columns) =>
        [.. key.Select((v, i) => StoreValues.TryCoerce(v, columns[i].Kind, out var typed) ? typed : v)];

    // HMAC-SHA-256 under the fingerprint key, by one keyed hash reused for the run (the same values as a one-shot
    // HMACSHA256.HashData, without setting up the key for every row).
    private static string Fingerprint(IncrementalHash hmac, IReadOnlyList<object?> key)
    {
        Span<byte> hash = stackalloc byte[32];
        Hash(hmac, "key\n", key, hash);
        return Convert.ToHexStringLower(hash);
    }

    // The first 16 bytes of the HMAC, as hex.
    private static string Digest(IncrementalHash hmac, IReadOnlyList<object?> values)
    {
        Span<byte> hash = stackalloc byte[32];
        Hash(hmac, "values\n", values, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    // The HMAC of the UTF-8 of prefix + the values' canonical text, written into a stack buffer where it fits (a row's
    // key and masked values nearly always do).
    private static void Hash(IncrementalHash hmac, string prefix, IReadOnlyList<object?> values, Span<byte> hash)
    {
        Span<char> text = stackalloc char[256];
        prefix.CopyTo(text);
        if (StoreValues.TryWriteCanonical(values, text[prefix.Length..], out var written))
        {
            Span<byte> buffer = stackalloc byte[256 * 3];
            hmac.AppendData(buffer[..Encoding.UTF8.GetBytes(text[..(prefix.Length + written)], buffer)]);
        }
        else
        {
            hmac.AppendData(Encoding.UTF8.GetBytes(prefix + StoreValues.Canonical(values)));
        }
        hmac.GetHashAndReset(hash);
    }
}
