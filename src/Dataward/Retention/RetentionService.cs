using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cronos;
using Dataward.Audit;
using Dataward.Connections;
using Dataward.Connectors.Stores;
using Dataward.Datasets;
using Dataward.Domain;
using Dataward.Domain.Consent;
using Dataward.Domain.Retention;
using Dataward.Domain.Taxonomy;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Register;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dataward.Retention;

/// <summary>The <c>Retention</c> section: how sweeps pace themselves and when the DPOs hear about reviews.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Rows changed in one transaction of the connected database (MIN004). Each batch costs a fixed few
    /// round trips and commits, so small batches sweep slowly (docs/benchmarks.md, retention sweeps).</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 50_000;

    /// <summary>Pages a rule changes with one statement (a delete or a constant mask on a single integer key) grow or shrink
    /// from <see cref="BatchSize"/> towards this many seconds each, up to <see cref="RetentionSweeps.MaxPageRows"/> rows:
    /// each page pays two durable commits, which small pages of a large sweep spend most of their time on. 0 keeps them
    /// at <see cref="BatchSize"/>.</summary>
    [Range(0, 60)]
    public double PageSeconds { get; set; } = 0.5;

    /// <summary>At most this many batches a second per rule, so a sweep does not starve the organisation's own
    /// applications; 0 for no limit.</summary>
    [Range(0, 10_000)]
    public double BatchesPerSecond { get; set; } = 20;

    /// <summary>The DPOs are reminded this many days before a rule's annual review is due (MIN006).</summary>
    [Range(1, 365)]
    public int ReviewNoticeDays { get; set; } = 30;
}

/// <summary>A retention rule as the API takes it. <c>action</c> defaults to <c>review</c> (MIN023); on PATCH, omitted
/// fields keep their value and an empty string clears an optional one.</summary>
public sealed record RetentionRuleRequest(string? Name = null, string? Dataset = null, string? Collection = null, string? TriggerField = null,
    string? Period = null, string? Action = null, string? Reason = null, string? Category = null, string? Activity = null, string? TriggerEvent = null,
    string? LegalReference = null, string? Owner = null, string? Schedule = null);

/// <summary>A rule as the schedule shows it: what it says, its review state (MIN006) and whether its current version
/// still needs a dry run before a sweep applies it (MIN002).</summary>
public sealed record RetentionRuleView(Guid Id, string Name, string? Category, Guid? Activity, string? ActivityName, string Dataset, string Collection,
    string TriggerField, string? TriggerEvent, string Period, string Action, string Reason, string? LegalReference, string? Owner, string? Schedule,
    DateTimeOffset? NextRunAt, string Status, int Version, bool NeedsDryRun, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? LastReviewedAt, string? LastReviewedBy, DateTimeOffset NextReviewDue, bool Overdue);

public sealed record RetentionReviewRequest(string? Notes = null);

/// <summary>A legal hold as the API takes it: who (an identity the datasets know, e-mail by default), why, until when.</summary>
public sealed record LegalHoldRequest(string Identity, string Reason, string IdentityKind = "email", DateTimeOffset? Until = null, string? MatterRef = null);

public sealed record LegalHoldRelease(string? Reason = null);

/// <summary>A hold as shown: never the identity itself, only its kind and a short keyed reference.</summary>
public sealed record LegalHoldView(Guid Id, string IdentityKind, string IdentityReference, string? MatterRef, string Reason, DateTimeOffset? Until,
    string PlacedBy, DateTimeOffset PlacedAt, string? ReleasedBy, DateTimeOffset? ReleasedAt, bool Active);

public enum ScheduleFormat
{
    Csv,
    Xlsx,
}

