using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Connections;
using Dataward.Connectors.Datasets;
using Dataward.Datasets;
using Dataward.Domain;
using Dataward.Domain.Pseudonymisation;
using Dataward.Domain.Register;
using Dataward.Domain.Sharing;
using Dataward.Platform.Storage;
using Dataward.Pseudonymisation;
using Dataward.Register;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Sharing;

/// <summary>A sharing agreement as the API takes it (minimisation.md §6.2): <c>recipient</c> and <c>activity</c> by name
/// or id, <c>collection</c> as <c>dataset:collection</c>, <c>fields</c> as <c>{field: asIs|pseudonymise|generalise}</c>.
/// Omitted fields are the most restrictive choice (MIN023): no fields, status <c>draft</c>, k = 5, no sale.</summary>
public sealed record AgreementRequest(string? Recipient = null, string? Activity = null, string? Collection = null,
    IReadOnlyDictionary<string, string>? Fields = null, IReadOnlyList<string>? QuasiIdentifiers = null, int? K = null, string? Status = null,
    DateOnly? ReviewDue = null, bool? InvolvesSale = null, string? LawfulBasis = null, string? RetentionByRecipient = null, string? SecurityMeasures = null,
    string? RightsHandling = null, string? Transparency = null, string? InternationalTransfer = null, IReadOnlyList<string>? Parties = null);

/// <summary>The written terms of an agreement, kept as the DPO wrote them.</summary>
public sealed record AgreementTerms(string? LawfulBasis = null, string? RetentionByRecipient = null, string? SecurityMeasures = null, string? RightsHandling = null,
    string? Transparency = null, string? InternationalTransfer = null, IReadOnlyList<string>? Parties = null);

public sealed record FieldTreatment(string Field, string Treatment);

public sealed record AgreementParty(Guid Id, string Name, string Role);

public sealed record AgreementPurpose(Guid Id, string Name);

/// <summary>An agreement with what stands in the way of exporting under it today (<c>exportBlockers</c>, with rule ids).</summary>
public sealed record AgreementView(Guid Id, string Reference, AgreementParty Recipient, AgreementPurpose Activity, string Collection,
    IReadOnlyDictionary<string, string> Fields, IReadOnlyList<string> QuasiIdentifiers, int K, string Status, DateOnly? ReviewDue, bool ReviewOverdue,
    bool InvolvesSale, AgreementTerms Terms, string KeyDomain, IReadOnlyList<Violation> ExportBlockers, DateTimeOffset CreatedAt, string CreatedBy,
    DateTimeOffset UpdatedAt, int Version);

/// <summary>An export: the fields to include (each must be agreed; omitted: every agreed field) and <c>csv</c> or <c>json</c>.</summary>
public sealed record ExportRequest(IReadOnlyList<string>? Fields = null, string? Format = null);

/// <summary>One line of the export log (MIN022).</summary>
public sealed record ExportView(Guid Id, string Agreement, int AgreementVersion, string Recipient, string Actor, DateTimeOffset StartedAt, DateTimeOffset FinishedAt,
    string Format, IReadOnlyList<FieldTreatment> Fields, long Records, long Bytes, string Sha256, string Label, int? TargetK, long? SmallestGroup,
    string? KeyDomain, int? KeyVersion, string Destination);

/// <summary>A k-anonymity report over an agreement's extract as it would be made now: <c>fields</c> (default all agreed),
/// <c>quasiIdentifiers</c> and <c>k</c> (default the agreement's).</summary>
public sealed record AgreementKAnonymityRequest(IReadOnlyList<string>? Fields = null, IReadOnlyList<string>? QuasiIdentifiers = null, int? K = null);

