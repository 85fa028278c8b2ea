using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Domain.Dpias;
using Dataward.Domain.Requests;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Dpias;

/// <summary>A screening of one activity: any subset of the WP248 criteria, Art. 35(3) cases and ICO list items, and
/// notes (why no DPIA is done although an indicator is met, for example).</summary>
public sealed record DpiaScreeningRequest(Guid? ActivityId = null, IReadOnlyList<string>? Criteria = null, IReadOnlyList<string>? Art35Cases = null,
    IReadOnlyList<string>? IcoList = null, string? Notes = null);

/// <summary>A screening's result (ACC011): whether a DPIA is required, and why.</summary>
public sealed record DpiaScreeningView(Guid Id, Guid ActivityId, string ActivityName, bool DpiaRequired, IReadOnlyList<string> Reasons,
    IReadOnlyList<string> Criteria, IReadOnlyList<string> Art35Cases, IReadOnlyList<string> IcoList, string? Notes, string ScreenedBy,
    DateTimeOffset ScreenedAt);

/// <summary>A risk as written in the editor or the API; <c>id</c> keeps an existing risk, none adds one. Likelihood
/// and severity are on the fixed scales (ACC012); the residual rating is optional until sign-off.</summary>
public sealed record DpiaRiskInput(Guid? Id = null, string? Description = null, string? Likelihood = null, string? Severity = null,
    IReadOnlyList<string>? Measures = null, string? Effect = null, string? ResidualLikelihood = null, string? ResidualSeverity = null,
    bool? MeasuresApproved = null);

/// <summary>The sections of a DPIA (ICO template steps 1-6). In a PATCH an absent section stays as it is; in a PUT it
/// is cleared. The title is kept when absent from either.</summary>
public record DpiaSections
{
    public string? Title { get; init; }
    public string? Need { get; init; }
    public DpiaDescription? Description { get; init; }
    public string? Consultation { get; init; }
    public NecessityAndProportionality? NecessityAndProportionality { get; init; }
    public IReadOnlyList<DpiaRiskInput>? Risks { get; init; }
}

/// <summary>A new DPIA of a registered processing activity, with any sections already written.</summary>
public sealed record NewDpia : DpiaSections
{
    public Guid? ActivityId { get; init; }
}

public sealed record DpiaAdviceRequest(string? Advice = null);

/// <summary>The sign-off (ICO template step 7). <c>acceptHighResidualRisk</c> must be true when a residual risk stays
/// high: accepting it opens a prior consultation with the ICO (ACC013).</summary>
public sealed record DpiaSignOffRequest(bool? AdviceAccepted = null, string? OverruleReason = null, string? MeasuresApprovedBy = null,
    string? ResidualRisksApprovedBy = null, string? ConsultationResponsesReviewedBy = null, string? KeptUnderReviewBy = null,
    DateTimeOffset? NextReviewAt = null, bool? AcceptHighResidualRisk = null);

public sealed record DpiaReviewRequest(string? Notes = null, DateTimeOffset? NextReviewAt = null);

/// <summary>The request for a prior consultation was sent (and received by the ICO, which starts the clock).</summary>
public sealed record ConsultationSubmissionRequest(DateTimeOffset? SubmittedAt = null, DateTimeOffset? ReceivedByAuthorityAt = null, string? IcoReference = null);

/// <summary>The ICO extended its period by 6 weeks for the complexity of the processing, with its reasons.</summary>
public sealed record ConsultationExtensionRequest(DateTimeOffset? ExtendedAt = null, string? Reason = null);

/// <summary>The ICO asked for information: its clock stands still from <c>from</c> until the information is provided.</summary>
public sealed record ConsultationSuspensionRequest(DateTimeOffset? From = null, string? Reason = null);

public sealed record ConsultationResumptionRequest(DateTimeOffset? Until = null);

/// <summary>The ICO's written advice arrived.</summary>
public sealed record IcoAdviceRequest(DateTimeOffset? ReceivedAt = null, string? Summary = null, string? Outcome = null);

/// <summary>A risk with its place on the matrix before and after the measures.</summary>
public sealed record DpiaRiskView(Guid Id, string Description, string Likelihood, string Severity, int Score, string Level, IReadOnlyList<string> Measures,
    string? Effect, string? ResidualLikelihood, string? ResidualSeverity, int? ResidualScore, string? ResidualLevel, bool MeasuresApproved);

/// <summary>The prior consultation with its clock (§2.5): <c>adviceDueAt</c> while the clock runs, <c>daysLeft</c> and
/// <c>overdue</c> against it, the month by which the ICO must announce an extension.</summary>
public sealed record PriorConsultationView(string Status, DateTimeOffset OpenedAt, DateTimeOffset? SubmittedAt, DateTimeOffset? ReceivedByAuthorityAt,
    string? IcoReference, DateTimeOffset? AdviceDueAt, int? DaysLeft, bool Overdue, DateTimeOffset? ExtensionNoticeDueAt, DateTimeOffset? ExtendedAt,
    string? ExtensionReason, bool ExtensionNoticeLate, IReadOnlyList<ConsultationSuspension> Suspensions, int SuspendedDays,
    DateTimeOffset? AdviceReceivedAt, string? AdviceSummary, string? AdviceOutcome);

public sealed record DpiaTimelineEntry(DateTimeOffset At, string Actor, string Kind, string Summary);

/// <summary>A DPIA as the editor and the API see it. <c>missingForSignOff</c> lists what Art. 35(7) still needs;
/// <c>dpoAdvice.current</c> is false once the DPIA changed after the advice.</summary>
public sealed record DpiaView(Guid Id, string Reference, Guid ActivityId, string ActivityName, string Title, string Status, int Version,
    DpiaScreeningView? Screening, string? Need, DpiaDescription Description, string? Consultation, NecessityAndProportionality NecessityAndProportionality,
    IReadOnlyList<DpiaRiskView> Risks, string? ResidualRisk, DpoAdvice? DpoAdvice, bool AdviceCurrent, IReadOnlyList<string> MissingForSignOff,
    DpiaSignOff? SignOff, DateTimeOffset? NextReviewAt, bool ReviewOverdue, IReadOnlyList<DpiaReview> Reviews, PriorConsultationView? PriorConsultation,
    bool ProcessingOnHold, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<DpiaTimelineEntry> Timeline);

public sealed record DpiaSummary(Guid Id, string Reference, Guid ActivityId, string ActivityName, string Title, string Status, string? ResidualRisk,
    DateTimeOffset? NextReviewAt, string? ConsultationStatus, DateTimeOffset? AdviceDueAt, int? DaysLeft, bool Overdue, bool ProcessingOnHold,
    DateTimeOffset CreatedAt);

