using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Domain.Register;
using Dataward.Domain.Taxonomy;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;
using TaxonomyModel = Dataward.Domain.Taxonomy.Taxonomy;

namespace Dataward.Register;

/// <summary>An activity as the register shows it: the document plus its identity, versions and derived facts.</summary>
public sealed record ActivityView : ProcessingActivity
{
    public Guid Id { get; init; }
    public int Version { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? LastReviewedAt { get; init; }
    public DateTimeOffset ReviewDueAt { get; init; }
    public bool Overdue { get; init; }
    public IReadOnlyList<string> SpecialCategories { get; init; } = [];
    public bool CriminalOffenceData { get; init; }
    public IReadOnlyList<string> RightsAvailable { get; init; } = [];

    /// <summary>From the DPIA capability, not the register document: the newest screening, the newest DPIA and whether
    /// processing must wait for the ICO (ACC011, ACC013). Null when the activity was never screened or assessed.</summary>
    public Dpias.ActivityDpiaScreening? DpiaScreening { get; init; }
}

/// <summary>Filters of the register list; null means "any".</summary>
public sealed record ActivityFilter(bool? Overdue = null, string? LawfulBasis = null, bool? SpecialCategory = null,
    string? Status = null, string? Owner = null);

public sealed record ActivityVersionView(int Version, DateTimeOffset ChangedAt, string ChangedBy, string Change);

public sealed record ActivityReviewView(Guid Id, DateTimeOffset ReviewedAt, string ReviewedBy, string? Notes, int Version);

/// <summary>One field that differs between two versions (a JSON path, the values before and after).</summary>
/// <summary>What an import did; <see cref="Changed"/> is false when the file matched the register already.</summary>
public sealed record ImportSummary(int Created, int Updated, int Unchanged, int TaxonomyKeysAdded, bool Changed);

public sealed record FieldChange(string Field, JsonNode? Before, JsonNode? After);

/// <summary>The Data Processing Register: activities, their history and reviews, the organisation, custom taxonomy
/// keys and policy rules. Every change is validated first (REG001-REG014) and audited in the same transaction.</summary>
public sealed class RegisterService(DatawardDbContext db, AuditTrail audit, TimeProvider time)
{
    /// <summary>How register documents are written everywhere (database, export): camelCase, nulls left out.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectNullableAnnotations = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public async Task<TaxonomyModel> TaxonomyAsync(CancellationToken cancellationToken = default)
    {
        var custom = await db.TaxonomyTerms.AsNoTracking().ToListAsync(cancellationToken);
        var taxonomy = TaxonomyModel.Default;
        foreach (var group in custom.GroupBy(t => Enum.Parse<TaxonomyKind>(t.Kind)))
        {
            taxonomy = taxonomy.With(group.Key, group.Select(t => new TaxonomyTerm(t.Key, t.Name, t.Parent, t.Description))).Value ?? taxonomy;
        }
        return taxonomy;
    }