/// <summary>Minimised sharing (minimisation.md §6, MIN018-MIN023): agreements that name a recipient, a purpose and the
/// fields that may leave with their treatment; extracts that hold only those fields, treated as agreed, read from the
/// connected database as a stream; and the export log.</summary>
public sealed class SharingService(DatawardDbContext db, AuditTrail audit, RecipientService recipients, RegisterService register, DatasetService datasets,
    ConnectionService connections, PseudonymisationService pseudonymisation, TimeProvider time)
{
    public const string ApplicationFormSource = "account-application-form";
    public const int MaxFields = 200;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task<IReadOnlyList<AgreementView>> ListAsync(CancellationToken cancellationToken = default)
    {
        var records = await db.Set<AgreementRecord>().AsNoTracking().OrderByDescending(a => a.Year).ThenByDescending(a => a.Sequence)
            .ToListAsync(cancellationToken);
        var context = await ContextAsync(cancellationToken);
        return [.. records.Select(r => View(r, context))];
    }

    public async Task<AgreementView?> GetAsync(string reference, CancellationToken cancellationToken = default) =>
        await FindAsync(reference, tracked: false, cancellationToken) is { } record ? View(record, await ContextAsync(cancellationToken)) : null;

    public async Task<Outcome<AgreementView>> CreateAsync(AgreementRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var validated = await ValidateAsync(request, cancellationToken);
        if (!validated.Succeeded)
        {
            return Outcome<AgreementView>.Fail(validated.Failure!.Value, [.. validated.Violations]);
        }
        var now = time.GetUtcNow();
        for (var attempt = 1; ; attempt++)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var year = now.UtcDateTime.Year;
            var sequence = (await db.Set<AgreementRecord>().Where(a => a.Year == year).MaxAsync(a => (int?)a.Sequence, cancellationToken) ?? 0) + 1;
            var reference = $"DSA-{year}-{sequence:D4}";
            var record = new AgreementRecord
            {
                Reference = reference,
                Year = year,
                Sequence = sequence,
                Dataset = "",
                Collection = "",
                Status = "",
                KeyDomain = KeyDomains.ForAgreement(reference),
                CreatedAt = now,
                CreatedBy = actor,
            };
            Apply(record, request, validated.Value!, now);
            db.Add(record);
            try
            {
                // MIN010: the agreement's own key domain, so its pseudonyms link to no other recipient's.
                var domain = await pseudonymisation.CreateDomainAsync(new KeyDomainRequest(record.KeyDomain, $"Pseudonyms in extracts under sharing agreement {reference}"),
                    actor, cancellationToken);
                if (!domain.Succeeded)
                {
                    return Outcome<AgreementView>.Fail(domain.Failure!.Value, [.. domain.Violations]);
                }
                await audit.RecordAsync(actor, "sharing.agreement_created", $"agreement:{reference}", Details(record), cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return Outcome<AgreementView>.Success(View(record, await ContextAsync(cancellationToken)));
            }
            catch (DbUpdateException e) when (attempt < 5 && DatabaseErrors.IsUniqueViolation(e))
            {
                // Two agreements took the same number: the loser takes the next.
                await transaction.RollbackAsync(cancellationToken);
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>Replaces an agreement's terms (a new version). An ended agreement stays as it ended.</summary>
    public async Task<Outcome<AgreementView>> UpdateAsync(string reference, AgreementRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var record = await FindAsync(reference, tracked: true, cancellationToken);
        if (record is null)
        {
            return Outcome<AgreementView>.NotFound("agreement", "No sharing agreement has this reference.");
        }
        if (record.Status == AgreementStatuses.Ended)
        {
            return Outcome<AgreementView>.Conflict("status", $"Agreement {record.Reference} has ended; draft a new one instead.");
        }
        var validated = await ValidateAsync(request, cancellationToken);
        if (!validated.Succeeded)
        {
            return Outcome<AgreementView>.Fail(validated.Failure!.Value, [.. validated.Violations]);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        Apply(record, request, validated.Value!, time.GetUtcNow());
        record.Version++;
        try
        {
            await audit.RecordAsync(actor, "sharing.agreement_updated", $"agreement:{record.Reference}", Details(record), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Outcome<AgreementView>.Conflict("version", $"Agreement {record.Reference} changed meanwhile; reload and try again.");
        }
        return Outcome<AgreementView>.Success(View(record, await ContextAsync(cancellationToken)));
    }

    /// <summary>Writes the extract to <paramref name="output"/> and logs it (MIN022), or refuses before writing anything:
    /// a field outside the agreement (MIN018), an agreement not in force or a processor without a contract (MIN019),
    /// application-form data in a sale (MIN020), a transfer without its safeguard (MIN021). Refusals are audited too.</summary>
    public async Task<Outcome<ExportView>> ExportAsync(string reference, ExportRequest request, Stream output, string destination, string actor,
        CancellationToken cancellationToken = default)
    {
        var format = request.Format ?? SharingExtract.Csv;
        if (!SharingExtract.Formats.Contains(format))
        {
            return Outcome<ExportView>.Invalid("format", "Use csv or json.");
        }
        var agreement = await FindAsync(reference, tracked: false, cancellationToken);
        if (agreement is null)
        {
            return Outcome<ExportView>.NotFound("agreement", "No sharing agreement has this reference.");
        }
        var prepared = await PrepareAsync(agreement, request.Fields, gate: true, cancellationToken);
        if (!prepared.Succeeded)
        {
            await audit.RecordAsync(actor, "sharing.export_refused", $"agreement:{agreement.Reference}",
                new JsonObject { ["ruleId"] = prepared.Violations.Select(v => v.RuleId).FirstOrDefault(r => r is not null), ["format"] = format }, cancellationToken);
            return Outcome<ExportView>.Fail(prepared.Failure!.Value, [.. prepared.Violations]);
        }
        await using var extract = prepared.Value!;
        var started = time.GetUtcNow();
        var hashing = new HashingStream(output);
        ExtractResult result;
        try
        {
            result = await extract.Extract.WriteAsync(hashing, format, new Dictionary<string, string>
            {
                ["agreement"] = agreement.Reference,
                ["recipient"] = extract.Recipient.Name,
                ["collection"] = extract.Collection.Address,
            }, cancellationToken);
        }
        catch (Exception e) when (ConnectedCollection.IsStoreFailure(e))
        {
            return Outcome<ExportView>.Conflict("collection", $"The database behind '{agreement.Dataset}' failed during the export, which was not completed: {e.Message}");
        }
        var record = new ExportRecord
        {
            AgreementId = agreement.Id,
            AgreementReference = agreement.Reference,
            AgreementVersion = agreement.Version,
            Actor = actor,
            StartedAt = started,
            FinishedAt = time.GetUtcNow(),
            Format = format,
            Fields = JsonSerializer.Serialize(extract.Fields.Select(f => new FieldTreatment(f.Name, f.Treatment)), Json),
            Records = result.Records,
            Bytes = hashing.BytesWritten,
            Sha256 = hashing.Finish(),
            Label = result.Label,
            TargetK = result.KAnonymity?.TargetK,
            SmallestGroup = result.KAnonymity?.SmallestGroup,
            KeyDomain = extract.Pseudonymiser?.Domain,
            KeyVersion = extract.Pseudonymiser?.Version,
            Destination = destination,
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Add(record);
        await audit.RecordAsync(actor, "sharing.exported", $"agreement:{agreement.Reference}", new JsonObject
        {
            ["export"] = record.Id.ToString(),
            ["records"] = record.Records,
            ["fields"] = new JsonArray([.. extract.Fields.Select(f => (JsonNode?)f.Name)]),
            ["sha256"] = record.Sha256,
            ["label"] = record.Label,
            ["keyVersion"] = record.KeyVersion,
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<ExportView>.Success(ExportViewOf(record, extract.Recipient.Name));
    }

    /// <summary>The export log, newest first: every export, or one agreement's.</summary>
    public async Task<Outcome<IReadOnlyList<ExportView>>> ExportsAsync(string? reference, int limit = 200, CancellationToken cancellationToken = default)
    {
        var query = db.Set<ExportRecord>().AsNoTracking();
        if (reference is not null)
        {
            var agreement = await FindAsync(reference, tracked: false, cancellationToken);
            if (agreement is null)
            {
                return Outcome<IReadOnlyList<ExportView>>.NotFound("agreement", "No sharing agreement has this reference.");
            }
            query = query.Where(e => e.AgreementId == agreement.Id);
        }
        var exports = await query.OrderByDescending(e => e.FinishedAt).Take(Math.Clamp(limit, 1, 1000)).ToListAsync(cancellationToken);
        var names = await (from a in db.Set<AgreementRecord>().AsNoTracking()
                           join r in db.Set<RecipientRecord>().AsNoTracking() on a.RecipientId equals r.Id
                           select new { a.Id, r.Name }).ToDictionaryAsync(x => x.Id, x => x.Name, cancellationToken);
        return Outcome<IReadOnlyList<ExportView>>.Success([.. exports.Select(e => ExportViewOf(e, names.GetValueOrDefault(e.AgreementId) ?? ""))]);
    }

    /// <summary>The k-anonymity of the extract an agreement would give now, before anything leaves (MIN015, MIN016).</summary>
    public async Task<Outcome<KAnonymityView>> KAnonymityAsync(string reference, AgreementKAnonymityRequest request, string actor,
        CancellationToken cancellationToken = default)
    {
        var agreement = await FindAsync(reference, tracked: false, cancellationToken);
        if (agreement is null)
        {
            return Outcome<KAnonymityView>.NotFound("agreement", "No sharing agreement has this reference.");
        }
        var k = request.K ?? agreement.K;
        if (k is < 2 or > 1000)
        {
            return Outcome<KAnonymityView>.Invalid("k", "A target k from 2 to 1,000.");
        }
        var quasi = request.QuasiIdentifiers ?? JsonSerializer.Deserialize<List<string>>(agreement.QuasiIdentifiers) ?? [];
        var selected = SharingRules.SelectFields(agreement.Reference, [.. AgreedFields(agreement).Select(f => f.Field)], request.Fields);
        if (!selected.Succeeded)
        {
            return Outcome<KAnonymityView>.Fail(selected.Failure!.Value, [.. selected.Violations]);
        }
        if (quasi.Count == 0 || quasi.Count > 50 || quasi.Any(q => !selected.Value!.Contains(q, StringComparer.Ordinal)))
        {
            return Outcome<KAnonymityView>.Invalid("quasiIdentifiers", "Name 1 to 50 quasi-identifiers among the extract's fields.");
        }
        var prepared = await PrepareAsync(agreement, request.Fields, gate: false, cancellationToken, quasi, k);
        if (!prepared.Succeeded)
        {
            return Outcome<KAnonymityView>.Fail(prepared.Failure!.Value, [.. prepared.Violations]);
        }
        await using var extract = prepared.Value!;
        ExtractResult result;
        try
        {
            result = await extract.Extract.WriteAsync(Stream.Null, SharingExtract.Csv, new Dictionary<string, string>(), cancellationToken);
        }
        catch (Exception e) when (ConnectedCollection.IsStoreFailure(e))
        {
            return Outcome<KAnonymityView>.Conflict("collection", $"The database behind '{agreement.Dataset}' could not be read: {e.Message}");
        }
        await audit.RecordAsync(actor, "sharing.k_anonymity_reported", $"agreement:{agreement.Reference}", new JsonObject
        {
            ["records"] = result.Records,
            ["k"] = k,
            ["smallestGroup"] = result.KAnonymity!.SmallestGroup,
            ["label"] = result.Label,
        }, cancellationToken);
        return Outcome<KAnonymityView>.Success(new KAnonymityView($"{agreement.Reference} ({extract.Collection.Address})", true, result.KAnonymity));
    }

    /// <summary>An extract ready to run: the open collection, the fields with their treatments, the agreement's pseudonymiser.</summary>
    private sealed class PreparedExtract(ConnectedCollection collection, IReadOnlyList<ExtractField> fields, Pseudonymiser? pseudonymiser,
        RecipientRecord recipient, SharingExtract extract) : IAsyncDisposable
    {
        public ConnectedCollection Collection => collection;
        public IReadOnlyList<ExtractField> Fields => fields;
        public Pseudonymiser? Pseudonymiser => pseudonymiser;
        public RecipientRecord Recipient => recipient;
        public SharingExtract Extract => extract;

        public ValueTask DisposeAsync()
        {
            pseudonymiser?.Dispose();
            return collection.DisposeAsync();
        }
    }

    private async Task<Outcome<PreparedExtract>> PrepareAsync(AgreementRecord agreement, IReadOnlyList<string>? requested, bool gate,
        CancellationToken cancellationToken, IReadOnlyList<string>? quasiIdentifiers = null, int? k = null)
    {
        var agreed = AgreedFields(agreement);
        var selected = SharingRules.SelectFields(agreement.Reference, [.. agreed.Select(f => f.Field)], requested);
        if (!selected.Succeeded)
        {
            return Outcome<PreparedExtract>.Fail(selected.Failure!.Value, [.. selected.Violations]);
        }
        var recipient = await db.Set<RecipientRecord>().AsNoTracking().FirstAsync(r => r.Id == agreement.RecipientId, cancellationToken);
        if (gate)
        {
            var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
            var blockers = SharingRules.ExportBlockers(new AgreementFacts(agreement.Reference, agreement.Status, agreement.ReviewDue), recipients.Facts(recipient),
                await register.OrganisationAsync(cancellationToken), today);
            if (blockers.Count > 0)
            {
                return Outcome<PreparedExtract>.Fail(FailureKind.Conflict, [.. blockers]);
            }
        }
        var opened = await ConnectedCollection.OpenAsync(connections, $"{agreement.Dataset}:{agreement.Collection}", "collection", cancellationToken);
        if (!opened.Succeeded)
        {
            return Outcome<PreparedExtract>.Fail(opened.Failure!.Value, [.. opened.Violations]);
        }
        var collection = opened.Value!;
        try
        {
            if (agreement.InvolvesSale && gate)
            {
                // MIN020 again at export: the register may have linked this data to the application form since.
                var sold = ApplicationFormFields(collection.Dataset, collection.Collection, selected.Value!,
                    await register.ListAsync(new ActivityFilter(), cancellationToken));
                if (sold.Count > 0)
                {
                    await collection.DisposeAsync();
                    return Outcome<PreparedExtract>.Fail(FailureKind.Conflict, [.. sold]);
                }
            }
            var fields = new List<ExtractField>();
            foreach (var name in selected.Value!)
            {
                if (collection.Field(name) is not { } profile)
                {
                    await collection.DisposeAsync();
                    return Outcome<PreparedExtract>.Conflict("fields", $"'{name}' is no longer a column of {collection.Address}; test the connection and review agreement {agreement.Reference}.");
                }
                fields.Add(new ExtractField(profile, agreed.First(f => f.Field == name).Treatment));
            }
            Pseudonymiser? pseudonymiser = null;
            if (fields.Any(f => f.Treatment == Treatments.Pseudonymise))
            {
                var key = await pseudonymisation.OpenAsync(agreement.KeyDomain, null, cancellationToken);
                if (!key.Succeeded)
                {
                    await collection.DisposeAsync();
                    return Outcome<PreparedExtract>.Fail(key.Failure!.Value, [.. key.Violations]);
                }
                pseudonymiser = key.Value;
            }
            var extract = new SharingExtract(collection, fields, pseudonymiser,
                quasiIdentifiers ?? JsonSerializer.Deserialize<List<string>>(agreement.QuasiIdentifiers) ?? [], k ?? agreement.K);
            return Outcome<PreparedExtract>.Success(new PreparedExtract(collection, fields, pseudonymiser, recipient, extract));
        }
        catch (Exception e) when (ConnectedCollection.IsStoreFailure(e))
        {
            await collection.DisposeAsync();
            return Outcome<PreparedExtract>.Conflict("collection", $"The database behind '{agreement.Dataset}' could not be read: {e.Message}");
        }
    }

    private sealed record Resolved(RecipientRecord Recipient, ActivityView Activity, string Dataset, string Collection,
        IReadOnlyList<FieldTreatment> Fields, IReadOnlyList<string> QuasiIdentifiers);

    private async Task<Outcome<Resolved>> ValidateAsync(AgreementRequest request, CancellationToken cancellationToken)
    {
        var violations = new List<Violation>();
        var recipient = await recipients.FindAsync(request.Recipient, cancellationToken);
        if (recipient is null)
        {
            violations.Add(new Violation("recipient", "Name a registered recipient (by name or id): register it first (POST /api/recipients)."));
        }
        var activities = await register.ListAsync(new ActivityFilter(), cancellationToken);
        var activity = Guid.TryParse(request.Activity, out var activityId)
            ? activities.FirstOrDefault(a => a.Id == activityId)
            : activities.FirstOrDefault(a => string.Equals(a.Name, request.Activity?.Trim(), StringComparison.OrdinalIgnoreCase));
        if (activity is null)
        {
            violations.Add(new Violation("activity", "Name the register activity (by name or id) whose purpose the sharing serves."));
        }
        else if (activity.Status == ActivityStatus.Retired)
        {
            violations.Add(new Violation("activity", $"Activity '{activity.Name}' is retired; a purpose that has ended cannot justify sharing."));
        }
        else if (recipient is not null && RecipientService.LinkedActivities(recipient.NameKey, [activity]).Count == 0)
        {
            violations.Add(new Violation("activity",
                $"Activity '{activity.Name}' does not name {recipient.Name} among its recipients or joint controllers: add it there first, so the record of processing shows the disclosure (Art. 30(1)(d))."));
        }
        Dataset? dataset = null;
        Collection? collection = null;
        if (!ConnectedCollection.TryParse(request.Collection, out var datasetKey, out var collectionName))
        {
            violations.Add(new Violation("collection", "Name the collection as dataset:collection, e.g. crm:users."));
        }
        else if ((await datasets.GetAsync(datasetKey, cancellationToken))?.Dataset is not { } found)
        {
            violations.Add(new Violation("collection", $"There is no dataset '{Shorten(datasetKey)}': import it first (POST /api/datasets)."));
        }
        else if (found.Collections.FirstOrDefault(c => c.Name == collectionName) is not { } c)
        {
            violations.Add(new Violation("collection", $"Dataset '{datasetKey}' has no collection '{Shorten(collectionName)}'."));
        }
        else
        {
            (dataset, collection) = (found, c);
        }
        // MIN023: no fields until someone sets them.
        var fields = new List<FieldTreatment>();
        var requested = request.Fields ?? new Dictionary<string, string>();
        if (requested.Count > MaxFields)
        {
            violations.Add(new Violation("fields", $"At most {MaxFields} fields."));
        }
        foreach (var (name, treatment) in requested.Take(MaxFields))
        {
            if (PseudonymisationMethods.Unkeyed.Contains(treatment ?? ""))
            {
                violations.Add(PseudonymisationMethods.Check(treatment, $"fields.{Shorten(name)}")!);
            }
            else if (!Treatments.All.Contains(treatment))
            {
                violations.Add(new Violation($"fields.{Shorten(name)}", $"Use {string.Join(", ", Treatments.All)}."));
            }
            if (collection is not null && collection.Fields.All(f => f.Name != name))
            {
                violations.Add(new Violation($"fields.{Shorten(name)}", $"'{Shorten(name)}' is not a field of {datasetKey}:{collectionName}."));
            }
            fields.Add(new FieldTreatment(name, treatment ?? ""));
        }
        var quasi = (request.QuasiIdentifiers ?? []).Distinct(StringComparer.Ordinal).ToList();
        if (quasi.Count > 50 || quasi.Any(q => !requested.ContainsKey(q)))
        {
            violations.Add(new Violation("quasiIdentifiers", "Quasi-identifiers are agreed fields (up to 50) that together could single a person out."));
        }
        if (request.K is < 2 or > 1000)
        {
            violations.Add(new Violation("k", "A target k from 2 to 1,000 (default 5)."));
        }
        var status = request.Status ?? AgreementStatuses.Draft;
        if (!AgreementStatuses.All.Contains(status))
        {
            violations.Add(new Violation("status", $"Use one of {string.Join(", ", AgreementStatuses.All)}."));
        }
        else if (status == AgreementStatuses.Active)
        {
            if (requested.Count == 0)
            {
                violations.Add(new Violation("fields", "An active agreement lists the fields it allows; none are set.", "MIN023"));
            }
            if (request.ReviewDue is null)
            {
                violations.Add(new Violation("reviewDue", "An active agreement has a review date.", "MIN023"));
            }
        }
        if (request.LawfulBasis is { } basis && !LawfulBases.All.Contains(basis))
        {
            violations.Add(new Violation("lawfulBasis", $"Use one of {string.Join(", ", LawfulBases.All)}."));
        }
        foreach (var (field, text) in new[] { ("retentionByRecipient", request.RetentionByRecipient), ("securityMeasures", request.SecurityMeasures),
                     ("rightsHandling", request.RightsHandling), ("transparency", request.Transparency), ("internationalTransfer", request.InternationalTransfer) })
        {
            if (text is { Length: > 4000 })
            {
                violations.Add(new Violation(field, "At most 4,000 characters."));
            }
        }
        if (request.Parties is { } parties && (parties.Count > 20 || parties.Any(p => string.IsNullOrWhiteSpace(p) || p.Length > 200)))
        {
            violations.Add(new Violation("parties", "Up to 20 names, each up to 200 characters."));
        }
        if (request.InvolvesSale == true && dataset is not null && collection is not null)
        {
            violations.AddRange(ApplicationFormFields(dataset, collection, [.. requested.Keys], activities));
        }
        return violations.Count > 0
            ? Outcome<Resolved>.Fail(FailureKind.Invalid, [.. violations])
            : Outcome<Resolved>.Success(new Resolved(recipient!, activity!, datasetKey, collectionName, fields, quasi));
    }

    /// <summary>MIN020 (policy P6): in a sale, no field of data collected via the account application form. A field is
    /// such data when a register activity with that source holds its dataset and processes one of its data categories;
    /// a field without categories cannot be shown to be anything else, so it counts.</summary>
    public static IReadOnlyList<Violation> ApplicationFormFields(Dataset dataset, Collection collection, IReadOnlyList<string> fields,
        IEnumerable<ActivityView> activities)
    {
        var form = activities.Where(a => a.Status != ActivityStatus.Retired && a.Datasets.Contains(dataset.FidesKey)
            && a.Sources.Any(s => string.Equals(s.Trim(), ApplicationFormSource, StringComparison.OrdinalIgnoreCase))).ToList();
        var violations = new List<Violation>();
        foreach (var name in fields)
        {
            var field = collection.Fields.FirstOrDefault(f => f.Name == name);
            var categories = field?.DataCategories is { Count: > 0 } own ? own
                : collection.DataCategories is { Count: > 0 } inherited ? inherited : dataset.DataCategories ?? [];
            var source = form.FirstOrDefault(a => categories.Count == 0 || categories.Any(c => a.DataCategories.Any(d =>
                Domain.Taxonomy.Taxonomy.IsSelfOrDescendant(c, d) || Domain.Taxonomy.Taxonomy.IsSelfOrDescendant(d, c))));
            if (source is not null)
            {
                violations.Add(new Violation($"fields.{name}",
                    $"'{name}' is data collected via the account application form (activity '{source.Name}'), which is never sold: remove it or set involvesSale to false.",
                    "MIN020"));
            }
        }
        return violations;
    }

    private void Apply(AgreementRecord record, AgreementRequest request, Resolved resolved, DateTimeOffset now)
    {
        record.RecipientId = resolved.Recipient.Id;
        record.ActivityId = resolved.Activity.Id;
        record.Dataset = resolved.Dataset;
        record.Collection = resolved.Collection;
        record.Fields = JsonSerializer.Serialize(resolved.Fields, Json);
        record.QuasiIdentifiers = JsonSerializer.Serialize(resolved.QuasiIdentifiers);
        record.K = request.K ?? KAnonymityCounter.DefaultK;
        record.Status = request.Status ?? AgreementStatuses.Draft;
        record.ReviewDue = request.ReviewDue;
        record.InvolvesSale = request.InvolvesSale ?? false;
        record.Terms = JsonSerializer.Serialize(new AgreementTerms(request.LawfulBasis, Blank(request.RetentionByRecipient), Blank(request.SecurityMeasures),
            Blank(request.RightsHandling), Blank(request.Transparency), Blank(request.InternationalTransfer), request.Parties?.Select(p => p.Trim()).ToList()), Json);
        record.UpdatedAt = now;
    }

    private async Task<AgreementRecord?> FindAsync(string reference, bool tracked, CancellationToken cancellationToken)
    {
        var set = tracked ? db.Set<AgreementRecord>() : db.Set<AgreementRecord>().AsNoTracking();
        if (Guid.TryParse(reference, out var id))
        {
            return await set.FirstOrDefaultAsync(a => a.Id == id, cancellationToken);
        }
        var normalised = reference.Trim().ToUpperInvariant();
        return normalised.Length > 20 ? null : await set.FirstOrDefaultAsync(a => a.Reference == normalised, cancellationToken);
    }

    private static List<FieldTreatment> AgreedFields(AgreementRecord record) =>
        JsonSerializer.Deserialize<List<FieldTreatment>>(record.Fields, Json) ?? [];

    private sealed record ViewContext(IReadOnlyDictionary<Guid, RecipientRecord> Recipients, IReadOnlyDictionary<Guid, string> Activities,
        Organisation Organisation, DateOnly Today);

    private async Task<ViewContext> ContextAsync(CancellationToken cancellationToken) => new(
        await db.Set<RecipientRecord>().AsNoTracking().ToDictionaryAsync(r => r.Id, cancellationToken),
        (await register.ListAsync(new ActivityFilter(), cancellationToken)).ToDictionary(a => a.Id, a => a.Name),
        await register.OrganisationAsync(cancellationToken), DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));

    private AgreementView View(AgreementRecord r, ViewContext context)
    {
        var recipient = context.Recipients[r.RecipientId];
        var fields = AgreedFields(r);
        var blockers = SharingRules.ExportBlockers(new AgreementFacts(r.Reference, r.Status, r.ReviewDue), recipients.Facts(recipient), context.Organisation, context.Today);
        if (fields.Count == 0)
        {
            blockers = [.. blockers, new Violation("fields", $"Agreement {r.Reference} lists no fields yet.", "MIN023")];
        }
        return new AgreementView(r.Id, r.Reference, new AgreementParty(recipient.Id, recipient.Name, recipient.Role),
            new AgreementPurpose(r.ActivityId, context.Activities.GetValueOrDefault(r.ActivityId) ?? "(deleted activity)"), $"{r.Dataset}:{r.Collection}",
            fields.ToDictionary(f => f.Field, f => f.Treatment), JsonSerializer.Deserialize<List<string>>(r.QuasiIdentifiers) ?? [], r.K, r.Status, r.ReviewDue,
            r.ReviewDue < context.Today, r.InvolvesSale, JsonSerializer.Deserialize<AgreementTerms>(r.Terms, Json) ?? new AgreementTerms(), r.KeyDomain, blockers,
            r.CreatedAt, r.CreatedBy, r.UpdatedAt, r.Version);
    }

    private static ExportView ExportViewOf(ExportRecord e, string recipient) => new(e.Id, e.AgreementReference, e.AgreementVersion, recipient, e.Actor,
        e.StartedAt, e.FinishedAt, e.Format, JsonSerializer.Deserialize<List<FieldTreatment>>(e.Fields, Json) ?? [], e.Records, e.Bytes, e.Sha256, e.Label,
        e.TargetK, e.SmallestGroup, e.KeyDomain, e.KeyVersion, e.Destination);

    private static JsonObject Details(AgreementRecord r) => new()
    {
        ["version"] = r.Version,
        ["status"] = r.Status,
        ["recipient"] = r.RecipientId.ToString(),
        ["activity"] = r.ActivityId.ToString(),
        ["collection"] = $"{r.Dataset}:{r.Collection}",
        ["fields"] = AgreedFields(r).Count,
        ["involvesSale"] = r.InvolvesSale,
    };

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static string Shorten(string text) => text.Length > 64 ? text[..64] + "…" : text;
}