/// <summary>What the DPIA capability knows of one register activity, shown on the register's activity (ACC011, ACC013):
/// the newest screening (null fields when never screened), the newest DPIA, and whether processing must wait.</summary>
public sealed record ActivityDpiaScreening(bool? DpiaRequired, Guid? ScreeningId, DateTimeOffset? ScreenedAt, IReadOnlyList<string> Reasons,
    Guid? DpiaId, string? DpiaReference, string? DpiaStatus, bool ProcessingOnHold, string? HoldReason, DateTimeOffset? AdviceDueAt);

/// <summary>DPIAs (accountability.md §2): screening of register activities (ACC011), the assessment with risks on the
/// fixed matrix, the DPO's advice and the sign-off (ACC012), and the prior consultation with the ICO with its clock
/// (ACC013). Every change is audited in its own transaction with a line in the DPIA's timeline.</summary>
public sealed class DpiaService(DatawardDbContext db, AuditTrail audit, Deadlines deadlines, TimeProvider time)
{
    public const int MaxRisks = 100;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Dictionary<Guid, int> eventsLogged = [];

    private TimeZoneInfo Zone => deadlines.Zone;

    public async Task<Outcome<DpiaScreeningView>> ScreenAsync(DpiaScreeningRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = DpiaScreening.Validate(request.Criteria, request.Art35Cases, request.IcoList).ToList();
        if (request.ActivityId is null)
        {
            violations.Insert(0, new Violation("activityId", "Name the register activity screened."));
        }
        Text(violations, "notes", request.Notes, 4000);
        if (violations.Count > 0)
        {
            return Outcome<DpiaScreeningView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var activity = await db.Activities.AsNoTracking().Where(a => a.Id == request.ActivityId).Select(a => new { a.Id, a.Name }).FirstOrDefaultAsync(cancellationToken);
        if (activity is null)
        {
            return Outcome<DpiaScreeningView>.NotFound("activityId", "No register activity has this id.");
        }
        var criteria = Distinct(request.Criteria);
        var cases = Distinct(request.Art35Cases);
        var ico = Distinct(request.IcoList);
        var result = DpiaScreening.Assess(criteria, cases, ico);
        var record = new DpiaScreeningRecord
        {
            ActivityId = activity.Id,
            ActivityName = activity.Name,
            Criteria = JsonSerializer.Serialize(criteria, Json),
            Art35Cases = JsonSerializer.Serialize(cases, Json),
            IcoList = JsonSerializer.Serialize(ico, Json),
            DpiaRequired = result.DpiaRequired,
            Reasons = JsonSerializer.Serialize(result.Reasons, Json),
            Notes = Blank(request.Notes),
            ScreenedBy = actor,
            ScreenedAt = time.GetUtcNow(),
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Add(record);
        await audit.RecordAsync(actor, "dpias.screened", $"activity:{activity.Id}", new JsonObject
        {
            ["screening"] = record.Id.ToString(),
            ["dpiaRequired"] = result.DpiaRequired,
            ["criteria"] = criteria.Count,
            ["art35Cases"] = cases.Count,
            ["icoList"] = ico.Count,
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<DpiaScreeningView>.Success(View(record));
    }

    public async Task<DpiaScreeningView?> ScreeningAsync(Guid id, CancellationToken cancellationToken = default) =>
        await db.Set<DpiaScreeningRecord>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken) is { } record ? View(record) : null;

    /// <summary>Screenings, newest first; of one activity when <paramref name="activityId"/> is given.</summary>
    public async Task<IReadOnlyList<DpiaScreeningView>> ScreeningsAsync(Guid? activityId, CancellationToken cancellationToken = default)
    {
        var query = db.Set<DpiaScreeningRecord>().AsNoTracking();
        if (activityId is { } id)
        {
            query = query.Where(s => s.ActivityId == id);
        }
        return (await query.ToListAsync(cancellationToken)).OrderByDescending(s => s.ScreenedAt).ThenByDescending(s => s.Id).Select(View).ToList();
    }

    public async Task<Outcome<DpiaView>> CreateAsync(NewDpia request, string actor, CancellationToken cancellationToken = default)
    {
        if (request.ActivityId is null)
        {
            return Outcome<DpiaView>.Invalid("activityId", "Name the register activity this DPIA assesses.");
        }
        var sections = ReadSections(request, [], patch: false);
        if (!sections.Succeeded)
        {
            return Outcome<DpiaView>.Fail(sections.Failure!.Value, [.. sections.Violations]);
        }
        var activity = await db.Activities.AsNoTracking().Where(a => a.Id == request.ActivityId).Select(a => new { a.Id, a.Name }).FirstOrDefaultAsync(cancellationToken);
        if (activity is null)
        {
            return Outcome<DpiaView>.NotFound("activityId", "No register activity has this id.");
        }
        var screening = await db.Set<DpiaScreeningRecord>().AsNoTracking().Where(s => s.ActivityId == activity.Id)
            .OrderByDescending(s => s.ScreenedAt).Select(s => (Guid?)s.Id).FirstOrDefaultAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Outcome<DpiaView>.Success(await InsertAsync(activity.Id, activity.Name, screening, sections.Value!, actor, cancellationToken));
            }
            catch (DbUpdateException e) when (attempt < 5 && DatabaseErrors.IsUniqueViolation(e))
            {
                // Two DPIAs took the same sequence number: the loser takes the next.
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task<DpiaView> InsertAsync(Guid activityId, string activityName, Guid? screeningId, Sections sections, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var year = now.UtcDateTime.Year;
        var sequence = (await db.Set<DpiaRecord>().Where(d => d.Year == year).MaxAsync(d => (int?)d.Sequence, cancellationToken) ?? 0) + 1;
        var dpia = new DpiaRecord
        {
            Reference = DpiaReferences.Format(year, sequence),
            Year = year,
            Sequence = sequence,
            ActivityId = activityId,
            ActivityName = activityName,
            ScreeningId = screeningId,
            Title = sections.Title ?? activityName,
            Status = DpiaStatuses.Draft,
            CreatedBy = actor,
            CreatedAt = now,
            UpdatedAt = now,
        };
        Apply(dpia, sections);
        db.Add(dpia);
        Log(dpia, actor, "created", $"Started for the activity '{activityName}'.", now);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "dpias.created", $"dpia:{dpia.Id}",
            new JsonObject { ["reference"] = dpia.Reference, ["activity"] = activityId.ToString() }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await ViewAsync(dpia, cancellationToken);
    }

    public async Task<DpiaView?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        await db.Set<DpiaRecord>().AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken) is { } dpia
            ? await ViewAsync(dpia, cancellationToken)
            : null;

    /// <summary>Every DPIA: running consultation clocks first (nearest due first), then awaiting sign-off, then the newest.</summary>
    public async Task<IReadOnlyList<DpiaSummary>> ListAsync(Guid? activityId = null, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var query = db.Set<DpiaRecord>().AsNoTracking();
        if (activityId is { } id)
        {
            query = query.Where(d => d.ActivityId == id);
        }
        var rows = await query.ToListAsync(cancellationToken);
        return rows.Select(d =>
            {
                var consultation = ConsultationView(Read<PriorConsultation>(d.PriorConsultation), now);
                return new DpiaSummary(d.Id, d.Reference, d.ActivityId, d.ActivityName, d.Title, d.Status, d.ResidualRisk, d.NextReviewAt, consultation?.Status,
                    consultation?.AdviceDueAt, consultation?.DaysLeft, consultation?.Overdue ?? false, d.ProcessingOnHold, d.CreatedAt);
            })
            .OrderByDescending(s => s.AdviceDueAt is not null).ThenBy(s => s.AdviceDueAt)
            .ThenByDescending(s => s.Status == DpiaStatuses.AwaitingSignOff).ThenByDescending(s => s.CreatedAt).ToList();
    }

    /// <summary>Replaces (<paramref name="patch"/> false) or merges the sections. Editing after the DPO's advice returns
    /// the DPIA to draft: the advice was given on another version (ACC012). A signed-off DPIA is the record of the
    /// decision and does not change.</summary>
    public Task<Outcome<DpiaView>> UpdateAsync(Guid id, DpiaSections request, bool patch, int? expectedVersion, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, expectedVersion, (dpia, now) =>
        {
            var sections = ReadSections(request, List<DpiaRisk>(dpia.Risks), patch);
            if (!sections.Succeeded)
            {
                return Outcome<bool>.Fail(sections.Failure!.Value, [.. sections.Violations]);
            }
            if (Frozen(dpia) is { } frozen)
            {
                return frozen;
            }
            Apply(dpia, sections.Value!);
            Edited(dpia, actor, now, patch ? "Sections updated." : "Sections replaced.");
            return Ok();
        }, "dpias.updated", cancellationToken);

    /// <summary>Adds a risk, or (with <paramref name="riskId"/>) replaces one, rated on the fixed matrix (ACC012).</summary>
    public Task<Outcome<DpiaView>> SaveRiskAsync(Guid id, Guid? riskId, DpiaRiskInput input, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, null, (dpia, now) =>
        {
            var risks = List<DpiaRisk>(dpia.Risks);
            var index = riskId is { } existing ? risks.FindIndex(r => r.Id == existing) : risks.Count;
            if (index < 0)
            {
                return Outcome<bool>.NotFound("riskId", "This DPIA has no risk with this id.");
            }
            var risk = ReadRisk(input with { Id = riskId ?? Guid.CreateVersion7() }, "", []);
            if (!risk.Succeeded)
            {
                return Outcome<bool>.Fail(risk.Failure!.Value, [.. risk.Violations]);
            }
            if (Frozen(dpia) is { } frozen)
            {
                return frozen;
            }
            if (riskId is null && risks.Count >= MaxRisks)
            {
                return Outcome<bool>.Invalid("risks", $"At most {MaxRisks} risks per DPIA.");
            }
            if (riskId is null)
            {
                risks.Add(risk.Value!);
            }
            else
            {
                risks[index] = risk.Value!;
            }
            SetRisks(dpia, risks);
            Edited(dpia, actor, now, $"{(riskId is null ? "Risk added" : "Risk changed")}: {Trim(risk.Value!.Description, 150)} ({RiskMatrix.Level(RiskMatrix.Score(risk.Value.Likelihood, risk.Value.Severity))}).");
            return Ok();
        }, riskId is null ? "dpias.risk_added" : "dpias.risk_changed", cancellationToken);

    public Task<Outcome<DpiaView>> RemoveRiskAsync(Guid id, Guid riskId, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, null, (dpia, now) =>
        {
            var risks = List<DpiaRisk>(dpia.Risks);
            var risk = risks.FirstOrDefault(r => r.Id == riskId);
            if (risk is null)
            {
                return Outcome<bool>.NotFound("riskId", "This DPIA has no risk with this id.");
            }
            if (Frozen(dpia) is { } frozen)
            {
                return frozen;
            }
            risks.Remove(risk);
            SetRisks(dpia, risks);
            Edited(dpia, actor, now, $"Risk removed: {Trim(risk.Description, 150)}.");
            return Ok();
        }, "dpias.risk_removed", cancellationToken);

    /// <summary>Art. 35(2): the DPO's advice, with who gave it and when, on the DPIA's current version. Advising again
    /// replaces the earlier advice (the timeline keeps it).</summary>
    public Task<Outcome<DpiaView>> AdviseAsync(Guid id, DpiaAdviceRequest request, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, null, (dpia, now) =>
        {
            var violations = new List<Violation>();
            Text(violations, "advice", request.Advice, 10_000, required: true);
            if (violations.Count > 0)
            {
                return Outcome<bool>.Fail(FailureKind.Invalid, [.. violations]);
            }
            if (DpiaStatuses.SignedOff(dpia.Status))
            {
                return Outcome<bool>.Conflict("status", "This DPIA is signed off: the DPO's advice is part of the record.");
            }
            // The advice names the version it will carry once saved: ChangeAsync counts this change as the next one.
            dpia.DpoAdvice = JsonSerializer.Serialize(new DpoAdvice(request.Advice!.Trim(), actor, now, dpia.Version + 1), Json);
            dpia.Status = DpiaStatuses.AwaitingSignOff;
            Log(dpia, actor, "dpo_advice", $"The DPO advised: {Trim(request.Advice!, 300)}", now);
            return Ok();
        }, "dpias.dpo_advised", cancellationToken);

    /// <summary>ACC012, ACC013: signs off with the DPO's advice on this version accepted, or overruled with reasons. A
    /// residual high risk accepted here opens a prior consultation and holds the processing until the ICO advises.</summary>
    public Task<Outcome<DpiaView>> SignOffAsync(Guid id, DpiaSignOffRequest request, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, null, (dpia, now) =>
        {
            var risks = List<DpiaRisk>(dpia.Risks);
            var readiness = ReadyForSignOff(Readiness(dpia, risks)).ToList();
            if (readiness.Count > 0)
            {
                return Outcome<bool>.Fail(FailureKind.Conflict, [.. readiness]);
            }
            var input = new SignOffInput(request.AdviceAccepted, request.OverruleReason, request.MeasuresApprovedBy, request.ResidualRisksApprovedBy,
                request.KeptUnderReviewBy, request.NextReviewAt, request.AcceptHighResidualRisk == true);
            var violations = DpiaRules.SignOff(input, dpia.ResidualRisk, now).ToList();
            foreach (var (field, value) in new[] { ("overruleReason", request.OverruleReason), ("measuresApprovedBy", request.MeasuresApprovedBy),
                ("residualRisksApprovedBy", request.ResidualRisksApprovedBy), ("consultationResponsesReviewedBy", request.ConsultationResponsesReviewedBy),
                ("keptUnderReviewBy", request.KeptUnderReviewBy) })
            {
                Text(violations, field, value, field == "overruleReason" ? 10_000 : 200);
            }
            if (violations.Count > 0)
            {
                return Outcome<bool>.Fail(FailureKind.Invalid, [.. violations]);
            }
            var high = dpia.ResidualRisk == DpiaRiskLevels.High;
            var accepted = request.AdviceAccepted!.Value;
            dpia.SignOff = JsonSerializer.Serialize(new DpiaSignOff(request.MeasuresApprovedBy!.Trim(), request.ResidualRisksApprovedBy!.Trim(), accepted,
                accepted ? null : request.OverruleReason!.Trim(), Blank(request.ConsultationResponsesReviewedBy), request.KeptUnderReviewBy!.Trim(), high,
                actor, now), Json);
            dpia.NextReviewAt = request.NextReviewAt!.Value.ToUniversalTime();
            Log(dpia, actor, "signed_off", accepted
                ? "Signed off; the DPO's advice was accepted."
                : $"Signed off; the DPO's advice was overruled: {Trim(request.OverruleReason!, 300)}", now);
            if (high)
            {
                // ACC013: the residual high risk is accepted, so the ICO is consulted before processing starts.
                dpia.Status = DpiaStatuses.PriorConsultation;
                dpia.PriorConsultation = JsonSerializer.Serialize(new PriorConsultation(now), Json);
                dpia.ProcessingOnHold = true;
                Log(dpia, actor, "prior_consultation_opened",
                    "A residual high risk was accepted: a prior consultation with the ICO is opened and the processing must not start until its advice arrives (Art. 36(1)).", now);
            }
            else
            {
                dpia.Status = DpiaStatuses.Complete;
            }
            return Ok();
        }, "dpias.signed_off", cancellationToken);

    /// <summary>Art. 35(11): a review of a signed-off DPIA, and the date of the next.</summary>
    public Task<Outcome<DpiaView>> ReviewAsync(Guid id, DpiaReviewRequest request, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, null, (dpia, now) =>
        {
            var violations = new List<Violation>();
            Text(violations, "notes", request.Notes, 4000);
            if (request.NextReviewAt is null || request.NextReviewAt <= now)
            {
                violations.Add(new Violation("nextReviewAt", "Set the next review, in the future (Art. 35(11))."));
            }
            if (violations.Count > 0)
            {
                return Outcome<bool>.Fail(FailureKind.Invalid, [.. violations]);
            }
            if (!DpiaStatuses.SignedOff(dpia.Status))
            {
                return Outcome<bool>.Conflict("status", "Only a signed-off DPIA is reviewed; a draft is still being written.");
            }
            var reviews = List<DpiaReview>(dpia.Reviews);
            reviews.Add(new DpiaReview(now, actor, Blank(request.Notes), request.NextReviewAt!.Value.ToUniversalTime()));
            dpia.Reviews = JsonSerializer.Serialize(reviews, Json);
            dpia.NextReviewAt = request.NextReviewAt!.Value.ToUniversalTime();
            Log(dpia, actor, "reviewed", $"Reviewed; next review by {dpia.NextReviewAt.Value.UtcDateTime:yyyy-MM-dd}.", now);
            return Ok();
        }, "dpias.reviewed", cancellationToken);

    /// <summary>ACC013: the request was sent to the ICO; its receipt starts the 8-week clock.</summary>
    public Task<Outcome<DpiaView>> SubmitConsultationAsync(Guid id, ConsultationSubmissionRequest request, string actor, CancellationToken cancellationToken = default) =>
        ConsultationAsync(id, actor, (dpia, consultation, now) =>
        {
            var submitted = (request.SubmittedAt ?? now).ToUniversalTime();
            var received = (request.ReceivedByAuthorityAt ?? submitted).ToUniversalTime();
            var violations = DpiaRules.Submission(submitted, received, now).ToList();
            Text(violations, "icoReference", request.IcoReference, 100);
            if (violations.Count > 0)
            {
                return Outcome<PriorConsultation>.Fail(FailureKind.Invalid, [.. violations]);
            }
            if (consultation.SubmittedAt is not null)
            {
                return Outcome<PriorConsultation>.Conflict("submittedAt", "The request for a prior consultation was already sent.");
            }
            var next = consultation with { SubmittedAt = submitted, ReceivedByAuthorityAt = received, IcoReference = Blank(request.IcoReference) };
            Log(dpia, actor, "consultation_submitted", $"Prior consultation requested from the ICO {Utc(submitted)}, received {Utc(received)}; advice due by {Utc(DueAt(next)!.Value)}.", now);
            return Outcome<PriorConsultation>.Success(next);
        }, "dpias.consultation_submitted", cancellationToken);

    /// <summary>ACC013: the ICO extended by 6 weeks, once, with its reasons; an extension told more than a month after
    /// receipt is recorded and flagged.</summary>
    public Task<Outcome<DpiaView>> ExtendConsultationAsync(Guid id, ConsultationExtensionRequest request, string actor, CancellationToken cancellationToken = default) =>
        ConsultationAsync(id, actor, (dpia, consultation, now) =>
        {
            if (Running(consultation) is { } conflict)
            {
                return conflict;
            }
            var extended = (request.ExtendedAt ?? now).ToUniversalTime();
            var violations = DpiaRules.Extension(extended, request.Reason, consultation.ReceivedByAuthorityAt!.Value, now).ToList();
            Text(violations, "reason", request.Reason, 4000);
            if (violations.Count > 0)
            {
                return Outcome<PriorConsultation>.Fail(FailureKind.Invalid, [.. violations]);
            }
            if (consultation.ExtendedAt is not null)
            {
                return Outcome<PriorConsultation>.Conflict("extendedAt", "The ICO's period is extended once only, by 6 weeks (Art. 36(2)).", "ACC013");
            }
            var next = consultation with { ExtendedAt = extended, ExtensionReason = request.Reason!.Trim() };
            var late = extended > ConsultationClock.ExtensionNoticeDueAt(consultation.ReceivedByAuthorityAt!.Value, Zone);
            Log(dpia, actor, "consultation_extended", $"The ICO extended its period by 6 weeks{(late ? ", telling us more than a month after receipt" : "")}; advice now due by {Utc(DueAt(next) ?? extended)}.", now);
            return Outcome<PriorConsultation>.Success(next);
        }, "dpias.consultation_extended", cancellationToken);

    /// <summary>ACC013: the ICO asked for information; its clock stands still until it is provided.</summary>
    public Task<Outcome<DpiaView>> SuspendConsultationAsync(Guid id, ConsultationSuspensionRequest request, string actor, CancellationToken cancellationToken = default) =>
        ConsultationAsync(id, actor, (dpia, consultation, now) =>
        {
            if (Running(consultation) is { } conflict)
            {
                return conflict;
            }
            var from = (request.From ?? now).ToUniversalTime();
            var violations = DpiaRules.Suspension(from, request.Reason, consultation.ReceivedByAuthorityAt!.Value, now).ToList();
            Text(violations, "reason", request.Reason, 4000);
            if (violations.Count > 0)
            {
                return Outcome<PriorConsultation>.Fail(FailureKind.Invalid, [.. violations]);
            }
            var suspensions = consultation.Suspensions ?? [];
            if (suspensions.Any(s => s.Until is null))
            {
                return Outcome<PriorConsultation>.Conflict("from", "The clock is already suspended: record the information provided first.");
            }
            if (suspensions.Any(s => from < s.Until))
            {
                return Outcome<PriorConsultation>.Invalid("from", "A suspension starts after the previous one ended.", "ACC013");
            }
            Log(dpia, actor, "consultation_suspended", $"The ICO asked for information {Utc(from)}; its clock stands still until it is provided.", now);
            return Outcome<PriorConsultation>.Success(consultation with { Suspensions = [.. suspensions, new ConsultationSuspension(from, null, request.Reason!.Trim(), 0)] });
        }, "dpias.consultation_suspended", cancellationToken);

    /// <summary>ACC013: the information was provided; the suspended calendar days move the advice date on.</summary>
    public Task<Outcome<DpiaView>> ResumeConsultationAsync(Guid id, ConsultationResumptionRequest request, string actor, CancellationToken cancellationToken = default) =>
        ConsultationAsync(id, actor, (dpia, consultation, now) =>
        {
            var suspensions = (consultation.Suspensions ?? []).ToList();
            var open = suspensions.FindIndex(s => s.Until is null);
            if (open < 0 || consultation.AdviceReceivedAt is not null)
            {
                return Outcome<PriorConsultation>.Conflict("until", "The clock is not suspended.");
            }
            var until = (request.Until ?? now).ToUniversalTime();
            var violations = DpiaRules.Resumption(suspensions[open].From, until, now).ToList();
            if (violations.Count > 0)
            {
                return Outcome<PriorConsultation>.Fail(FailureKind.Invalid, [.. violations]);
            }
            var days = ConsultationClock.SuspendedDays(suspensions[open].From, until, Zone);
            suspensions[open] = suspensions[open] with { Until = until, Days = days };
            var next = consultation with { Suspensions = suspensions };
            Log(dpia, actor, "consultation_resumed", $"The information was provided {Utc(until)}; {days} {(days == 1 ? "day" : "days")} suspended, advice now due by {Utc(DueAt(next)!.Value)}.", now);
            return Outcome<PriorConsultation>.Success(next);
        }, "dpias.consultation_resumed", cancellationToken);

    /// <summary>ACC013: the ICO's written advice arrived; the processing may start unless the ICO advised against it.</summary>
    public Task<Outcome<DpiaView>> RecordIcoAdviceAsync(Guid id, IcoAdviceRequest request, string actor, CancellationToken cancellationToken = default) =>
        ConsultationAsync(id, actor, (dpia, consultation, now) =>
        {
            if (consultation.SubmittedAt is null)
            {
                return Outcome<PriorConsultation>.Conflict("receivedAt", "Record the request sent to the ICO first.", "ACC013");
            }
            if (consultation.AdviceReceivedAt is not null)
            {
                return Outcome<PriorConsultation>.Conflict("receivedAt", "The ICO's advice is already recorded.");
            }
            var received = (request.ReceivedAt ?? now).ToUniversalTime();
            var violations = DpiaRules.Advice(received, request.Summary, request.Outcome, consultation.SubmittedAt.Value, now).ToList();
            Text(violations, "summary", request.Summary, 10_000);
            if (violations.Count > 0)
            {
                return Outcome<PriorConsultation>.Fail(FailureKind.Invalid, [.. violations]);
            }
            // Advice arriving during a suspension ends it: the ICO has what it needs.
            var suspensions = (consultation.Suspensions ?? []).Select(s => s.Until is null
                ? s with { Until = received, Days = ConsultationClock.SuspendedDays(s.From, received, Zone) }
                : s).ToList();
            dpia.Status = DpiaStatuses.Complete;
            Log(dpia, actor, "ico_advice", request.Outcome == IcoAdviceOutcomes.DoNotProceed
                ? $"The ICO's written advice arrived {Utc(received)}: it advises against the processing, which stays on hold."
                : $"The ICO's written advice arrived {Utc(received)}; the processing may start.", now);
            return Outcome<PriorConsultation>.Success(consultation with
            {
                AdviceReceivedAt = received,
                AdviceSummary = request.Summary!.Trim(),
                AdviceOutcome = request.Outcome,
                Suspensions = suspensions,
            });
        }, "dpias.ico_advice_recorded", cancellationToken);

    /// <summary>ACC011, ACC013: for each of <paramref name="activityIds"/> with a screening or a DPIA, what the register
    /// shows on the activity. Used by the register's views, so it reads the tables without the DPIA service's clock.</summary>
    public static async Task<IReadOnlyDictionary<Guid, ActivityDpiaScreening>> ForActivitiesAsync(DatawardDbContext db, IReadOnlyCollection<Guid> activityIds,
        CancellationToken cancellationToken = default)
    {
        if (activityIds.Count == 0)
        {
            return new Dictionary<Guid, ActivityDpiaScreening>();
        }
        var ids = activityIds.Distinct().ToList();
        var screenings = await db.Set<DpiaScreeningRecord>().AsNoTracking().Where(s => ids.Contains(s.ActivityId))
            .Select(s => new { s.Id, s.ActivityId, s.DpiaRequired, s.ScreenedAt, s.Reasons }).ToListAsync(cancellationToken);
        var dpias = await db.Set<DpiaRecord>().AsNoTracking().Where(d => ids.Contains(d.ActivityId))
            .Select(d => new { d.Id, d.ActivityId, d.Reference, d.Status, d.ProcessingOnHold, d.AdviceDueAt, d.PriorConsultation, d.CreatedAt }).ToListAsync(cancellationToken);
        var facts = new Dictionary<Guid, ActivityDpiaScreening>();
        foreach (var id in ids)
        {
            var screening = screenings.Where(s => s.ActivityId == id).OrderByDescending(s => s.ScreenedAt).ThenByDescending(s => s.Id).FirstOrDefault();
            var ofActivity = dpias.Where(d => d.ActivityId == id).OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id).ToList();
            if (screening is null && ofActivity.Count == 0)
            {
                continue;
            }
            var latest = ofActivity.FirstOrDefault();
            var hold = ofActivity.FirstOrDefault(d => d.ProcessingOnHold);
            var holdReason = hold is null ? null : Read<PriorConsultation>(hold.PriorConsultation)?.AdviceOutcome == IcoAdviceOutcomes.DoNotProceed
                ? $"The ICO advised against this processing ({hold.Reference})."
                : $"A prior consultation with the ICO is open ({hold.Reference}): processing must not start until its advice arrives (Art. 36(1)).";
            facts[id] = new ActivityDpiaScreening(screening?.DpiaRequired, screening?.Id, screening?.ScreenedAt,
                screening is null ? [] : List<string>(screening.Reasons), latest?.Id, latest?.Reference, latest?.Status, hold is not null, holdReason,
                hold?.AdviceDueAt);
        }
        return facts;
    }

    /// <summary>Runs one change on a prior consultation: the DPIA must have one still open.</summary>
    private Task<Outcome<DpiaView>> ConsultationAsync(Guid id, string actor, Func<DpiaRecord, PriorConsultation, DateTimeOffset, Outcome<PriorConsultation>> change,
        string auditAction, CancellationToken cancellationToken) =>
        ChangeAsync(id, actor, null, (dpia, now) =>
        {
            if (Read<PriorConsultation>(dpia.PriorConsultation) is not { } consultation)
            {
                return Outcome<bool>.Conflict("priorConsultation", "This DPIA has no prior consultation: one opens when a residual high risk is accepted at sign-off.", "ACC013");
            }
            var outcome = change(dpia, consultation, now);
            if (!outcome.Succeeded)
            {
                return Outcome<bool>.Fail(outcome.Failure!.Value, [.. outcome.Violations]);
            }
            var next = outcome.Value!;
            dpia.PriorConsultation = JsonSerializer.Serialize(next, Json);
            dpia.AdviceDueAt = next.AdviceReceivedAt is null ? DueAt(next) : null;
            dpia.ProcessingOnHold = next.AdviceReceivedAt is null || next.AdviceOutcome == IcoAdviceOutcomes.DoNotProceed;
            return Ok();
        }, auditAction, cancellationToken);

    private static Outcome<PriorConsultation>? Running(PriorConsultation consultation) =>
        consultation.SubmittedAt is null ? Outcome<PriorConsultation>.Conflict("submittedAt", "Record the request sent to the ICO first: its receipt starts the clock.", "ACC013")
        : consultation.AdviceReceivedAt is not null ? Outcome<PriorConsultation>.Conflict("priorConsultation", "The ICO's advice has arrived: the consultation is closed.")
        : null;

    /// <summary>ACC013: the advice date of §2.5, or null before receipt and while the clock is suspended.</summary>
    private DateTimeOffset? DueAt(PriorConsultation c)
    {
        if (c.ReceivedByAuthorityAt is not { } received || (c.Suspensions ?? []).Any(s => s.Until is null))
        {
            return null;
        }
        return ConsultationClock.AdviceDueAt(received, (c.Suspensions ?? []).Sum(s => s.Days), c.ExtendedAt is not null, Zone);
    }

    private PriorConsultationView? ConsultationView(PriorConsultation? c, DateTimeOffset now)
    {
        if (c is null)
        {
            return null;
        }
        var suspensions = c.Suspensions ?? [];
        var suspended = suspensions.Any(s => s.Until is null);
        var status = c.AdviceReceivedAt is not null ? ConsultationStatuses.AdviceReceived
            : c.SubmittedAt is null ? ConsultationStatuses.ToSubmit
            : suspended ? ConsultationStatuses.Suspended
            : ConsultationStatuses.AwaitingAdvice;
        var due = DueAt(c);
        var running = status == ConsultationStatuses.AwaitingAdvice && due is not null;
        var noticeDue = c.ReceivedByAuthorityAt is { } received ? ConsultationClock.ExtensionNoticeDueAt(received, Zone) : (DateTimeOffset?)null;
        return new PriorConsultationView(status, c.OpenedAt, c.SubmittedAt, c.ReceivedByAuthorityAt, c.IcoReference, due,
            running ? ConsultationClock.DaysLeft(due!.Value, now, Zone) : null, running && now > due, noticeDue, c.ExtendedAt, c.ExtensionReason,
            c.ExtendedAt is { } extended && noticeDue is { } by && extended > by, suspensions, suspensions.Sum(s => s.Days), c.AdviceReceivedAt,
            c.AdviceSummary, c.AdviceOutcome);
    }

    /// <summary>Runs one change on a DPIA in a transaction with its audit entry; a stale <paramref name="expectedVersion"/>
    /// or a concurrent change makes it a 409.</summary>
    private async Task<Outcome<DpiaView>> ChangeAsync(Guid id, string actor, int? expectedVersion, Func<DpiaRecord, DateTimeOffset, Outcome<bool>> change,
        string auditAction, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var dpia = await db.Set<DpiaRecord>().FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (dpia is null)
        {
            return Outcome<DpiaView>.NotFound("id", "No DPIA has this id.");
        }
        if (expectedVersion is { } expected && expected != dpia.Version)
        {
            return Outcome<DpiaView>.Conflict("version", $"The DPIA changed since version {expected}; it is now version {dpia.Version}. Reload and try again.");
        }
        eventsLogged[dpia.Id] = await db.Set<DpiaEvent>().CountAsync(e => e.DpiaId == dpia.Id, cancellationToken);
        var now = time.GetUtcNow();
        var outcome = change(dpia, now);
        if (!outcome.Succeeded)
        {
            return Outcome<DpiaView>.Fail(outcome.Failure!.Value, [.. outcome.Violations]);
        }
        dpia.Version++;
        dpia.UpdatedAt = now;
        try
        {
            // The trail saves the pending change before appending, so a lost race surfaces here too.
            await audit.RecordAsync(actor, auditAction, $"dpia:{dpia.Id}",
                new JsonObject { ["reference"] = dpia.Reference, ["status"] = dpia.Status, ["version"] = dpia.Version }, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Outcome<DpiaView>.Conflict("id", "Someone else changed this DPIA at the same moment: reload and try again.");
        }
        await transaction.CommitAsync(cancellationToken);
        return Outcome<DpiaView>.Success(await ViewAsync(dpia, cancellationToken));
    }

    private static Outcome<bool>? Frozen(DpiaRecord dpia) => DpiaStatuses.SignedOff(dpia.Status)
        ? Outcome<bool>.Conflict("status", "This DPIA is signed off and is the record of that decision: start a new DPIA of the activity to revise it.")
        : null;

    /// <summary>ACC012: a change to the content after the DPO's advice sends the DPIA back to draft.</summary>
    private void Edited(DpiaRecord dpia, string actor, DateTimeOffset now, string summary)
    {
        if (dpia.Status == DpiaStatuses.AwaitingSignOff)
        {
            dpia.Status = DpiaStatuses.Draft;
            summary += " The DPO's advice was given on an earlier version: it is needed again before sign-off.";
        }
        Log(dpia, actor, "edited", summary, now);
    }

    /// <summary>The sections as they will be stored: validated, trimmed, risks rated on the matrix.</summary>
    private sealed record Sections(string? Title, bool HasNeed, string? Need, DpiaDescription? Description, bool HasConsultation, string? Consultation,
        NecessityAndProportionality? Necessity, IReadOnlyList<DpiaRisk>? Risks);

    private static Outcome<Sections> ReadSections(DpiaSections request, IReadOnlyList<DpiaRisk> existing, bool patch)
    {
        var violations = new List<Violation>();
        if (request.Title is not null && string.IsNullOrWhiteSpace(request.Title))
        {
            violations.Add(new Violation("title", "A DPIA needs a title."));
        }
        Text(violations, "title", request.Title, 200);
        Text(violations, "need", request.Need, 10_000);
        Text(violations, "consultation", request.Consultation, 10_000);
        if (request.Description is { } d)
        {
            foreach (var (field, value) in new[] { ("nature", d.Nature), ("scope", d.Scope), ("context", d.Context), ("purposes", d.Purposes) })
            {
                Text(violations, $"description.{field}", value, 10_000);
            }
        }
        if (request.NecessityAndProportionality is { } n)
        {
            foreach (var (field, value) in new[] { ("lawfulBasis", n.LawfulBasis), ("necessity", n.Necessity), ("minimisation", n.Minimisation),
                ("quality", n.Quality), ("information", n.Information), ("rights", n.Rights), ("processors", n.Processors), ("transfers", n.Transfers) })
            {
                Text(violations, $"necessityAndProportionality.{field}", value, 10_000);
            }
        }
        List<DpiaRisk>? risks = null;
        if (request.Risks is { } inputs)
        {
            if (inputs.Count > MaxRisks)
            {
                violations.Add(new Violation("risks", $"At most {MaxRisks} risks per DPIA."));
            }
            else
            {
                risks = [];
                var seen = new HashSet<Guid>();
                for (var i = 0; i < inputs.Count; i++)
                {
                    if (inputs[i] is null)
                    {
                        violations.Add(new Violation($"risks[{i}]", "A risk is an object."));
                        continue;
                    }
                    var input = inputs[i];
                    if (input.Id is { } riskId && (!existing.Any(r => r.Id == riskId) || !seen.Add(riskId)))
                    {
                        violations.Add(new Violation($"risks[{i}].id", "Use the id of a risk of this DPIA (once), or none for a new risk."));
                        continue;
                    }
                    var risk = ReadRisk(input with { Id = input.Id ?? Guid.CreateVersion7() }, $"risks[{i}].", violations);
                    if (risk.Succeeded)
                    {
                        risks.Add(risk.Value!);
                    }
                }
            }
        }
        if (violations.Count > 0)
        {
            return Outcome<Sections>.Fail(FailureKind.Invalid, [.. violations]);
        }
        return Outcome<Sections>.Success(new Sections(Blank(request.Title), !patch || request.Need is not null, Blank(request.Need),
            request.Description is null ? (patch ? null : new DpiaDescription()) : Clean(request.Description),
            !patch || request.Consultation is not null, Blank(request.Consultation),
            request.NecessityAndProportionality is null ? (patch ? null : new NecessityAndProportionality()) : Clean(request.NecessityAndProportionality),
            risks ?? (patch ? null : [])));
    }

    /// <summary>ACC012: one risk on the fixed matrix; <paramref name="sink"/> collects violations of a list being read.</summary>
    private static Outcome<DpiaRisk> ReadRisk(DpiaRiskInput input, string prefix, List<Violation> sink)
    {
        var violations = new List<Violation>();
        Text(violations, prefix + "description", input.Description, 2000, required: true);
        var rating = RiskMatrix.Rate(input.Likelihood, input.Severity, prefix);
        violations.AddRange(rating.Violations);
        if (input.ResidualLikelihood is not null || input.ResidualSeverity is not null)
        {
            violations.AddRange(RiskMatrix.Rate(input.ResidualLikelihood, input.ResidualSeverity, prefix, "residualLikelihood", "residualSeverity").Violations);
        }
        if (input.Effect is not null && !MeasureEffects.All.Contains(input.Effect))
        {
            violations.Add(new Violation(prefix + "effect", $"Use one of {string.Join(", ", MeasureEffects.All)}."));
        }
        var measures = (input.Measures ?? []).Where(m => !string.IsNullOrWhiteSpace(m)).Select(m => m.Trim()).ToList();
        if (measures.Count > 50 || measures.Any(m => m.Length > 2000))
        {
            violations.Add(new Violation(prefix + "measures", "Up to 50 measures, each up to 2,000 characters."));
        }
        if (violations.Count > 0)
        {
            sink.AddRange(violations);
            return Outcome<DpiaRisk>.Fail(FailureKind.Invalid, [.. violations]);
        }
        return Outcome<DpiaRisk>.Success(new DpiaRisk(input.Id!.Value, input.Description!.Trim(), input.Likelihood!, input.Severity!, measures, input.Effect,
            input.ResidualLikelihood, input.ResidualSeverity, input.MeasuresApproved ?? false));
    }

    private static void Apply(DpiaRecord dpia, Sections sections)
    {
        dpia.Title = sections.Title ?? dpia.Title;
        if (sections.HasNeed)
        {
            dpia.Need = sections.Need;
        }
        if (sections.Description is { } description)
        {
            dpia.Description = JsonSerializer.Serialize(description, Json);
        }
        if (sections.HasConsultation)
        {
            dpia.Consultation = sections.Consultation;
        }
        if (sections.Necessity is { } necessity)
        {
            dpia.Necessity = JsonSerializer.Serialize(necessity, Json);
        }
        if (sections.Risks is { } risks)
        {
            SetRisks(dpia, risks);
        }
    }

    private static void SetRisks(DpiaRecord dpia, IReadOnlyList<DpiaRisk> risks)
    {
        dpia.Risks = JsonSerializer.Serialize(risks, Json);
        dpia.ResidualRisk = DpiaRules.ResidualRisk(risks.Select(ResidualLevel));
    }

    private static string? ResidualLevel(DpiaRisk r) =>
        r.ResidualLikelihood is { } l && r.ResidualSeverity is { } s ? RiskMatrix.Level(RiskMatrix.Score(l, s)) : null;

    private static SignOffReadiness Readiness(DpiaRecord dpia, IReadOnlyList<DpiaRisk> risks)
    {
        var description = Read<DpiaDescription>(dpia.Description) ?? new DpiaDescription();
        var necessity = Read<NecessityAndProportionality>(dpia.Necessity) ?? new NecessityAndProportionality();
        return new SignOffReadiness(dpia.Status, description.Nature is not null, description.Purposes is not null, necessity.Necessity is not null,
            risks.Select((r, i) => new RiskReadiness(i, r.Measures.Count > 0, r.Effect, ResidualLevel(r))).ToList(),
            Read<DpoAdvice>(dpia.DpoAdvice)?.OnVersion, dpia.Version);
    }

    private static IEnumerable<Violation> ReadyForSignOff(SignOffReadiness readiness) => DpiaRules.ReadyForSignOff(readiness);

    private async Task<DpiaView> ViewAsync(DpiaRecord d, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var timeline = await db.Set<DpiaEvent>().AsNoTracking().Where(e => e.DpiaId == d.Id).ToListAsync(cancellationToken);
        var screening = d.ScreeningId is { } screeningId
            ? await db.Set<DpiaScreeningRecord>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == screeningId, cancellationToken)
            : null;
        var risks = List<DpiaRisk>(d.Risks);
        var advice = Read<DpoAdvice>(d.DpoAdvice);
        var readiness = Readiness(d, risks);
        List<string> missing = DpiaStatuses.SignedOff(d.Status) ? [] : DpiaRules.Missing(readiness).Select(v => v.Message).ToList();
        if (!DpiaStatuses.SignedOff(d.Status) && (advice is null || advice.OnVersion != d.Version))
        {
            missing.Insert(0, advice is null ? "The DPO's advice (ACC012)." : "The DPO's advice on this version: the DPIA changed after the advice (ACC012).");
        }
        return new DpiaView(d.Id, d.Reference, d.ActivityId, d.ActivityName, d.Title, d.Status, d.Version, screening is null ? null : View(screening), d.Need,
            Read<DpiaDescription>(d.Description) ?? new DpiaDescription(), d.Consultation,
            Read<NecessityAndProportionality>(d.Necessity) ?? new NecessityAndProportionality(),
            risks.Select(r =>
            {
                var score = RiskMatrix.Score(r.Likelihood, r.Severity);
                int? residual = r.ResidualLikelihood is { } l && r.ResidualSeverity is { } s ? RiskMatrix.Score(l, s) : null;
                return new DpiaRiskView(r.Id, r.Description, r.Likelihood, r.Severity, score, RiskMatrix.Level(score), r.Measures, r.Effect,
                    r.ResidualLikelihood, r.ResidualSeverity, residual, residual is { } value ? RiskMatrix.Level(value) : null, r.MeasuresApproved);
            }).ToList(),
            d.ResidualRisk, advice, advice is not null && advice.OnVersion == d.Version, missing, Read<DpiaSignOff>(d.SignOff), d.NextReviewAt,
            d.NextReviewAt is { } review && review < now, List<DpiaReview>(d.Reviews), ConsultationView(Read<PriorConsultation>(d.PriorConsultation), now),
            d.ProcessingOnHold, d.CreatedBy, d.CreatedAt, d.UpdatedAt,
            timeline.OrderBy(e => e.Sequence).Select(e => new DpiaTimelineEntry(e.At, e.Actor, e.Kind, e.Summary)).ToList());
    }

    private static DpiaScreeningView View(DpiaScreeningRecord s) => new(s.Id, s.ActivityId, s.ActivityName, s.DpiaRequired, List<string>(s.Reasons),
        List<string>(s.Criteria), List<string>(s.Art35Cases), List<string>(s.IcoList), s.Notes, s.ScreenedBy, s.ScreenedAt);

    private void Log(DpiaRecord dpia, string actor, string kind, string summary, DateTimeOffset at)
    {
        var sequence = eventsLogged.GetValueOrDefault(dpia.Id);
        eventsLogged[dpia.Id] = sequence + 1;
        db.Add(new DpiaEvent { DpiaId = dpia.Id, Sequence = sequence, At = at, Actor = actor, Kind = kind, Summary = Trim(summary, 2000) });
    }

    private static Outcome<bool> Ok() => Outcome<bool>.Success(true);

    private static T? Read<T>(string? json) where T : class => json is null ? null : JsonSerializer.Deserialize<T>(json, Json);

    private static List<T> List<T>(string json) => JsonSerializer.Deserialize<List<T>>(json, Json) ?? [];

    private static List<string> Distinct(IReadOnlyList<string>? values) => (values ?? []).Distinct(StringComparer.Ordinal).ToList();

    private static DpiaDescription Clean(DpiaDescription d) => new(Blank(d.Nature), Blank(d.Scope), Blank(d.Context), Blank(d.Purposes));

    private static NecessityAndProportionality Clean(NecessityAndProportionality n) => new(Blank(n.LawfulBasis), Blank(n.Necessity), Blank(n.Minimisation),
        Blank(n.Quality), Blank(n.Information), Blank(n.Rights), Blank(n.Processors), Blank(n.Transfers));

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
