using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Domain.Breaches;
using Dataward.Domain.Taxonomy;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Register;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Breaches;

/// <summary>A suspected breach as any member of staff reports it (issue 7 point 1). <c>occurredAt</c> null: not known.</summary>
public sealed record NewBreach(string? Title = null, string? Description = null, DateTimeOffset? OccurredAt = null, DateTimeOffset? DiscoveredAt = null,
    IReadOnlyList<string>? Systems = null, IReadOnlyList<string>? DataCategories = null, int? ApproximateSubjects = null, int? ApproximateRecords = null,
    string? Containment = null, string? HowDiscovered = null);

/// <summary>The DPO's triage: a breach or not, with reasons, and when the organisation became aware (ACC001, ACC002, ACC004).</summary>
public sealed record TriageRequest(bool? IsBreach = null, DateTimeOffset? AwareAt = null, string? Reason = null, DateTimeOffset? ProcessorNotifiedControllerAt = null);

/// <summary>The ENISA assessment and the risk level with its reason (§1.7, §1.8), plus what the drafts need to say.</summary>
public sealed record AssessmentRequest(int? DpcBase = null, IReadOnlyList<DpcAdjustment>? DpcAdjustments = null, decimal? Ei = null, BreachCircumstances? Cb = null,
    string? RiskLevel = null, string? RiskReason = null, IReadOnlyList<string>? BreachTypes = null, IReadOnlyList<string>? SubjectCategories = null,
    string? LikelyConsequences = null, string? Measures = null, string? AdviceToPeople = null, string? CausedByCyberIncident = null);

/// <summary>A decision: <c>kind</c> <c>ico</c> (notify the ICO or not) or <c>individuals</c> (tell people or not, and which
/// Art. 34(3) exception applies).</summary>
public sealed record DecisionRequest(string? Kind = null, bool? Notify = null, string? Reason = null, string? Art34Exception = null, string? PublicCommunication = null);

/// <summary>A report made to the ICO: <c>type</c> initial or followUp; after the deadline <c>lateReason</c> is required (ACC003).</summary>
public sealed record IcoNotificationRequest(string? Type = null, DateTimeOffset? SentAt = null, string? CaseReference = null, string? LateReason = null);

public sealed record AffectedPerson(string Email, string? Name = null);

public sealed record AffectedPeopleRequest(IReadOnlyList<AffectedPerson>? People = null);

public sealed record ActionRequest(string? Description = null, string? Owner = null, DateTimeOffset? DueAt = null);

public sealed record WaiveRequest(string? Reason = null);

public sealed record CloseRequest(string? LessonsLearned = null);

public sealed record BreachActionView(Guid Id, string Description, string Owner, DateTimeOffset DueAt, DateTimeOffset? DoneAt, string? WaivedReason, bool Overdue);

public sealed record BreachTimelineEntry(DateTimeOffset At, string Actor, string Kind, string Summary);

/// <summary>A breach as the DPO and the API see it. <c>hoursLeft</c> and <c>overdue</c> describe the ICO clock while it runs.</summary>
public sealed record BreachView(Guid Id, string Reference, string Title, string Description, string Status, string ReportedBy, DateTimeOffset ReportedAt,
    DateTimeOffset? OccurredAt, DateTimeOffset DiscoveredAt, string? HowDiscovered, IReadOnlyList<string> Systems, IReadOnlyList<string> DataCategories,
    IReadOnlyList<string> SubjectCategories, IReadOnlyList<string> BreachTypes, int? ApproximateSubjects, int? ApproximateRecords, string? Containment,
    bool? IsBreach, string? TriageReason, DateTimeOffset? AwareAt, DateTimeOffset? ProcessorNotifiedControllerAt, double? AwarenessGapHours,
    DateTimeOffset? IcoDeadline, bool ClockRunning, int? HoursLeft, bool Overdue, Severity? Severity, string? SuggestedRiskLevel, string? RiskLevel,
    string? RiskReason, string? LikelyConsequences, string? Measures, string? AdviceToPeople, string? CausedByCyberIncident, IcoDecision? IcoDecision,
    IndividualsDecision? IndividualsDecision, IReadOnlyList<IcoNotification> IcoNotifications, IReadOnlyList<Communication> Communications,
    int AffectedPeopleCount, IReadOnlyList<BreachActionView> Actions, DateTimeOffset? ClosedAt, string? LessonsLearned, IReadOnlyList<BreachTimelineEntry> Timeline);

public sealed record BreachSummary(Guid Id, string Reference, string Title, string Status, bool? IsBreach, DateTimeOffset ReportedAt, DateTimeOffset DiscoveredAt,
    DateTimeOffset? IcoDeadline, bool ClockRunning, int? HoursLeft, bool Overdue, string? RiskLevel);