    public async Task<Outcome<TaxonomyTerm>> AddTermAsync(TaxonomyKind kind, TaxonomyTerm term, string actor,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(term.Name) || term.Key.Length is 0 or > 200 || !term.Key.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            return Outcome<TaxonomyTerm>.Invalid("key", "Keys are dotted lower-case words (letters, digits, _ and -), with a name.");
        }
        var extended = (await TaxonomyAsync(cancellationToken)).With(kind, [term]);
        if (!extended.Succeeded)
        {
            return Outcome<TaxonomyTerm>.Fail(extended.Failure!.Value, [.. extended.Violations]);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.TaxonomyTerms.Add(new TaxonomyTermRecord { Kind = kind.ToString(), Key = term.Key, Name = term.Name, Parent = term.Parent!, Description = term.Description });
        await audit.RecordAsync(actor, "taxonomy.term_added", $"taxonomy:{kind}:{term.Key}", null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<TaxonomyTerm>.Success(term with { Custom = true });
    }

    public async Task<Organisation> OrganisationAsync(CancellationToken cancellationToken = default)
    {
        var record = await db.Organisation.AsNoTracking().FirstOrDefaultAsync(cancellationToken);
        return record is null ? new Organisation() : JsonSerializer.Deserialize<Organisation>(record.Document, Json)!;
    }

    public async Task<Outcome<Organisation>> SetOrganisationAsync(Organisation organisation, string actor, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(organisation.Name))
        {
            return Outcome<Organisation>.Invalid("name", "Give the controller's name.");
        }
        var unknown = organisation.Jurisdictions.FirstOrDefault(j => j is not ("UK" or "EU"));
        if (unknown is not null || organisation.Jurisdictions.Count == 0)
        {
            return Outcome<Organisation>.Invalid("jurisdictions", "Use UK and/or EU.");
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Organisation.FirstOrDefaultAsync(cancellationToken);
        var document = JsonSerializer.Serialize(organisation, Json);
        if (record is null)
        {
            db.Organisation.Add(new OrganisationRecord { Document = document, UpdatedAt = time.GetUtcNow() });
        }
        else
        {
            record.Document = document;
            record.UpdatedAt = time.GetUtcNow();
        }
        await audit.RecordAsync(actor, "register.organisation_updated", "organisation", null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<Organisation>.Success(organisation);
    }

    public async Task<IReadOnlyList<ActivityView>> ListAsync(ActivityFilter filter, CancellationToken cancellationToken = default)
    {
        var query = db.Activities.AsNoTracking();
        if (filter.LawfulBasis is { } basis)
        {
            query = query.Where(a => a.LawfulBasis == basis);
        }
        if (filter.SpecialCategory is { } special)
        {
            query = query.Where(a => a.HasSpecialCategories == special);
        }
        if (filter.Status is { } status)
        {
            query = query.Where(a => a.Status == status);
        }
        if (filter.Owner is { } owner)
        {
            query = query.Where(a => a.Owner == owner);
        }
        var taxonomy = await TaxonomyAsync(cancellationToken);
        var views = (await query.OrderBy(a => a.Name).ToListAsync(cancellationToken)).Select(a => View(a, taxonomy)).ToList();
        var dpias = await Dpias.DpiaService.ForActivitiesAsync(db, views.Select(v => v.Id).ToList(), cancellationToken);
        views = views.Select(v => v with { DpiaScreening = dpias.GetValueOrDefault(v.Id) }).ToList();
        return filter.Overdue is { } overdue ? views.Where(v => v.Overdue == overdue).ToList() : views;
    }

    public async Task<ActivityView?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        await db.Activities.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, cancellationToken) is { } record
            ? await WithDpiaAsync(View(record, await TaxonomyAsync(cancellationToken)), cancellationToken)
            : null;

    /// <summary>ACC011, ACC013: the DPIA capability's facts about one activity, beside the register's own.</summary>
    private async Task<ActivityView> WithDpiaAsync(ActivityView view, CancellationToken cancellationToken) =>
        view with { DpiaScreening = (await Dpias.DpiaService.ForActivitiesAsync(db, [view.Id], cancellationToken)).GetValueOrDefault(view.Id) };

    public async Task<Outcome<ActivityView>> CreateAsync(ProcessingActivity activity, string actor, CancellationToken cancellationToken = default)
    {
        activity = Normalise(activity);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var taxonomy = await TaxonomyAsync(cancellationToken);
        var violations = ActivityRules.Validate(activity, await ContextAsync(taxonomy, null, cancellationToken));
        if (violations.Count > 0)
        {
            return Outcome<ActivityView>.Fail(ConflictOrInvalid(violations), [.. violations]);
        }
        var record = NewRecord(activity, taxonomy);
        db.Activities.Add(record);
        db.ActivityVersions.Add(VersionOf(record, actor, "created"));
        await audit.RecordAsync(actor, "register.activity_created", $"activity:{record.Id}",
            new JsonObject { ["version"] = record.Version, ["status"] = record.Status }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<ActivityView>.Success(View(record, taxonomy));
    }

    public async Task<Outcome<ActivityView>> UpdateAsync(Guid id, ProcessingActivity activity, int? expectedVersion, string actor,
        CancellationToken cancellationToken = default)
    {
        activity = Normalise(activity);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Activities.FirstOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<ActivityView>.NotFound("id", "No activity has this id.");
        }
        if (expectedVersion is { } expected && expected != record.Version)
        {
            return Outcome<ActivityView>.Conflict("version", $"The activity changed since version {expected}; it is now version {record.Version}. Reload and try again.");
        }
        var taxonomy = await TaxonomyAsync(cancellationToken);
        var violations = ActivityRules.Validate(activity, await ContextAsync(taxonomy, id, cancellationToken));
        if (violations.Count > 0)
        {
            return Outcome<ActivityView>.Fail(ConflictOrInvalid(violations), [.. violations]);
        }
        var document = JsonSerializer.Serialize(activity, Json);
        if (document == record.Document)
        {
            return Outcome<ActivityView>.Success(await WithDpiaAsync(View(record, taxonomy), cancellationToken)); // nothing changed: no new version
        }
        Apply(record, activity, document, taxonomy);
        record.Version++;
        db.ActivityVersions.Add(VersionOf(record, actor, "updated"));
        await audit.RecordAsync(actor, "register.activity_updated", $"activity:{record.Id}",
            new JsonObject { ["version"] = record.Version, ["status"] = record.Status }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<ActivityView>.Success(await WithDpiaAsync(View(record, taxonomy), cancellationToken));
    }

    /// <summary>Deletes a draft. Active and retired activities are part of the record: retire them instead.</summary>
    public async Task<Outcome<Guid>> DeleteAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Activities.FirstOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<Guid>.NotFound("id", "No activity has this id.");
        }
        if (record.Status != ActivityStatus.Draft)
        {
            return Outcome<Guid>.Conflict("status", $"Only drafts can be deleted; set this {record.Status} activity's status to retired instead, so the record keeps it.");
        }
        record.Version++;
        db.ActivityVersions.Add(VersionOf(record, actor, "deleted"));
        db.Activities.Remove(record);
        await audit.RecordAsync(actor, "register.activity_deleted", $"activity:{record.Id}", new JsonObject { ["version"] = record.Version }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<Guid>.Success(id);
    }

    /// <summary>P1: the DPO signs off a review, which restarts the six-month clock.</summary>
    public async Task<Outcome<ActivityView>> ReviewAsync(Guid id, string? notes, string actor, CancellationToken cancellationToken = default)
    {
        if (notes is { Length: > 4000 })
        {
            return Outcome<ActivityView>.Invalid("notes", "Keep review notes under 4,000 characters.");
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Activities.FirstOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<ActivityView>.NotFound("id", "No activity has this id.");
        }
        var now = time.GetUtcNow();
        db.ActivityReviews.Add(new ActivityReview { ActivityId = id, ReviewedBy = actor, ReviewedAt = now, Notes = notes?.Trim(), Version = record.Version });
        record.LastReviewedAt = now;
        await audit.RecordAsync(actor, "register.activity_reviewed", $"activity:{record.Id}", new JsonObject { ["version"] = record.Version }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<ActivityView>.Success(await WithDpiaAsync(View(record, await TaxonomyAsync(cancellationToken)), cancellationToken));
    }

    public async Task<IReadOnlyList<ActivityReviewView>> ReviewsAsync(Guid id, CancellationToken cancellationToken = default) =>
        (await db.ActivityReviews.AsNoTracking().Where(r => r.ActivityId == id).ToListAsync(cancellationToken))
            .OrderByDescending(r => r.ReviewedAt).Select(r => new ActivityReviewView(r.Id, r.ReviewedAt, r.ReviewedBy, r.Notes, r.Version)).ToList();

    public async Task<IReadOnlyList<ActivityVersionView>> HistoryAsync(Guid id, CancellationToken cancellationToken = default) =>
        (await db.ActivityVersions.AsNoTracking().Where(v => v.ActivityId == id).ToListAsync(cancellationToken))
            .OrderByDescending(v => v.Version).Select(v => new ActivityVersionView(v.Version, v.ChangedAt, v.ChangedBy, v.Change)).ToList();

    public async Task<Outcome<IReadOnlyList<FieldChange>>> DiffAsync(Guid id, int from, int to, CancellationToken cancellationToken = default)
    {
        var versions = await db.ActivityVersions.AsNoTracking()
            .Where(v => v.ActivityId == id && (v.Version == from || v.Version == to)).ToListAsync(cancellationToken);
        var before = versions.FirstOrDefault(v => v.Version == from);
        var after = versions.FirstOrDefault(v => v.Version == to);
        if (before is null || after is null)
        {
            return Outcome<IReadOnlyList<FieldChange>>.NotFound(before is null ? "from" : "to", "This activity has no such version.");
        }
        return Outcome<IReadOnlyList<FieldChange>>.Success(JsonDiff.Changes(JsonNode.Parse(before.Document), JsonNode.Parse(after.Document))
            .Select(c => new FieldChange(c.Field, c.Before, c.After)).ToList());
    }

    /// <summary>REG015-REG020 over the whole register.</summary>
    public async Task<IReadOnlyList<CheckViolation>> CheckAsync(CancellationToken cancellationToken = default)
    {
        var records = await db.Activities.AsNoTracking().ToListAsync(cancellationToken);
        var rules = await PolicyRulesAsync(cancellationToken);
        return RegisterChecks.Check(records.Select(Registered), rules, time.GetUtcNow());
    }

    public async Task<IReadOnlyList<PolicyRule>> PolicyRulesAsync(CancellationToken cancellationToken = default) =>
        (await db.PolicyRules.AsNoTracking().OrderBy(p => p.Key).ToListAsync(cancellationToken))
            .Select(p => JsonSerializer.Deserialize<PolicyRule>(p.Criteria, Json)!).ToList();

    public async Task<Outcome<PolicyRule>> AddPolicyRuleAsync(PolicyRule rule, string actor, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(rule.Key) || rule.Key.Length > 100 || string.IsNullOrWhiteSpace(rule.Name))
        {
            return Outcome<PolicyRule>.Invalid("key", "A rule needs a key (up to 100 characters) and a name.");
        }
        if (rule.DataCategories.Count + rule.DataUses.Count + rule.DataSubjects.Count + rule.Sources.Count == 0)
        {
            return Outcome<PolicyRule>.Invalid("dataUses", "A rule needs at least one data category, data use, source or data subject.");
        }
        var taxonomy = await TaxonomyAsync(cancellationToken);
        var unknown = rule.DataCategories.Select(k => taxonomy.Unknown(TaxonomyKind.DataCategories, k, "dataCategories"))
            .Concat(rule.DataUses.Select(k => taxonomy.Unknown(TaxonomyKind.DataUses, k, "dataUses")))
            .Concat(rule.DataSubjects.Select(k => taxonomy.Unknown(TaxonomyKind.DataSubjects, k, "dataSubjects")))
            .OfType<Violation>()
            .ToArray();
        if (unknown.Length > 0)
        {
            return Outcome<PolicyRule>.Fail(FailureKind.Invalid, unknown);
        }
        if (RegisterChecks.DefaultPolicy.Any(p => p.Key == rule.Key) || await db.PolicyRules.AnyAsync(p => p.Key == rule.Key, cancellationToken))
        {
            return Outcome<PolicyRule>.Conflict("key", $"A rule '{rule.Key}' already exists.");
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.PolicyRules.Add(new PolicyRuleRecord { Key = rule.Key, Name = rule.Name, Criteria = JsonSerializer.Serialize(rule, Json) });
        await audit.RecordAsync(actor, "register.policy_rule_added", $"policy:{rule.Key}", null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<PolicyRule>.Success(rule);
    }

    /// <summary>The whole register as a file's content: organisation, the organisation's own taxonomy keys and
    /// policy rules, and every activity, in a stable order so two exports of one register are identical.</summary>
    public async Task<RegisterDocument> ExportAsync(CancellationToken cancellationToken = default)
    {
        var organisation = await db.Organisation.AsNoTracking().AnyAsync(cancellationToken) ? await OrganisationAsync(cancellationToken) : null;
        var terms = await db.TaxonomyTerms.AsNoTracking().ToListAsync(cancellationToken);
        IReadOnlyList<RegisterTerm> Of(TaxonomyKind kind) => terms.Where(t => t.Kind == kind.ToString()).OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => new RegisterTerm(t.Key, t.Name, t.Parent, t.Description)).ToList();
        var activities = await db.Activities.AsNoTracking().OrderBy(a => a.Name).Select(a => a.Document).ToListAsync(cancellationToken);
        return new RegisterDocument
        {
            Organisation = organisation,
            ConsentPurposes = (await db.Set<Consent.ConsentPurposeRecord>().AsNoTracking().OrderBy(p => p.Key).ToListAsync(cancellationToken))
                .Select(RegisterConsentPurpose.From).ToList(),
            Taxonomy = terms.Count == 0 ? null : new RegisterTaxonomy { DataCategories = Of(TaxonomyKind.DataCategories), DataUses = Of(TaxonomyKind.DataUses), DataSubjects = Of(TaxonomyKind.DataSubjects) },
            Policies = (await PolicyRulesAsync(cancellationToken)).Select(p => new PolicyRuleRequest(p.Key, p.Name, p.DataCategories, p.DataUses, p.Sources, p.DataSubjects)).ToList(),
            Activities = activities.Select(d => JsonSerializer.Deserialize<ProcessingActivity>(d, Json)!).OrderBy(a => a.Name, StringComparer.Ordinal).ToList(),
        };
    }

    /// <summary>Applies a register file: activities are matched by name (created or updated), taxonomy keys and
    /// policy rules are added, the organisation replaced. Everything is validated first; one invalid part and
    /// nothing changes. Applying an export of the same register changes nothing.</summary>
    public async Task<Outcome<ImportSummary>> ImportAsync(RegisterDocument document, string actor, CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var violations = new List<Violation>();
        var taxonomy = await TaxonomyAsync(cancellationToken);
        var newTerms = new List<(TaxonomyKind Kind, RegisterTerm Term)>();
        foreach (var group in (document.Taxonomy?.All ?? []).GroupBy(t => t.Kind))
        {
            var fresh = group.Where(t => taxonomy.Find(group.Key, t.Term.Key) is not { Custom: true }).ToList();
            var extended = taxonomy.With(group.Key, fresh.Select(t => new TaxonomyTerm(t.Term.Key, t.Term.Name, t.Term.Parent, t.Term.Description)));
            if (!extended.Succeeded)
            {
                violations.AddRange(extended.Violations.Select(v => v with { Field = $"taxonomy.{JsonNamingPolicy.CamelCase.ConvertName(group.Key.ToString())}.{v.Field}" }));
                continue;
            }
            taxonomy = extended.Value!;
            newTerms.AddRange(fresh);
        }
        var organisation = document.Organisation ?? await OrganisationAsync(cancellationToken);
        var (knownPurposes, explicitPurposes) = await ConsentPurposesAsync(cancellationToken);
        for (var i = 0; i < document.ConsentPurposes.Count; i++)
        {
            var purpose = document.ConsentPurposes[i];
            if (!Domain.Consent.ConsentRules.IsPurposeKey(purpose.Key))
            {
                violations.Add(new Violation($"consentPurposes[{i}].key", "Use 2 to 64 lower-case letters, digits and hyphens.", "CNS002"));
            }
            if (string.IsNullOrWhiteSpace(purpose.Title) || string.IsNullOrWhiteSpace(purpose.Description))
            {
                violations.Add(new Violation($"consentPurposes[{i}].title", "A consent purpose needs a title and a description.", "CNS002"));
            }
            knownPurposes.Add(purpose.Key);
            if (purpose.Explicit)
            {
                explicitPurposes.Add(purpose.Key);
            }
            else
            {
                explicitPurposes.Remove(purpose.Key);
            }
        }
        var existing = await db.Activities.ToListAsync(cancellationToken);
        var byName = existing.ToDictionary(a => a.Name, StringComparer.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < document.Activities.Count; i++)
        {
            var activity = Normalise(document.Activities[i]);
            if (!seen.Add(activity.Name))
            {
                violations.Add(new Violation($"activities[{i}].name", $"'{activity.Name}' appears twice in the file.", "REG014")); // REG014
            }
            // An activity in the file updates the one of the same name, so only other names can clash.
            var others = existing.Select(a => a.Name).Where(n => !string.Equals(n, activity.Name, StringComparison.OrdinalIgnoreCase))
                .ToHashSet(StringComparer.OrdinalIgnoreCase);
            violations.AddRange(ActivityRules.Validate(activity, new RegisterContext(taxonomy, organisation, others, knownPurposes, explicitPurposes))
                .Select(v => v with { Field = $"activities[{i}].{v.Field}" }));
        }
        for (var i = 0; i < document.Policies.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(document.Policies[i].Key) || string.IsNullOrWhiteSpace(document.Policies[i].Name))
            {
                violations.Add(new Violation($"policies[{i}].key", "A rule needs a key and a name."));
            }
        }
        if (violations.Count > 0)
        {
            return Outcome<ImportSummary>.Fail(FailureKind.Invalid, [.. violations]);
        }

        int created = 0, updated = 0, unchanged = 0;
        foreach (var (kind, term) in newTerms)
        {
            db.TaxonomyTerms.Add(new TaxonomyTermRecord { Kind = kind.ToString(), Key = term.Key, Name = term.Name, Parent = term.Parent, Description = term.Description });
        }
        var storedPurposes = (await db.Set<Consent.ConsentPurposeRecord>().ToListAsync(cancellationToken)).ToDictionary(p => p.Key);
        foreach (var purpose in document.ConsentPurposes)
        {
            if (!storedPurposes.TryGetValue(purpose.Key, out var record))
            {
                record = new Consent.ConsentPurposeRecord { Key = purpose.Key, Title = "", Description = "", CreatedAt = time.GetUtcNow() };
                db.Add(record);
            }
            else if (RegisterConsentPurpose.From(record) == purpose)
            {
                continue;
            }
            purpose.ApplyTo(record, time.GetUtcNow());
        }
        var knownRules = (await db.PolicyRules.ToListAsync(cancellationToken)).ToDictionary(p => p.Key);
        foreach (var rule in document.Policies.Select(p => p.ToRule()))
        {
            var criteria = JsonSerializer.Serialize(rule, Json);
            if (!knownRules.TryGetValue(rule.Key, out var record))
            {
                db.PolicyRules.Add(new PolicyRuleRecord { Key = rule.Key, Name = rule.Name, Criteria = criteria });
            }
            else if (record.Criteria != criteria)
            {
                record.Name = rule.Name;
                record.Criteria = criteria;
            }
        }
        if (document.Organisation is not null)
        {
            var orgDocument = JsonSerializer.Serialize(document.Organisation, Json);
            var orgRecord = await db.Organisation.FirstOrDefaultAsync(cancellationToken);
            if (orgRecord is null)
            {
                db.Organisation.Add(new OrganisationRecord { Document = orgDocument, UpdatedAt = time.GetUtcNow() });
            }
            else if (orgRecord.Document != orgDocument)
            {
                orgRecord.Document = orgDocument;
                orgRecord.UpdatedAt = time.GetUtcNow();
            }
        }
        var settingsChanged = db.ChangeTracker.HasChanges();
        foreach (var activity in document.Activities.Select(Normalise))
        {
            var json = JsonSerializer.Serialize(activity, Json);
            if (!byName.TryGetValue(activity.Name, out var record))
            {
                record = NewRecord(activity, taxonomy);
                db.Activities.Add(record);
                db.ActivityVersions.Add(VersionOf(record, actor, "imported"));
                await audit.RecordAsync(actor, "register.activity_created", $"activity:{record.Id}", new JsonObject { ["version"] = 1, ["via"] = "import" }, cancellationToken);
                created++;
            }
            else if (record.Document != json)
            {
                Apply(record, activity, json, taxonomy);
                record.Version++;
                db.ActivityVersions.Add(VersionOf(record, actor, "imported"));
                await audit.RecordAsync(actor, "register.activity_updated", $"activity:{record.Id}", new JsonObject { ["version"] = record.Version, ["via"] = "import" }, cancellationToken);
                updated++;
            }
            else
            {
                unchanged++;
            }
        }
        var changed = settingsChanged || created + updated > 0;
        if (changed)
        {
            await audit.RecordAsync(actor, "register.imported", "register",
                new JsonObject { ["created"] = created, ["updated"] = updated, ["unchanged"] = unchanged, ["taxonomyKeys"] = newTerms.Count }, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return Outcome<ImportSummary>.Success(new ImportSummary(created, updated, unchanged, newTerms.Count, changed));
    }

    private async Task<RegisterContext> ContextAsync(TaxonomyModel taxonomy, Guid? except, CancellationToken cancellationToken)
    {
        var (purposes, explicitPurposes) = await ConsentPurposesAsync(cancellationToken);
        return new RegisterContext(taxonomy, await OrganisationAsync(cancellationToken),
            (await db.Activities.Where(a => a.Id != except).Select(a => a.Name).ToListAsync(cancellationToken)).ToHashSet(StringComparer.OrdinalIgnoreCase),
            purposes, explicitPurposes);
    }

    // REG003 and REG006 look the purpose up in the consent ledger.
    private async Task<(HashSet<string> All, HashSet<string> Explicit)> ConsentPurposesAsync(CancellationToken cancellationToken)
    {
        var purposes = await db.Set<Consent.ConsentPurposeRecord>().AsNoTracking().Select(p => new { p.Key, p.Explicit }).ToListAsync(cancellationToken);
        return (purposes.Select(p => p.Key).ToHashSet(StringComparer.Ordinal), purposes.Where(p => p.Explicit).Select(p => p.Key).ToHashSet(StringComparer.Ordinal));
    }

    // A duplicate name is a conflict (409) when it is the only problem; anything else makes the input invalid.
    private static FailureKind ConflictOrInvalid(IReadOnlyList<Violation> violations) =>
        violations.All(v => v.RuleId == "REG014") ? FailureKind.Conflict : FailureKind.Invalid;

    private static ProcessingActivity Normalise(ProcessingActivity activity) => activity with
    {
        Name = activity.Name.Trim(),
        Owner = string.IsNullOrWhiteSpace(activity.Owner) ? null : activity.Owner.Trim(),
    };

    private ActivityRecord NewRecord(ProcessingActivity activity, TaxonomyModel taxonomy)
    {
        var now = time.GetUtcNow();
        var record = new ActivityRecord { Name = activity.Name, Status = activity.Status, Document = "", CreatedAt = now, UpdatedAt = now };
        Apply(record, activity, JsonSerializer.Serialize(activity, Json), taxonomy);
        return record;
    }

    private void Apply(ActivityRecord record, ProcessingActivity activity, string document, TaxonomyModel taxonomy)
    {
        record.Name = activity.Name;
        record.Status = activity.Status;
        record.LawfulBasis = activity.LawfulBasis;
        record.HasSpecialCategories = activity.DataCategories.Any(c => taxonomy.SpecialCategoriesOf(c).Count > 0);
        record.Owner = activity.Owner;
        record.Document = document;
        record.UpdatedAt = time.GetUtcNow();
    }

    private ActivityVersion VersionOf(ActivityRecord record, string actor, string change) => new()
    {
        ActivityId = record.Id,
        Version = record.Version,
        ChangedAt = time.GetUtcNow(),
        ChangedBy = actor,
        Change = change,
        Document = record.Document,
    };

    private static RegisteredActivity Registered(ActivityRecord record) =>
        new(record.Id, JsonSerializer.Deserialize<ProcessingActivity>(record.Document, Json)!, record.CreatedAt, record.LastReviewedAt);

    private ActivityView View(ActivityRecord record, TaxonomyModel taxonomy)
    {
        var activity = JsonSerializer.Deserialize<ProcessingActivity>(record.Document, Json)!;
        var registered = new RegisteredActivity(record.Id, activity, record.CreatedAt, record.LastReviewedAt);
        return new ActivityView
        {
            Name = activity.Name,
            Status = activity.Status,
            BusinessFunction = activity.BusinessFunction,
            Description = activity.Description,
            Purposes = activity.Purposes,
            DataSubjects = activity.DataSubjects,
            DataCategories = activity.DataCategories,
            LawfulBasis = activity.LawfulBasis,
            LawfulBasisDetail = activity.LawfulBasisDetail,
            ConsentPurpose = activity.ConsentPurpose,
            LegitimateInterestsAssessment = activity.LegitimateInterestsAssessment,
            Article9Condition = activity.Article9Condition,
            Schedule1Condition = activity.Schedule1Condition,
            AppropriatePolicyDocument = activity.AppropriatePolicyDocument,
            Article10Condition = activity.Article10Condition,
            Sources = activity.Sources,
            Recipients = activity.Recipients,
            JointControllers = activity.JointControllers,
            Transfers = activity.Transfers,
            Retention = activity.Retention,
            SecurityMeasures = activity.SecurityMeasures,
            AutomatedDecisionMaking = activity.AutomatedDecisionMaking,
            Systems = activity.Systems,
            Datasets = activity.Datasets,
            Dpia = activity.Dpia,
            Owner = activity.Owner,
            Id = record.Id,
            Version = record.Version,
            CreatedAt = record.CreatedAt,
            UpdatedAt = record.UpdatedAt,
            LastReviewedAt = record.LastReviewedAt,
            ReviewDueAt = RegisterChecks.ReviewDueAt(registered),
            Overdue = RegisterChecks.IsOverdue(registered, time.GetUtcNow()),
            SpecialCategories = activity.DataCategories.SelectMany(taxonomy.SpecialCategoriesOf).Distinct().Select(s => JsonNamingPolicy.CamelCase.ConvertName(s.ToString())).Order().ToList(),
            CriminalOffenceData = activity.DataCategories.Any(TaxonomyModel.IsCriminalOffenceData),
            RightsAvailable = RegisterChecks.RightsAvailable(activity.LawfulBasis),
        };
    }
}