/// <summary>The retention schedule (issue 6 point 1): rules per category or activity, validated against the datasets
/// and the connected database (MIN001), reviewed every year by the DPO (MIN006), exported; and the legal holds that
/// suspend it (§2.4).</summary>
public sealed partial class RetentionService(DatawardDbContext db, RegisterService register, DatasetService datasets, ConnectionService connections,
    KeyRing keys, AuditTrail audit, EmailOutbox outbox, UserManager<StaffUser> users, IOptions<RetentionOptions> options, TimeProvider time)
{
    private const string HoldPurpose = "retention.hold.identity";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<IReadOnlyList<RetentionRuleView>> ListAsync(bool includeRetired = true, CancellationToken cancellationToken = default)
    {
        var query = db.Set<RetentionRuleRecord>().AsNoTracking();
        if (!includeRetired)
        {
            query = query.Where(r => r.Status == RetentionRuleStatus.Active);
        }
        var records = await query.OrderBy(r => r.Name).ToListAsync(cancellationToken);
        var activities = await ActivityNamesAsync(cancellationToken);
        return [.. records.Select(r => View(r, activities))];
    }

    public async Task<RetentionRuleView?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        await db.Set<RetentionRuleRecord>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken) is { } record
            ? View(record, await ActivityNamesAsync(cancellationToken))
            : null;

    public async Task<Outcome<RetentionRuleView>> CreateAsync(RetentionRuleRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var draft = Draft(request);
        var checkedRule = await CheckAsync(draft, null, cancellationToken);
        if (!checkedRule.Succeeded)
        {
            return Outcome<RetentionRuleView>.Fail(checkedRule.Failure!.Value, [.. checkedRule.Violations]);
        }
        var now = time.GetUtcNow();
        var record = new RetentionRuleRecord
        {
            Name = "",
            Dataset = "",
            Collection = "",
            TriggerField = "",
            Period = "",
            Action = "",
            Reason = "",
            Status = RetentionRuleStatus.Active,
            CreatedAt = now,
            CreatedBy = actor,
            UpdatedAt = now,
        };
        Apply(record, draft, checkedRule.Value, now);
        db.Add(record);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            await audit.RecordAsync(actor, "retention.rule_created", $"retention-rule:{record.Id}", Details(record), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            return Outcome<RetentionRuleView>.Conflict("name", $"A rule named '{record.Name}' exists already.");
        }
        return Outcome<RetentionRuleView>.Success(View(record, await ActivityNamesAsync(cancellationToken)));
    }

    /// <summary>PUT replaces the rule (<paramref name="partial"/> false); PATCH changes the fields given. A change makes a
    /// new version, which needs a dry run before it is applied (MIN002).</summary>
    public async Task<Outcome<RetentionRuleView>> UpdateAsync(Guid id, RetentionRuleRequest request, bool partial, string actor,
        CancellationToken cancellationToken = default)
    {
        var record = await db.Set<RetentionRuleRecord>().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<RetentionRuleView>.NotFound("id", "No retention rule has this id.");
        }
        if (record.Status == RetentionRuleStatus.Retired)
        {
            return Outcome<RetentionRuleView>.Conflict("status", "This rule is retired: write a new rule instead.");
        }
        var draft = partial ? Merge(DraftOf(record), request) : Draft(request);
        var checkedRule = await CheckAsync(draft, record, cancellationToken);
        if (!checkedRule.Succeeded)
        {
            return Outcome<RetentionRuleView>.Fail(checkedRule.Failure!.Value, [.. checkedRule.Violations]);
        }
        var before = JsonSerializer.Serialize(DraftOf(record), Json);
        var now = time.GetUtcNow();
        Apply(record, draft, checkedRule.Value, now);
        if (JsonSerializer.Serialize(DraftOf(record), Json) == before)
        {
            return Outcome<RetentionRuleView>.Success(View(record, await ActivityNamesAsync(cancellationToken)));
        }
        record.Version++;
        record.UpdatedAt = now;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            await audit.RecordAsync(actor, "retention.rule_changed", $"retention-rule:{record.Id}", Details(record), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            return Outcome<RetentionRuleView>.Conflict("name", $"A rule named '{record.Name}' exists already.");
        }
        return Outcome<RetentionRuleView>.Success(View(record, await ActivityNamesAsync(cancellationToken)));
    }

    /// <summary>A rule no sweep has applied is deleted; one that has is retired, so the sweeps and erasures it made keep
    /// their rule. Returns the rule's status afterwards (<c>deleted</c> or <c>retired</c>).</summary>
    public async Task<Outcome<string>> RetireAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        var record = await db.Set<RetentionRuleRecord>().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<string>.NotFound("id", "No retention rule has this id.");
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        string result;
        if (record.Applied)
        {
            record.Status = RetentionRuleStatus.Retired;
            record.NextRunAt = null;
            record.UpdatedAt = time.GetUtcNow();
            result = RetentionRuleStatus.Retired;
        }
        else
        {
            db.Remove(record);
            result = "deleted";
        }
        await audit.RecordAsync(actor, $"retention.rule_{result}", $"retention-rule:{record.Id}",
            new JsonObject { ["name"] = record.Name, ["version"] = record.Version }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<string>.Success(result);
    }

    /// <summary>MIN006: the DPO signs off the rule's annual review, which sets the next one a year on.</summary>
    public async Task<Outcome<RetentionRuleView>> ReviewAsync(Guid id, string? notes, string actor, CancellationToken cancellationToken = default)
    {
        if (notes is { Length: > 4000 })
        {
            return Outcome<RetentionRuleView>.Invalid("notes", "Keep review notes under 4,000 characters.");
        }
        var record = await db.Set<RetentionRuleRecord>().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<RetentionRuleView>.NotFound("id", "No retention rule has this id.");
        }
        if (record.Status == RetentionRuleStatus.Retired)
        {
            return Outcome<RetentionRuleView>.Conflict("status", "A retired rule is not reviewed.");
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        record.LastReviewedAt = time.GetUtcNow();
        record.LastReviewedBy = actor;
        await audit.RecordAsync(actor, "retention.rule_reviewed", $"retention-rule:{record.Id}", new JsonObject
        {
            ["version"] = record.Version,
            ["nextReviewDue"] = RetentionRules.NextReviewDue(record.CreatedAt, record.LastReviewedAt).ToString("O", CultureInfo.InvariantCulture),
            ["notes"] = string.IsNullOrWhiteSpace(notes) ? null : notes.Trim(),
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<RetentionRuleView>.Success(View(record, await ActivityNamesAsync(cancellationToken)));
    }

    /// <summary>MIN006: e-mails the DPOs about rules whose review is overdue or due within the notice period; each rule and
    /// due date once. Returns how many rules the reminder names.</summary>
    public async Task<int> QueueReviewRemindersAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var due = (await ListAsync(includeRetired: false, cancellationToken))
            .Where(r => r.NextReviewDue <= now.AddDays(options.Value.ReviewNoticeDays)).ToList();
        if (due.Count == 0)
        {
            return 0;
        }
        var ids = due.Select(r => r.Id).ToList();
        var told = (await db.Set<RetentionReviewReminder>().Where(r => ids.Contains(r.RuleId)).ToListAsync(cancellationToken))
            .Select(r => (r.RuleId, r.DueAt)).ToHashSet();
        var fresh = due.Where(r => !told.Contains((r.Id, r.NextReviewDue))).OrderBy(r => r.NextReviewDue).ToList();
        var recipients = await DpoAddressesAsync(cancellationToken);
        if (fresh.Count == 0 || recipients.Count == 0)
        {
            return 0;
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var rule in fresh)
        {
            db.Add(new RetentionReviewReminder { RuleId = rule.Id, DueAt = rule.NextReviewDue, SentAt = now });
        }
        var body = new StringBuilder("These retention rules need the DPO's annual review (policy: the schedule is reviewed every year):\n\n");
        foreach (var rule in fresh)
        {
            body.Append(CultureInfo.InvariantCulture, $"- {rule.Name} ({rule.Dataset}.{rule.Collection}, {rule.Period}, {rule.Action}): ")
                .Append(CultureInfo.InvariantCulture, $"{(rule.Overdue ? "OVERDUE since" : "due")} {rule.NextReviewDue:yyyy-MM-dd}\n");
        }
        body.Append("\nSign off each review on the rule's page (Retention > rule > Sign off review).\n");
        var subject = $"Retention schedule review: {fresh.Count(r => r.Overdue)} overdue, {fresh.Count(r => !r.Overdue)} due soon";
        foreach (var recipient in recipients)
        {
            outbox.Enqueue(recipient, subject, body.ToString(), "retention.review_reminder");
        }
        await audit.RecordAsync(AuditActor.System, "retention.review_reminder_queued", "retention-schedule",
            new JsonObject { ["rules"] = fresh.Count, ["recipients"] = recipients.Count }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return fresh.Count;
    }

    /// <summary>The schedule as CSV (UTF-8 with BOM, for spreadsheets) or XLSX, in the columns of the printable page.</summary>
    public async Task WriteScheduleAsync(ScheduleFormat format, Stream output, CancellationToken cancellationToken = default)
    {
        var rules = await ListAsync(includeRetired: true, cancellationToken);
        if (format == ScheduleFormat.Csv)
        {
            await using var writer = new StreamWriter(output, new UTF8Encoding(true), leaveOpen: true);
            await using var csv = new CsvHelper.CsvWriter(writer, CultureInfo.InvariantCulture);
            foreach (var header in ScheduleColumns)
            {
                csv.WriteField(header);
            }
            await csv.NextRecordAsync();
            foreach (var rule in rules)
            {
                foreach (var field in ScheduleRow(rule))
                {
                    csv.WriteField(field);
                }
                await csv.NextRecordAsync();
            }
            return;
        }
        var sheet = rules.Select(r => ScheduleColumns.Zip(ScheduleRow(r)).ToDictionary(c => c.First, c => (object)c.Second)).ToList();
        using var buffer = new MemoryStream();
        await MiniExcelLibs.MiniExcel.SaveAsAsync(buffer, new Dictionary<string, object> { ["Retention schedule"] = sheet }, cancellationToken: cancellationToken);
        buffer.Position = 0;
        await buffer.CopyToAsync(output, cancellationToken);
    }

    public static readonly IReadOnlyList<string> ScheduleColumns =
    [
        "Rule", "Data category", "Processing activity", "Dataset", "Collection", "Trigger field", "Trigger event", "Period", "Action",
        "Reason", "Legal reference", "Owner", "Schedule (cron, UTC)", "Status", "Version", "Last reviewed", "Reviewed by", "Next review due", "Overdue",
    ];

    public static IReadOnlyList<string> ScheduleRow(RetentionRuleView r) =>
    [
        r.Name, r.Category ?? "(the collection's categories)", r.ActivityName ?? "", r.Dataset, r.Collection, r.TriggerField, r.TriggerEvent ?? "",
        r.Period, r.Action, r.Reason, r.LegalReference ?? "", r.Owner ?? "", r.Schedule ?? "", r.Status,
        r.Version.ToString(CultureInfo.InvariantCulture), r.LastReviewedAt?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "never",
        r.LastReviewedBy ?? "", r.NextReviewDue.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), r.Overdue ? "Yes" : "No",
    ];

    public async Task<IReadOnlyList<LegalHoldView>> HoldsAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        return [.. (await db.Set<LegalHold>().AsNoTracking().ToListAsync(cancellationToken))
            .OrderByDescending(h => IsActive(h, now)).ThenByDescending(h => h.PlacedAt).Select(h => View(h, now))];
    }

    /// <summary>§2.4: the rows of this person are skipped by every sweep until the hold ends or is released (MIN003).</summary>
    public async Task<Outcome<LegalHoldView>> PlaceHoldAsync(LegalHoldRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = new List<Violation>();
        if (!IdentityKindPattern().IsMatch(request.IdentityKind ?? ""))
        {
            violations.Add(new Violation("identityKind", "An identity type the datasets know the person by, e.g. email or phone_number."));
        }
        if (string.IsNullOrWhiteSpace(request.Identity) || request.Identity.Trim().Length > 320)
        {
            violations.Add(new Violation("identity", "Give the person's identity (e.g. their e-mail address), up to 320 characters."));
        }
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Trim().Length > 2000)
        {
            violations.Add(new Violation("reason", "Say why the data must be kept: the litigation, investigation or inquiry (Art. 17(3)(e))."));
        }
        var now = time.GetUtcNow();
        if (request.Until is { } until && until <= now)
        {
            violations.Add(new Violation("until", "A hold ends in the future; release a hold instead of ending it in the past."));
        }
        if (request.MatterRef?.Length > 200)
        {
            violations.Add(new Violation("matterRef", "At most 200 characters."));
        }
        if (violations.Count > 0)
        {
            return Outcome<LegalHoldView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var identity = ConsentRules.NormaliseSubject(request.Identity);
        var hold = new LegalHold
        {
            IdentityKind = request.IdentityKind!,
            IdentityHash = keys.Hash($"{request.IdentityKind}\n{identity}", HoldPurpose),
            IdentityEncrypted = keys.Encrypt(identity, HoldPurpose),
            MatterRef = string.IsNullOrWhiteSpace(request.MatterRef) ? null : request.MatterRef.Trim(),
            Reason = request.Reason.Trim(),
            Until = request.Until,
            PlacedBy = actor,
            PlacedAt = now,
        };
        db.Add(hold);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await audit.RecordAsync(actor, "retention.hold_placed", $"legal-hold:{hold.Id}", new JsonObject
        {
            ["identityKind"] = hold.IdentityKind,
            ["matterRef"] = hold.MatterRef,
            ["until"] = hold.Until?.ToString("O", CultureInfo.InvariantCulture),
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<LegalHoldView>.Success(View(hold, now));
    }

    /// <summary>Ends a hold; the rows it kept are swept on the next run if they have expired (§2.4).</summary>
    public async Task<Outcome<LegalHoldView>> ReleaseHoldAsync(Guid id, string? reason, string actor, CancellationToken cancellationToken = default)
    {
        if (reason?.Length > 2000)
        {
            return Outcome<LegalHoldView>.Invalid("reason", "At most 2,000 characters.");
        }
        var hold = await db.Set<LegalHold>().FirstOrDefaultAsync(h => h.Id == id, cancellationToken);
        if (hold is null)
        {
            return Outcome<LegalHoldView>.NotFound("id", "No legal hold has this id.");
        }
        if (hold.ReleasedAt is not null)
        {
            return Outcome<LegalHoldView>.Conflict("state", "This hold was released already.");
        }
        var now = time.GetUtcNow();
        hold.ReleasedAt = now;
        hold.ReleasedBy = actor;
        hold.ReleaseReason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await audit.RecordAsync(actor, "retention.hold_released", $"legal-hold:{hold.Id}", new JsonObject { ["matterRef"] = hold.MatterRef }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<LegalHoldView>.Success(View(hold, now));
    }

    /// <summary>The identities under an active hold, decrypted for the sweep that must find their rows.</summary>
    internal async Task<IReadOnlyList<IReadOnlyDictionary<string, string>>> HeldIdentitiesAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var holds = await db.Set<LegalHold>().AsNoTracking().Where(h => h.ReleasedAt == null).ToListAsync(cancellationToken);
        return [.. holds.Where(h => IsActive(h, now))
            .Select(h => (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { [h.IdentityKind] = keys.Decrypt(h.IdentityEncrypted, HoldPurpose) })];
    }

    private static bool IsActive(LegalHold hold, DateTimeOffset now) => hold.ReleasedAt is null && (hold.Until is null || hold.Until > now);

    private static LegalHoldView View(LegalHold h, DateTimeOffset now) => new(h.Id, h.IdentityKind, h.IdentityHash[..12], h.MatterRef, h.Reason, h.Until,
        h.PlacedBy, h.PlacedAt, h.ReleasedBy, h.ReleasedAt, IsActive(h, now));

    /// <summary>The rule as stored, for a sweep's snapshot.</summary>
    internal static RetentionRuleDraft DraftOf(RetentionRuleRecord r) => new(r.Name, r.Category, r.ActivityId?.ToString(), r.Dataset, r.Collection,
        r.TriggerField, r.TriggerEvent, r.Period, r.Action, r.Reason, r.LegalReference, r.Owner, r.Schedule);

    private static RetentionRuleDraft Draft(RetentionRuleRequest r) => new(Text(r.Name), Text(r.Category), Text(r.Activity), Text(r.Dataset),
        Text(r.Collection), Text(r.TriggerField), Text(r.TriggerEvent), Text(r.Period)?.ToUpperInvariant(), Text(r.Action), Text(r.Reason),
        Text(r.LegalReference), Text(r.Owner), Text(r.Schedule));

    private static RetentionRuleDraft Merge(RetentionRuleDraft current, RetentionRuleRequest r)
    {
        string? Pick(string? given, string? existing) => given is null ? existing : Text(given);
        return new RetentionRuleDraft(Pick(r.Name, current.Name), Pick(r.Category, current.Category), Pick(r.Activity, current.Activity),
            Pick(r.Dataset, current.Dataset), Pick(r.Collection, current.Collection), Pick(r.TriggerField, current.TriggerField),
            Pick(r.TriggerEvent, current.TriggerEvent), Pick(r.Period, current.Period)?.ToUpperInvariant(), Pick(r.Action, current.Action),
            Pick(r.Reason, current.Reason), Pick(r.LegalReference, current.LegalReference), Pick(r.Owner, current.Owner), Pick(r.Schedule, current.Schedule));
    }

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private sealed record CheckedRule(Guid? ActivityId, CronExpression? Schedule);

    /// <summary>MIN001 and the checks that need the register, the datasets and the connected database: the category and
    /// activity exist, the collection is in the dataset, and the trigger field is a date or timestamp column there.</summary>
    private async Task<Outcome<CheckedRule>> CheckAsync(RetentionRuleDraft draft, RetentionRuleRecord? existing, CancellationToken cancellationToken)
    {
        var violations = RetentionRules.Validate(draft);
        if (draft.Name is { } name && await db.Set<RetentionRuleRecord>().AnyAsync(r => r.Name == name && r.Id != (existing == null ? Guid.Empty : existing.Id), cancellationToken))
        {
            return Outcome<CheckedRule>.Conflict("name", $"A rule named '{name}' exists already.");
        }
        if (draft.Category is { } category && (await register.TaxonomyAsync(cancellationToken)).Unknown(TaxonomyKind.DataCategories, category, "category") is { } unknown)
        {
            violations.Add(unknown);
        }
        Guid? activityId = null;
        if (draft.Activity is { } activity)
        {
            var activities = await register.ListAsync(new ActivityFilter(), cancellationToken);
            var found = Guid.TryParse(activity, out var id) ? activities.FirstOrDefault(a => a.Id == id) : activities.FirstOrDefault(a => a.Name == activity);
            if (found is null)
            {
                violations.Add(new Violation("activity", $"The register has no processing activity '{activity}' (give its id or exact name)."));
            }
            activityId = found?.Id;
        }
        CronExpression? schedule = null;
        if (draft.Schedule is { } cron)
        {
            if (cron.Length > 200 || !CronExpression.TryParse(cron, CronFormat.Standard, out schedule))
            {
                violations.Add(new Violation("schedule",
                    $"'{cron}' is not a cron expression of five fields (minute hour day-of-month month day-of-week, UTC), e.g. \"0 2 * * *\" for 02:00 every day."));
            }
        }
        var sameTarget = existing is not null && existing.Dataset == draft.Dataset && existing.Collection == draft.Collection
            && existing.TriggerField == draft.TriggerField;
        if (violations.Count == 0 && !sameTarget)
        {
            violations.AddRange(await CheckTriggerFieldAsync(draft.Dataset!, draft.Collection!, draft.TriggerField!, cancellationToken));
        }
        return violations.Count > 0
            ? Outcome<CheckedRule>.Fail(FailureKind.Invalid, [.. violations])
            : Outcome<CheckedRule>.Success(new CheckedRule(activityId, schedule));
    }

    private async Task<List<Violation>> CheckTriggerFieldAsync(string datasetKey, string collectionName, string triggerField, CancellationToken cancellationToken)
    {
        var stored = await datasets.GetAsync(datasetKey, cancellationToken);
        if (stored is null)
        {
            return [new Violation("dataset", $"There is no dataset '{datasetKey}': import it first (dataward datasets import, or POST /api/datasets).")];
        }
        var collection = stored.Dataset.Collections.FirstOrDefault(c => c.Name == collectionName);
        if (collection is null)
        {
            return [new Violation("collection", $"Dataset '{datasetKey}' has no collection '{collectionName}'.")];
        }
        var field = collection.Fields.FirstOrDefault(f => f.Name == triggerField);
        if (field is null)
        {
            return [new Violation("triggerField", $"Collection '{collectionName}' of '{datasetKey}' has no field '{triggerField}'.", "MIN001")];
        }
        if (field.FidesMeta?.DataType is { } declared && declared is not "string")
        {
            return [new Violation("triggerField", $"'{triggerField}' is declared {declared} in the dataset, not a date: the period counts from a date or timestamp.", "MIN001")];
        }
        if ((await connections.ListAsync(cancellationToken)).All(c => !c.Datasets.Contains(datasetKey)))
        {
            return [new Violation("dataset",
                $"Dataset '{datasetKey}' has no connection, so the type of '{triggerField}' cannot be checked: connect its database first (POST /api/connections).", "MIN001")];
        }
        try
        {
            await using var connected = await connections.ConnectAsync(cancellationToken);
            var table = (await connected.Stores[datasetKey].DescribeAsync(cancellationToken)).Find(collectionName);
            var column = table?.Column(triggerField);
            if (column is null)
            {
                return [new Violation("triggerField", $"The connected database has no column '{triggerField}' in '{collectionName}'.", "MIN001")];
            }
            if (column.Kind is not (ValueKind.Timestamp or ValueKind.TimestampWithZone or ValueKind.Date))
            {
                return [new Violation("triggerField", $"'{triggerField}' holds {column.DataType}, not a date or timestamp: the period counts from a date.", "MIN001")];
            }
            return [];
        }
        catch (Exception e) when (RetentionSweeps.Unreachable(e) is { } why)
        {
            return [new Violation("dataset", $"The type of '{triggerField}' could not be checked: {why}", "MIN001")];
        }
    }

    private void Apply(RetentionRuleRecord record, RetentionRuleDraft draft, CheckedRule? checkedRule, DateTimeOffset now)
    {
        record.Name = draft.Name!;
        record.Category = draft.Category;
        record.ActivityId = checkedRule?.ActivityId;
        record.Dataset = draft.Dataset!;
        record.Collection = draft.Collection!;
        record.TriggerField = draft.TriggerField!;
        record.TriggerEvent = draft.TriggerEvent;
        record.Period = draft.Period!;
        // MIN023: without a chosen action the rule only flags rows for review.
        record.Action = RetentionRules.ActionOrDefault(draft.Action);
        record.Reason = draft.Reason!;
        record.LegalReference = draft.LegalReference;
        record.Owner = draft.Owner;
        if (record.Schedule != draft.Schedule || record.NextRunAt is null)
        {
            record.NextRunAt = checkedRule?.Schedule?.GetNextOccurrence(now.UtcDateTime) is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;
        }
        record.Schedule = draft.Schedule;
    }

    private static JsonObject Details(RetentionRuleRecord r) => new()
    {
        ["name"] = r.Name,
        ["version"] = r.Version,
        ["dataset"] = r.Dataset,
        ["collection"] = r.Collection,
        ["triggerField"] = r.TriggerField,
        ["period"] = r.Period,
        ["action"] = r.Action,
        ["schedule"] = r.Schedule,
    };

    private async Task<Dictionary<Guid, string>> ActivityNamesAsync(CancellationToken cancellationToken) =>
        await db.Activities.AsNoTracking().ToDictionaryAsync(a => a.Id, a => a.Name, cancellationToken);

    private RetentionRuleView View(RetentionRuleRecord r, IReadOnlyDictionary<Guid, string> activities)
    {
        var due = RetentionRules.NextReviewDue(r.CreatedAt, r.LastReviewedAt);
        return new RetentionRuleView(r.Id, r.Name, r.Category, r.ActivityId, r.ActivityId is { } a ? activities.GetValueOrDefault(a) : null, r.Dataset,
            r.Collection, r.TriggerField, r.TriggerEvent, r.Period, r.Action, r.Reason, r.LegalReference, r.Owner, r.Schedule, r.NextRunAt, r.Status,
            r.Version, r.DryRunVersion != r.Version, r.CreatedAt, r.UpdatedAt, r.LastReviewedAt, r.LastReviewedBy, due,
            r.Status == RetentionRuleStatus.Active && RetentionRules.Overdue(due, time.GetUtcNow()));
    }

    // The DPO named in the organisation record; failing that, every account with the DPO role.
    private async Task<IReadOnlyList<string>> DpoAddressesAsync(CancellationToken cancellationToken)
    {
        var organisation = await register.OrganisationAsync(cancellationToken);
        if (organisation.Dpo?.Email is { Length: > 0 } email)
        {
            return [email];
        }
        return [.. (await users.GetUsersInRoleAsync(StaffRoles.DataProtectionOfficer)).Select(u => u.Email).OfType<string>().Order()];
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex IdentityKindPattern();
}

/// <summary>Sends the MIN006 reminders every few hours while <c>serve</c> runs; safe on several instances because each
/// reminder is recorded by rule and due date.</summary>
public sealed class RetentionReviewReminderJob(IServiceScopeFactory scopes, TimeProvider time, ILogger<RetentionReviewReminderJob> logger)
    : Platform.Jobs.PeriodicJob(scopes, time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromHours(6);

    protected override Task RunAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<RetentionService>().QueueReviewRemindersAsync(cancellationToken);
}