/// <summary>The breach register (accountability.md §1): reporting by any staff with the DPO told at once, triage and
/// the 72-hour clock, the ENISA assessment, decisions with reasons, the ICO draft and the letter to people, follow-up
/// actions and closure. Nothing is ever deleted (Art. 33(5)).</summary>
public sealed partial class BreachService(DatawardDbContext db, KeyRing keys, AuditTrail audit, EmailOutbox outbox, RegisterService register,
    IConfiguration configuration, TimeProvider time, Shredding.SubjectKeys subjectKeys)
{
    private const string PeoplePurpose = "breaches.affected_people";
    public const int MaxAffectedPeople = 100_000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<Outcome<BreachView>> ReportAsync(NewBreach report, string actor, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var violations = new List<Violation>();
        Text(violations, "title", report.Title, 200, required: true);
        Text(violations, "description", report.Description, 10_000, required: true);
        Text(violations, "containment", report.Containment, 10_000);
        Text(violations, "howDiscovered", report.HowDiscovered, 2000);
        if (report.DiscoveredAt is null)
        {
            violations.Add(new Violation("discoveredAt", "Say when the breach was discovered (ISO 8601 with offset)."));
        }
        else
        {
            violations.AddRange(BreachRules.ReportTimes(report.OccurredAt, report.DiscoveredAt.Value, now));
        }
        var systems = Clean(report.Systems);
        if (systems.Count > 50 || systems.Any(s => s.Length > 200))
        {
            violations.Add(new Violation("systems", "Up to 50 systems, each up to 200 characters."));
        }
        var categories = Clean(report.DataCategories);
        var taxonomy = await register.TaxonomyAsync(cancellationToken);
        violations.AddRange(categories.Select((c, i) => taxonomy.Unknown(TaxonomyKind.DataCategories, c, $"dataCategories[{i}]")).OfType<Violation>());
        if (report.ApproximateSubjects is < 0)
        {
            violations.Add(new Violation("approximateSubjects", "A number of people, 0 or more."));
        }
        if (report.ApproximateRecords is < 0)
        {
            violations.Add(new Violation("approximateRecords", "A number of records, 0 or more."));
        }
        if (violations.Count > 0)
        {
            return Outcome<BreachView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Outcome<BreachView>.Success(await InsertAsync(report, systems, categories, actor, now, cancellationToken));
            }
            catch (DbUpdateException e) when (attempt < 5 && DatabaseErrors.IsUniqueViolation(e))
            {
                // Two reports took the same sequence number: the loser takes the next.
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task<BreachView> InsertAsync(NewBreach report, IReadOnlyList<string> systems, IReadOnlyList<string> categories, string actor,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var year = now.UtcDateTime.Year;
        var sequence = (await db.Set<Breach>().Where(b => b.Year == year).MaxAsync(b => (int?)b.Sequence, cancellationToken) ?? 0) + 1;
        var breach = new Breach
        {
            Reference = BreachReferences.Format(year, sequence),
            Year = year,
            Sequence = sequence,
            Title = report.Title!.Trim(),
            Description = report.Description!.Trim(),
            ReportedBy = actor,
            ReportedAt = now,
            OccurredAt = report.OccurredAt?.ToUniversalTime(),
            DiscoveredAt = report.DiscoveredAt!.Value.ToUniversalTime(),
            HowDiscovered = Blank(report.HowDiscovered),
            Systems = JsonSerializer.Serialize(systems, Json),
            DataCategories = JsonSerializer.Serialize(categories, Json),
            ApproximateSubjects = report.ApproximateSubjects,
            ApproximateRecords = report.ApproximateRecords,
            Containment = Blank(report.Containment),
            Status = BreachStatuses.Reported,
        };
        db.Add(breach);
        Log(breach, actor, "reported", "Reported as a suspected breach.", now);
        var told = await NotifyDpoAsync(breach, cancellationToken);
        Log(breach, AuditActor.System, "dpo_notified", told == 0
            ? "Nobody could be told: record the DPO's e-mail address on the organisation record or give a user the DPO role."
            : $"The DPO was e-mailed at once ({told} {(told == 1 ? "address" : "addresses")}).", now);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "breaches.reported", $"breach:{breach.Id}",
            new JsonObject { ["reference"] = breach.Reference, ["dpoAddresses"] = told }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await ViewAsync(breach, cancellationToken);
    }

    /// <summary>Issue 7 point 1: the organisation's DPO address and every user holding the DPO role are told at once;
    /// with neither, the administrators. The message names the breach, never the people in it.</summary>
    private async Task<int> NotifyDpoAsync(Breach breach, CancellationToken cancellationToken)
    {
        var organisation = await register.OrganisationAsync(cancellationToken);
        var addresses = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        if (organisation.Dpo?.Email is { Length: > 0 } dpo)
        {
            addresses.Add(dpo);
        }
        foreach (var email in await EmailsInRoleAsync(StaffRoles.DataProtectionOfficer, cancellationToken))
        {
            addresses.Add(email);
        }
        if (addresses.Count == 0)
        {
            foreach (var email in await EmailsInRoleAsync(StaffRoles.Administrator, cancellationToken))
            {
                addresses.Add(email);
            }
        }
        var site = (configuration["PublicUrl"] ?? Platform.Web.DatawardApp.DefaultUrl).TrimEnd('/');
        foreach (var address in addresses)
        {
            outbox.Enqueue(address, $"Suspected personal data breach {breach.Reference}: {breach.Title}", $"""
                A suspected personal data breach has just been reported.

                Reference:  {breach.Reference}
                Title:      {breach.Title}
                Discovered: {Utc(breach.DiscoveredAt)}
                Happened:   {(breach.OccurredAt is { } at ? Utc(at) : "not known")}
                Reported:   {Utc(breach.ReportedAt)}
                People:     about {breach.ApproximateSubjects?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "an unknown number of"} people, {breach.ApproximateRecords?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "an unknown number of"} records

                If it is a breach, the ICO must be told without undue delay and within 72 hours of the organisation
                becoming aware (Art. 33(1)). Triage it now: {site}/breaches/{breach.Id}
                """, "breaches.dpo_alert");
        }
        return addresses.Count;
    }

    private async Task<List<string>> EmailsInRoleAsync(string role, CancellationToken cancellationToken) =>
        await (from user in db.Users
               join link in db.UserRoles on user.Id equals link.UserId
               join r in db.Roles on link.RoleId equals r.Id
               where r.Name == role && user.Email != null
               select user.Email!).ToListAsync(cancellationToken);

    public async Task<BreachView?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        await db.Set<Breach>().AsNoTracking().FirstOrDefaultAsync(b => b.Id == id, cancellationToken) is { } breach
            ? await ViewAsync(breach, cancellationToken)
            : null;

    /// <summary>Every breach, notified or not (ACC005): running clocks first, the nearest deadline first, then the newest.</summary>
    public async Task<IReadOnlyList<BreachSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var rows = await db.Set<Breach>().AsNoTracking().ToListAsync(cancellationToken);
        return rows.Select(b =>
            {
                var running = ClockRunning(b);
                return new BreachSummary(b.Id, b.Reference, b.Title, b.Status, b.IsBreach, b.ReportedAt, b.DiscoveredAt, b.IcoDeadline, running,
                    running ? BreachClock.HoursLeft(b.IcoDeadline!.Value, now) : null, running && now > b.IcoDeadline, b.RiskLevel);
            })
            .OrderByDescending(s => s.ClockRunning).ThenBy(s => s.ClockRunning ? s.IcoDeadline : null).ThenByDescending(s => s.ReportedAt).ToList();
    }

    /// <summary>ACC001, ACC002, ACC004: a breach or not, with reasons; a breach starts the 72-hour clock from awareness.</summary>
    public Task<Outcome<BreachView>> TriageAsync(Guid id, TriageRequest request, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, (breach, now) =>
        {
            if (request.IsBreach is not { } isBreach)
            {
                return Invalid("isBreach", "Say whether this is a personal data breach (true or false).", "ACC004");
            }
            var violations = BreachRules.Triage(isBreach, request.AwareAt, request.Reason, breach.OccurredAt, now).ToList();
            if (request.ProcessorNotifiedControllerAt is { } told && told > now + BreachRules.Skew)
            {
                violations.Add(new Violation("processorNotifiedControllerAt", "This time is in the future.", "ACC002"));
            }
            if (request.Reason?.Length > 4000)
            {
                violations.Add(new Violation("reason", "At most 4,000 characters."));
            }
            if (violations.Count > 0)
            {
                return Outcome<bool>.Fail(FailureKind.Invalid, [.. violations]);
            }
            if (breach.Status is not (BreachStatuses.Reported or BreachStatuses.Triaged))
            {
                return Outcome<bool>.Conflict("status", $"This breach is already {breach.Status}: triage comes first.");
            }
            breach.IsBreach = isBreach;
            breach.TriageReason = request.Reason!.Trim();
            breach.TriagedBy = actor;
            breach.TriagedAt = now;
            breach.AwareAt = request.AwareAt?.ToUniversalTime();
            breach.ProcessorNotifiedControllerAt = request.ProcessorNotifiedControllerAt?.ToUniversalTime();
            breach.IcoDeadline = isBreach ? BreachClock.IcoDeadline(breach.AwareAt!.Value) : null;
            breach.Status = BreachStatuses.Triaged;
            Log(breach, actor, "triaged", isBreach
                ? $"Triaged as a personal data breach; aware {Utc(breach.AwareAt!.Value)}, so the ICO is due by {Utc(breach.IcoDeadline!.Value)}."
                : "Triaged as not a personal data breach; it stays in the register with the reasons (Art. 33(5)).", now);
            return Ok();
        }, "breaches.triaged", cancellationToken);

    /// <summary>ACC009, ACC004: the ENISA severity from inputs on its scales, and the risk level (suggested from the band)
    /// with its reason.</summary>
    public async Task<Outcome<BreachView>> AssessAsync(Guid id, AssessmentRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = new List<Violation>();
        if (request.DpcBase is null)
        {
            violations.Add(new Violation("dpcBase", "Give the data processing context base score (1-4).", "ACC009"));
        }
        if (request.Ei is null)
        {
            violations.Add(new Violation("ei", "Give the ease of identification (0.25, 0.5, 0.75 or 1).", "ACC009"));
        }
        var severity = request.DpcBase is { } dpc && request.Ei is { } ei ? Severity.Compute(new SeverityInput(dpc, request.DpcAdjustments, ei, request.Cb)) : null;
        if (severity is { Succeeded: false })
        {
            violations.AddRange(severity.Violations);
        }
        if (request.RiskLevel is not null && !RiskLevels.All.Contains(request.RiskLevel))
        {
            violations.Add(new Violation("riskLevel", $"Use one of {string.Join(", ", RiskLevels.All)}.", "ACC009"));
        }
        if (string.IsNullOrWhiteSpace(request.RiskReason))
        {
            violations.Add(new Violation("riskReason", "Record the reasoning behind the risk level (Art. 33(5)).", "ACC004"));
        }
        var types = Clean(request.BreachTypes);
        if (types.FirstOrDefault(t => !BreachTypes.All.Contains(t)) is { } type)
        {
            violations.Add(new Violation("breachTypes", $"'{type}' is not a breach type: use {string.Join(", ", BreachTypes.All)}."));
        }
        var subjects = Clean(request.SubjectCategories);
        var taxonomy = await register.TaxonomyAsync(cancellationToken);
        violations.AddRange(subjects.Select((s, i) => taxonomy.Unknown(TaxonomyKind.DataSubjects, s, $"subjectCategories[{i}]")).OfType<Violation>());
        if (request.CausedByCyberIncident is not (null or "yes" or "no" or "unknown"))
        {
            violations.Add(new Violation("causedByCyberIncident", "Use yes, no or unknown."));
        }
        foreach (var (field, value) in new[] { ("riskReason", request.RiskReason), ("likelyConsequences", request.LikelyConsequences), ("measures", request.Measures), ("adviceToPeople", request.AdviceToPeople) })
        {
            Text(violations, field, value, 10_000);
        }
        if (violations.Count > 0)
        {
            return Outcome<BreachView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var computed = severity!.Value!;
        var suggested = RiskLevels.Suggest(computed.Band);
        var level = request.RiskLevel ?? suggested;
        return await ChangeAsync(id, actor, (breach, now) =>
        {
            if (breach.IsBreach is not true || breach.Status == BreachStatuses.Closed)
            {
                return Outcome<bool>.Conflict("status", "Only an open breach triaged as a personal data breach is assessed.");
            }
            breach.Severity = JsonSerializer.Serialize(computed, Json);
            breach.RiskLevel = level;
            breach.RiskReason = request.RiskReason!.Trim();
            breach.AssessedBy = actor;
            breach.AssessedAt = now;
            breach.BreachTypes = JsonSerializer.Serialize(types, Json);
            breach.SubjectCategories = JsonSerializer.Serialize(subjects, Json);
            breach.LikelyConsequences = Blank(request.LikelyConsequences) ?? breach.LikelyConsequences;
            breach.Measures = Blank(request.Measures) ?? breach.Measures;
            breach.AdviceToPeople = Blank(request.AdviceToPeople) ?? breach.AdviceToPeople;
            breach.CausedByCyberIncident = request.CausedByCyberIncident ?? breach.CausedByCyberIncident;
            if (breach.Status == BreachStatuses.Triaged)
            {
                breach.Status = BreachStatuses.Assessed;
            }
            var se = computed.Se.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
            Log(breach, actor, "assessed", level == suggested
                ? $"Assessed: severity {se} ({computed.Band}), risk level {level}."
                : $"Assessed: severity {se} ({computed.Band}) suggests {suggested}; the DPO set {level} with reasons.", now);
            return Ok();
        }, "breaches.assessed", cancellationToken);
    }

    /// <summary>ACC004, ACC006, ACC007: each decision on telling the ICO or the people affected, with its reason.</summary>
    public Task<Outcome<BreachView>> DecideAsync(Guid id, DecisionRequest request, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, (breach, now) =>
        {
            if (request.Kind is not ("ico" or "individuals"))
            {
                return Invalid("kind", "Decide about the ICO (ico) or the people affected (individuals).");
            }
            if (request.Notify is not { } notify)
            {
                return Invalid("notify", "Say whether to notify (true or false).", "ACC004");
            }
            var violations = (request.Kind == "ico"
                ? BreachRules.IcoDecision(notify, request.Reason, breach.RiskLevel)
                : BreachRules.IndividualsDecision(notify, request.Reason, request.Art34Exception, request.PublicCommunication, breach.RiskLevel)).ToList();
            Text(violations, "reason", request.Reason, 4000);
            Text(violations, "publicCommunication", request.PublicCommunication, 4000);
            if (violations.Count > 0)
            {
                return Outcome<bool>.Fail(FailureKind.Invalid, [.. violations]);
            }
            if (breach.RiskLevel is null || breach.Status == BreachStatuses.Closed)
            {
                return Outcome<bool>.Conflict("status", "Assess the risk of an open breach before deciding whom to tell.", "ACC006");
            }
            if (request.Kind == "ico")
            {
                breach.IcoDecision = JsonSerializer.Serialize(new IcoDecision(notify, request.Reason!.Trim(), actor, now), Json);
                Log(breach, actor, "ico_decision", notify ? "Decided to notify the ICO." : "Decided not to notify the ICO, with reasons.", now);
            }
            else
            {
                var exception = notify ? null : request.Art34Exception;
                breach.IndividualsDecision = JsonSerializer.Serialize(new IndividualsDecision(notify, request.Reason!.Trim(), exception,
                    Blank(request.PublicCommunication), actor, now), Json);
                Log(breach, actor, "individuals_decision", notify
                    ? "Decided to tell the people affected (Art. 34)."
                    : exception is null ? "Decided not to tell the people affected, with reasons." : $"Decided not to tell the people affected: {Art34Exceptions.All[exception]}.", now);
            }
            return Ok();
        }, "breaches.decided", cancellationToken);

    /// <summary>ACC003: a report sent to the ICO; after the deadline it needs the reasons for the delay.</summary>
    public Task<Outcome<BreachView>> RecordIcoNotificationAsync(Guid id, IcoNotificationRequest request, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, (breach, now) =>
        {
            var type = request.Type ?? IcoReportTypes.Initial;
            if (!IcoReportTypes.All.Contains(type))
            {
                return Invalid("type", "Use initial or followUp.");
            }
            var sentAt = (request.SentAt ?? now).ToUniversalTime();
            var violations = BreachRules.IcoNotification(type == IcoReportTypes.Initial ? breach.IcoDeadline : null, sentAt, request.LateReason, now).ToList();
            var earlier = List<IcoNotification>(breach.IcoNotifications);
            var caseReference = Blank(request.CaseReference) ?? earlier.LastOrDefault(n => n.CaseReference is not null)?.CaseReference;
            if (type == IcoReportTypes.FollowUp && caseReference is null)
            {
                violations.Add(new Violation("caseReference", "A follow-up quotes the ICO's case reference."));
            }
            Text(violations, "lateReason", request.LateReason, 4000);
            Text(violations, "caseReference", request.CaseReference, 100);
            if (violations.Count > 0)
            {
                return Outcome<bool>.Fail(FailureKind.Invalid, [.. violations]);
            }
            if (breach.IsBreach is not true || breach.Status == BreachStatuses.Closed)
            {
                return Outcome<bool>.Conflict("status", "Only an open breach triaged as a personal data breach is notified.");
            }
            if (type == IcoReportTypes.FollowUp && earlier.Count == 0)
            {
                return Outcome<bool>.Conflict("type", "Record the initial report first.");
            }
            var late = type == IcoReportTypes.Initial && breach.IcoDeadline is { } due && BreachClock.IsLate(due, sentAt);
            earlier.Add(new IcoNotification(type, sentAt, caseReference, Blank(request.LateReason), late, actor));
            breach.IcoNotifications = JsonSerializer.Serialize(earlier, Json);
            breach.Status = BreachStatuses.Notified;
            Log(breach, actor, "ico_notified", $"{(type == IcoReportTypes.Initial ? "Initial report" : "Follow-up")} sent to the ICO {Utc(sentAt)}{(late ? ", after the deadline, with reasons for the delay" : "")}.", now);
            return Ok();
        }, "breaches.ico_notified", cancellationToken);

    /// <summary>The people affected, when known: kept encrypted, shown to nobody, used to send the letter. MIN017: each
    /// person's entry is sealed under their own data key, so erasing one person shreds their entry and no one else's.</summary>
    public Task<Outcome<BreachView>> SetAffectedPeopleAsync(Guid id, AffectedPeopleRequest request, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, async (breach, now) =>
        {
            var people = request.People ?? [];
            if (people.Count > MaxAffectedPeople)
            {
                return Invalid("people", $"At most {MaxAffectedPeople:N0} people per breach.");
            }
            var bad = people.Select((p, i) => (p, i)).FirstOrDefault(x => !System.Net.Mail.MailAddress.TryCreate(x.p.Email?.Trim(), out _) || x.p.Email.Length > 320 || x.p.Name?.Length > 200);
            if (bad.p is not null)
            {
                return Invalid($"people[{bad.i}].email", "Each person needs a valid e-mail address (names up to 200 characters).");
            }
            if (breach.Status == BreachStatuses.Closed)
            {
                return Outcome<bool>.Conflict("status", "This breach is closed.");
            }
            var distinct = people.Select(p => new AffectedPerson(p.Email.Trim(), Blank(p.Name)))
                .DistinctBy(p => p.Email, StringComparer.OrdinalIgnoreCase).ToList();
            breach.AffectedPeopleEncrypted = distinct.Count == 0 ? null : await SealPeopleAsync(distinct, cancellationToken);
            breach.AffectedPeopleCount = distinct.Count;
            Log(breach, actor, "affected_people", $"Recorded the contact details of {distinct.Count} affected {(distinct.Count == 1 ? "person" : "people")}.", now);
            return Ok();
        }, "breaches.affected_people_recorded", cancellationToken);

    /// <summary>Art. 34: the letter goes through the outbox to every known person, once the decision to tell them is
    /// recorded and the letter has every Art. 34(2) item (ACC008).</summary>
    public async Task<Outcome<BreachView>> SendLetterAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        var organisation = await register.OrganisationAsync(cancellationToken);
        return await ChangeAsync(id, actor, async (breach, now) =>
        {
            if (Read<IndividualsDecision>(breach.IndividualsDecision) is not { Notify: true })
            {
                return Outcome<bool>.Conflict("individualsDecision", "Record the decision to tell the people affected first.", "ACC007");
            }
            if (breach.AffectedPeopleEncrypted is null)
            {
                return Outcome<bool>.Conflict("people", "Record the affected people's e-mail addresses first.");
            }
            var letter = Letter(breach, organisation);
            if (!letter.Complete)
            {
                return Outcome<bool>.Conflict("letter", $"The letter lacks: {string.Join(", ", letter.Missing)}.", "ACC008");
            }
            var people = await OpenPeopleAsync(breach.AffectedPeopleEncrypted, cancellationToken);
            foreach (var person in people)
            {
                outbox.Enqueue(person.Email, letter.Subject, (person.Name is null ? "Hello,\n\n" : $"Dear {person.Name},\n\n") + letter.Body, "breaches.letter");
            }
            var sent = List<Communication>(breach.Communications);
            sent.Add(new Communication(now, "email", people.Count, actor));
            breach.Communications = JsonSerializer.Serialize(sent, Json);
            Log(breach, actor, "letter_sent", $"The letter was sent by e-mail to {people.Count} {(people.Count == 1 ? "person" : "people")}.", now);
            return Ok();
        }, "breaches.letter_sent", cancellationToken);
    }

    public Task<Outcome<BreachView>> AddActionAsync(Guid id, ActionRequest request, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, (breach, now) =>
        {
            var violations = new List<Violation>();
            Text(violations, "description", request.Description, 2000, required: true);
            Text(violations, "owner", request.Owner, 200, required: true);
            if (request.DueAt is null)
            {
                violations.Add(new Violation("dueAt", "Give a due date."));
            }
            if (violations.Count > 0)
            {
                return Outcome<bool>.Fail(FailureKind.Invalid, [.. violations]);
            }
            if (breach.Status == BreachStatuses.Closed)
            {
                return Outcome<bool>.Conflict("status", "This breach is closed.");
            }
            db.Add(new BreachAction
            {
                BreachId = breach.Id,
                Description = request.Description!.Trim(),
                Owner = request.Owner!.Trim(),
                DueAt = request.DueAt!.Value.ToUniversalTime(),
                CreatedAt = now,
            });
            Log(breach, actor, "action_added", $"Action for {request.Owner!.Trim()}, due {request.DueAt!.Value.UtcDateTime:yyyy-MM-dd}: {Trim(request.Description!, 200)}", now);
            return Ok();
        }, "breaches.action_added", cancellationToken);

    /// <summary>An action is done, or (with <paramref name="waivedReason"/>) waived (ACC010).</summary>
    public Task<Outcome<BreachView>> FinishActionAsync(Guid id, Guid actionId, string? waivedReason, bool waive, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, async (breach, now) =>
        {
            if (waive && string.IsNullOrWhiteSpace(waivedReason))
            {
                return Outcome<bool>.Invalid("reason", "Say why the action is no longer needed.", "ACC010");
            }
            if (waivedReason?.Length > 2000)
            {
                return Outcome<bool>.Invalid("reason", "At most 2,000 characters.");
            }
            var action = await db.Set<BreachAction>().FirstOrDefaultAsync(a => a.Id == actionId && a.BreachId == id, cancellationToken);
            if (action is null)
            {
                return Outcome<bool>.NotFound("actionId", "This breach has no action with this id.");
            }
            if (action.DoneAt is not null || action.WaivedReason is not null || breach.Status == BreachStatuses.Closed)
            {
                return Outcome<bool>.Conflict("actionId", "This action is already finished.");
            }
            if (waive)
            {
                action.WaivedReason = waivedReason!.Trim();
                Log(breach, actor, "action_waived", $"Action waived: {Trim(action.Description, 200)}", now);
            }
            else
            {
                action.DoneAt = now;
                Log(breach, actor, "action_done", $"Action done: {Trim(action.Description, 200)}", now);
            }
            return Outcome<bool>.Success(true);
        }, waive ? "breaches.action_waived" : "breaches.action_done", cancellationToken);

    /// <summary>ACC010, ACC006, ACC007: closes once triaged, assessed and decided where the risk calls for it, with every
    /// action done or waived. A closed breach stays in the register.</summary>
    public Task<Outcome<BreachView>> CloseAsync(Guid id, CloseRequest request, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, async (breach, now) =>
        {
            if (request.LessonsLearned?.Length > 10_000)
            {
                return Outcome<bool>.Invalid("lessonsLearned", "At most 10,000 characters.");
            }
            if (breach.Status == BreachStatuses.Closed)
            {
                return Outcome<bool>.Conflict("status", "This breach is already closed.");
            }
            if (breach.IsBreach is null)
            {
                return Outcome<bool>.Conflict("status", "Triage the report first: a breach or not, with reasons.", "ACC004");
            }
            if (breach.IsBreach == true && breach.RiskLevel is null)
            {
                return Outcome<bool>.Conflict("riskLevel", "Assess the risk first.", "ACC004");
            }
            if (breach.RiskLevel is RiskLevels.Risk or RiskLevels.HighRisk && breach.IcoDecision is null)
            {
                return Outcome<bool>.Conflict("icoDecision", "The breach is a risk to people: record whether the ICO is notified, and why.", "ACC006");
            }
            if (breach.RiskLevel is RiskLevels.HighRisk && breach.IndividualsDecision is null)
            {
                return Outcome<bool>.Conflict("individualsDecision", "The breach is a high risk to people: record whether they are told, and why.", "ACC007");
            }
            var actions = await db.Set<BreachAction>().Where(a => a.BreachId == id).ToListAsync(cancellationToken);
            var open = BreachRules.Close(actions.Select(a => (a.Description, a.DoneAt is not null, a.WaivedReason is not null))).ToList();
            if (open.Count > 0)
            {
                return Outcome<bool>.Fail(FailureKind.Conflict, [.. open]);
            }
            breach.Status = BreachStatuses.Closed;
            breach.ClosedAt = now;
            breach.ClosedBy = actor;
            breach.LessonsLearned = Blank(request.LessonsLearned);
            Log(breach, actor, "closed", "Closed; the record stays in the breach register (Art. 33(5)).", now);
            return Outcome<bool>.Success(true);
        }, "breaches.closed", cancellationToken);

    /// <summary>Runs one change on a breach in a transaction with its audit entry; a concurrent change makes it a 409.</summary>
    private async Task<Outcome<BreachView>> ChangeAsync(Guid id, string actor, Func<Breach, DateTimeOffset, Task<Outcome<bool>>> change, string auditAction,
        CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var breach = await db.Set<Breach>().FirstOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (breach is null)
        {
            return Outcome<BreachView>.NotFound("id", "No breach has this id.");
        }
        var outcome = await change(breach, time.GetUtcNow());
        if (!outcome.Succeeded)
        {
            return Outcome<BreachView>.Fail(outcome.Failure!.Value, [.. outcome.Violations]);
        }
        breach.Version++;
        // The change is saved first, so a concurrent change (the version no longer matches) is a 409 before the audit
        // entry is appended; both commit together.
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Outcome<BreachView>.Conflict("id", "Someone else changed this breach at the same moment: reload and try again.");
        }
        await audit.RecordAsync(actor, auditAction, $"breach:{breach.Id}", new JsonObject { ["reference"] = breach.Reference, ["status"] = breach.Status }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<BreachView>.Success(await ViewAsync(breach, cancellationToken));
    }

    private Task<Outcome<BreachView>> ChangeAsync(Guid id, string actor, Func<Breach, DateTimeOffset, Outcome<bool>> change, string auditAction,
        CancellationToken cancellationToken) => ChangeAsync(id, actor, (b, now) => Task.FromResult(change(b, now)), auditAction, cancellationToken);

    // A JSON array of per-person sealed entries; a list written before crypto-shredding is one key-ring ciphertext.
    private async Task<string> SealPeopleAsync(IReadOnlyList<AffectedPerson> people, CancellationToken cancellationToken)
    {
        var hashes = people.Select(p => subjectKeys.HashSubject(p.Email)).ToList();
        await subjectKeys.PrefetchLiveAsync(hashes, cancellationToken);
        var entries = new List<string>(people.Count);
        for (var i = 0; i < people.Count; i++)
        {
            entries.Add(await subjectKeys.EncryptForAsync(hashes[i], JsonSerializer.Serialize(people[i], Json), PeoplePurpose, cancellationToken));
        }
        return JsonSerializer.Serialize(entries, Json);
    }

    /// <summary>The affected people still readable: those whose data key was destroyed (MIN017) are left out.</summary>
    private async Task<List<AffectedPerson>> OpenPeopleAsync(string stored, CancellationToken cancellationToken)
    {
        if (!stored.StartsWith('['))
        {
            return JsonSerializer.Deserialize<List<AffectedPerson>>(keys.Decrypt(stored, PeoplePurpose), Json) ?? [];
        }
        var entries = JsonSerializer.Deserialize<List<string>>(stored, Json) ?? [];
        await subjectKeys.PrefetchAsync(entries, cancellationToken);
        var people = new List<AffectedPerson>(entries.Count);
        foreach (var entry in entries)
        {
            if (await subjectKeys.DecryptOrNullAsync(entry, PeoplePurpose, cancellationToken) is { } json
                && JsonSerializer.Deserialize<AffectedPerson>(json, Json) is { } person)
            {
                people.Add(person);
            }
        }
        return people;
    }

    private static Outcome<bool> Ok() => Outcome<bool>.Success(true);

    private static Outcome<bool> Invalid(string field, string message, string? ruleId = null) => Outcome<bool>.Invalid(field, message, ruleId);

    /// <summary>A running ICO clock: a breach, not yet notified, not decided against notifying, not closed.</summary>
    public static bool ClockRunning(Breach b) => b.IsBreach == true && b.IcoDeadline is not null && b.IcoNotifications == "[]"
        && Read<IcoDecision>(b.IcoDecision) is not { Notify: false } && b.Status != BreachStatuses.Closed;

    private async Task<BreachView> ViewAsync(Breach b, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var timeline = await db.Set<BreachEvent>().AsNoTracking().Where(e => e.BreachId == b.Id).ToListAsync(cancellationToken);
        var actions = await db.Set<BreachAction>().AsNoTracking().Where(a => a.BreachId == b.Id).ToListAsync(cancellationToken);
        var severity = Read<Severity>(b.Severity);
        var running = ClockRunning(b);
        return new BreachView(b.Id, b.Reference, b.Title, b.Description, b.Status, b.ReportedBy, b.ReportedAt, b.OccurredAt, b.DiscoveredAt, b.HowDiscovered,
            List<string>(b.Systems), List<string>(b.DataCategories), List<string>(b.SubjectCategories), List<string>(b.BreachTypes), b.ApproximateSubjects,
            b.ApproximateRecords, b.Containment, b.IsBreach, b.TriageReason, b.AwareAt, b.ProcessorNotifiedControllerAt,
            b.AwareAt is { } aware ? Math.Round((aware - b.DiscoveredAt).TotalHours, 2) : null, b.IcoDeadline, running,
            running ? BreachClock.HoursLeft(b.IcoDeadline!.Value, now) : null, running && now > b.IcoDeadline, severity,
            severity is null ? null : RiskLevels.Suggest(severity.Band), b.RiskLevel, b.RiskReason, b.LikelyConsequences, b.Measures, b.AdviceToPeople,
            b.CausedByCyberIncident, Read<IcoDecision>(b.IcoDecision), Read<IndividualsDecision>(b.IndividualsDecision), List<IcoNotification>(b.IcoNotifications),
            List<Communication>(b.Communications), b.AffectedPeopleCount,
            actions.OrderBy(a => a.DueAt).ThenBy(a => a.Id).Select(a => new BreachActionView(a.Id, a.Description, a.Owner, a.DueAt, a.DoneAt, a.WaivedReason,
                a.DoneAt is null && a.WaivedReason is null && a.DueAt < now)).ToList(),
            b.ClosedAt, b.LessonsLearned,
            timeline.OrderBy(e => e.At).ThenBy(e => e.Position).ThenBy(e => e.Id).Select(e => new BreachTimelineEntry(e.At, e.Actor, e.Kind, e.Summary)).ToList());
    }

    private void Log(Breach breach, string actor, string kind, string summary, DateTimeOffset at) =>
        db.Add(new BreachEvent { BreachId = breach.Id, At = at, Position = BreachEvent.NextPosition(at), Actor = actor, Kind = kind, Summary = Trim(summary, 2000) });

    private static T? Read<T>(string? json) where T : class => json is null ? null : JsonSerializer.Deserialize<T>(json, Json);

    private static List<T> List<T>(string json) => JsonSerializer.Deserialize<List<T>>(json, Json) ?? [];

    private static List<string> Clean(IReadOnlyList<string>? values) =>
        (values ?? []).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim()).Distinct(StringComparer.Ordinal).ToList();

    private static void Text(List<Violation> violations, string field, string? value, int max, bool required = false)
    {
        if (required && string.IsNullOrWhiteSpace(value))
        {
            violations.Add(new Violation(field, "Required."));
        }
        else if (value?.Length > max)
        {
            violations.Add(new Violation(field, $"At most {max:N0} characters."));
        }
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Trim(string value, int max) => value.Length > max ? value[..max] : value.Trim();

    private static string Utc(DateTimeOffset at) => $"{at.UtcDateTime:yyyy-MM-dd HH:mm} UTC";

}
