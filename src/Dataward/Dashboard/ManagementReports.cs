using System.Globalization;
using System.Text.Json;
using Dataward.Breaches;
using Dataward.Complaints;
using Dataward.Domain;
using Dataward.Domain.Dpias;
using Dataward.Domain.Requests;
using Dataward.Domain.Training;
using Dataward.Dpias;
using Dataward.Platform.Storage;
using Dataward.Register;
using Dataward.Requests;
using Dataward.Retention;
using Dataward.Training;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Dashboard;

/// <summary>The register's review status (policy P1: every active activity reviewed at least every 6 months).</summary>
public sealed record RegisterStatus(int ActiveActivities, int ReviewsOverdue, int ReviewsDueWithin30Days, int ReviewsSignedOffInPeriod,
    DateTimeOffset? NextReviewDue);

/// <summary>The retention schedule's annual review (MIN006): when the next rule falls due, how many are overdue.</summary>
public sealed record RetentionStatus(int Rules, int ReviewsOverdue, int ReviewsDueWithin30Days, DateTimeOffset? NextReviewDue, DateTimeOffset? LastReviewedAt);

/// <summary>Requests received in the period by type, how many were answered on time (see <see cref="DashboardService"/>
/// for "decided"), extended (DSR004), and still open past their due date now.</summary>
public sealed record RequestStatistics(int Received, IReadOnlyDictionary<string, int> ByType, int Decided, int AnsweredOnTime, double? OnTimeRate,
    int Extended, int OpenOverdue);

/// <summary>An ICO notification sent after the 72-hour deadline, with the reasons recorded for the delay (ACC003).</summary>
public sealed record LateNotification(string Reference, DateTimeOffset IcoDeadline, DateTimeOffset SentAt, string? LateReason);

/// <summary>A follow-up action not yet done nor waived (ACC010), on a breach of the period.</summary>
public sealed record OpenBreachAction(string BreachReference, string Description, DateTimeOffset DueAt, bool Overdue);

/// <summary>Breaches discovered in the period: all recorded (Art. 33(5)), by risk level and severity band, notified to
/// the ICO or not, late notifications with their reasons, and the follow-up actions still open.</summary>
public sealed record BreachStatistics(int Recorded, int NotBreaches, IReadOnlyDictionary<string, int> ByRiskLevel, IReadOnlyDictionary<string, int> BySeverity,
    int NotifiedToIco, int NotNotified, int PeopleInformed, IReadOnlyList<LateNotification> LateNotifications, IReadOnlyList<OpenBreachAction> OpenActions);

/// <summary>Screenings and DPIAs: screened in the period, how many needed a DPIA (ACC011), DPIAs signed off in the
/// period, awaiting sign-off now, prior consultations opened in the period and still running now (ACC013).</summary>
public sealed record DpiaStatistics(int Screened, int Required, int SignedOffInPeriod, int AwaitingSignOff, int PriorConsultationsOpened,
    int PriorConsultationsRunning);

/// <summary>Training of current staff now (§3.4) and completions recorded in the period.</summary>
public sealed record TrainingStatistics(int Staff, int UpToDate, int Overdue, double? Coverage, int CompletionsInPeriod);

/// <summary>The report to senior management for a period of local dates (accountability.md §5; Art. 38(3)). Figures
/// "in the period" count what happened between <c>from</c> and <c>to</c>; the rest is the position when generated.
/// <c>dpoRecommendations</c> is the DPO's text for this report, as given with the request (not stored).</summary>
public sealed record ManagementReport(DateOnly From, DateOnly To, DateTimeOffset GeneratedAt, string? Organisation, RegisterStatus Register,
    RetentionStatus Retention, RequestStatistics Requests, BreachStatistics Breaches, DpiaStatistics Dpias, TrainingStatistics Training,
    ComplaintCounts Complaints, string? DpoRecommendations);

/// <summary>Builds the management report of §5 from the capabilities' own records; reads only.</summary>
public sealed class ManagementReports(DatawardDbContext db, RegisterService register, RetentionService retention, DpiaService dpias,
    TrainingService training, ComplaintService complaints, DashboardService dashboard, Deadlines deadlines, TimeProvider time)
{
    public const int MaxYears = 5;
    public const int MaxRecommendationsLength = 4000;

    /// <summary>Reads the period's two dates (yyyy-MM-dd; both absent: the twelve months to today) and the DPO's text;
    /// a bad value is named by its field.</summary>
    public Outcome<(DateOnly From, DateOnly To)> Period(string? from, string? to)
    {
        var today = deadlines.LocalDate(time.GetUtcNow());
        var violations = new List<Violation>();
        DateOnly? start = null, end = null;
        if (!string.IsNullOrEmpty(from))
        {
            if (DateOnly.TryParseExact(from, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var f) && InRange(f))
            {
                start = f;
            }
            else
            {
                violations.Add(new Violation("from", "Give the first day of the period as yyyy-MM-dd, between the years 2000 and 2999."));
            }
        }
        if (!string.IsNullOrEmpty(to))
        {
            if (DateOnly.TryParseExact(to, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) && InRange(t))
            {
                end = t;
            }
            else
            {
                violations.Add(new Violation("to", "Give the last day of the period as yyyy-MM-dd, between the years 2000 and 2999."));
            }
        }
        if (violations.Count > 0)
        {
            return Outcome<(DateOnly, DateOnly)>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var last = end ?? today;
        var first = start ?? last.AddYears(-1).AddDays(1);
        if (last < first)
        {
            return Outcome<(DateOnly, DateOnly)>.Invalid("to", "The period ends before it starts: give a 'to' on or after 'from'.");
        }
        if (last > first.AddYears(MaxYears))
        {
            return Outcome<(DateOnly, DateOnly)>.Invalid("to", $"A report covers at most {MaxYears} years: shorten the period.");
        }
        return Outcome<(DateOnly, DateOnly)>.Success((first, last));
    }

    // Bounds keep the arithmetic on the period (a year back, a day on, time-zone offsets) inside DateOnly's range.
    private static bool InRange(DateOnly date) => date.Year is >= 2000 and <= 2999;

    public async Task<Outcome<ManagementReport>> BuildAsync(string? from, string? to, string? recommendations, CancellationToken cancellationToken = default)
    {
        var period = Period(from, to);
        if (!period.Succeeded)
        {
            return Outcome<ManagementReport>.Fail(period.Failure!.Value, [.. period.Violations]);
        }
        if (recommendations is { Length: > MaxRecommendationsLength })
        {
            return Outcome<ManagementReport>.Invalid("recommendations", $"Keep the DPO's recommendations to {MaxRecommendationsLength} characters.");
        }
        var (first, last) = period.Value;
        var now = time.GetUtcNow();
        var start = TrainingClock.StartOfDay(first, deadlines.Zone);
        var end = TrainingClock.StartOfDay(last.AddDays(1), deadlines.Zone);
        bool InPeriod(DateTimeOffset at) => at >= start && at < end;

        var organisation = await register.OrganisationAsync(cancellationToken);
        var report = new ManagementReport(first, last, now, string.IsNullOrWhiteSpace(organisation.Name) ? null : organisation.Name,
            await RegisterAsync(now, InPeriod, cancellationToken), await RetentionAsync(now, cancellationToken),
            await RequestsAsync(first, last, now, cancellationToken), await BreachesAsync(now, InPeriod, cancellationToken),
            await DpiasAsync(InPeriod, cancellationToken), await TrainingAsync(InPeriod, cancellationToken),
            (await complaints.CountsAsync(first, last, cancellationToken)).Value!, string.IsNullOrWhiteSpace(recommendations) ? null : recommendations.Trim());
        return Outcome<ManagementReport>.Success(report);
    }

    private async Task<RegisterStatus> RegisterAsync(DateTimeOffset now, Func<DateTimeOffset, bool> inPeriod, CancellationToken cancellationToken)
    {
        var active = await register.ListAsync(new ActivityFilter(Status: Domain.Register.ActivityStatus.Active), cancellationToken);
        var reviews = await db.Set<ActivityReview>().AsNoTracking().Select(r => r.ReviewedAt).ToListAsync(cancellationToken);
        return new RegisterStatus(active.Count, active.Count(a => now > a.ReviewDueAt),
            active.Count(a => a.ReviewDueAt >= now && a.ReviewDueAt <= now.AddDays(DashboardService.HorizonDays)), reviews.Count(inPeriod),
            active.Count == 0 ? null : active.Min(a => a.ReviewDueAt));
    }

    private async Task<RetentionStatus> RetentionAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rules = await retention.ListAsync(includeRetired: false, cancellationToken);
        return new RetentionStatus(rules.Count, rules.Count(r => r.Overdue),
            rules.Count(r => !r.Overdue && r.NextReviewDue <= now.AddDays(DashboardService.HorizonDays)),
            rules.Count == 0 ? null : rules.Min(r => r.NextReviewDue), rules.Max(r => r.LastReviewedAt));
    }

    private async Task<RequestStatistics> RequestsAsync(DateOnly first, DateOnly last, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var today = deadlines.LocalDate(now);
        var rows = await db.Set<SubjectRequest>().AsNoTracking().Where(r => r.ReceivedLocalDate >= first && r.ReceivedLocalDate <= last)
            .Select(r => new DashboardService.RequestFacts(r.Type, r.State, r.ReceivedLocalDate, r.DueDate, r.ExtendedDueDate, r.ClosedAt, r.ResponseSentAt))
            .ToListAsync(cancellationToken);
        var (decided, onTime) = dashboard.Timeliness(rows, today);
        return new RequestStatistics(rows.Count, RequestTypes.All.ToDictionary(t => t, t => rows.Count(r => r.Type == t)), decided, onTime,
            DashboardService.Rate(onTime, decided), rows.Count(r => r.ExtendedDueDate is not null),
            rows.Count(r => RequestStates.IsOpen(r.State) && (r.ExtendedDueDate ?? r.DueDate) < today));
    }

    private async Task<BreachStatistics> BreachesAsync(DateTimeOffset now, Func<DateTimeOffset, bool> inPeriod, CancellationToken cancellationToken)
    {
        var all = (await db.Set<Breach>().AsNoTracking().ToListAsync(cancellationToken)).Where(b => inPeriod(b.DiscoveredAt)).ToList();
        var breaches = all.Where(b => b.IsBreach != false).ToList();
        var notifications = breaches.ToDictionary(b => b.Id, b => Read<List<IcoNotification>>(b.IcoNotifications) ?? []);
        var late = breaches.SelectMany(b => notifications[b.Id].Where(n => n.Late).Select(n => new LateNotification(b.Reference, b.IcoDeadline!.Value, n.SentAt, n.LateReason)))
            .OrderBy(n => n.SentAt).ToList();
        var ids = breaches.Select(b => b.Id).ToList();
        var references = breaches.ToDictionary(b => b.Id, b => b.Reference);
        var actions = (await db.Set<BreachAction>().AsNoTracking().Where(a => ids.Contains(a.BreachId) && a.DoneAt == null && a.WaivedReason == null)
                .ToListAsync(cancellationToken))
            .Select(a => new OpenBreachAction(references[a.BreachId], a.Description, a.DueAt, now > a.DueAt)).OrderBy(a => a.DueAt).ToList();
        return new BreachStatistics(breaches.Count, all.Count - breaches.Count,
            DashboardService.RiskLevels.ToDictionary(l => l, l => breaches.Count(b => (b.RiskLevel ?? "notAssessed") == l)),
            DashboardService.SeverityBands.ToDictionary(l => l, l => breaches.Count(b => DashboardService.BandOf(b.Severity) == l)),
            breaches.Count(b => notifications[b.Id].Count > 0), breaches.Count(b => notifications[b.Id].Count == 0),
            breaches.Count(b => Read<List<Communication>>(b.Communications) is { Count: > 0 }), late, actions);
    }

    private async Task<DpiaStatistics> DpiasAsync(Func<DateTimeOffset, bool> inPeriod, CancellationToken cancellationToken)
    {
        var screenings = (await db.Set<DpiaScreeningRecord>().AsNoTracking().Select(s => new { s.ScreenedAt, s.DpiaRequired }).ToListAsync(cancellationToken))
            .Where(s => inPeriod(s.ScreenedAt)).ToList();
        var records = await db.Set<DpiaRecord>().AsNoTracking().Select(d => new { d.Status, d.SignOff, d.PriorConsultation }).ToListAsync(cancellationToken);
        var summaries = await dpias.ListAsync(cancellationToken: cancellationToken);
        return new DpiaStatistics(screenings.Count, screenings.Count(s => s.DpiaRequired),
            records.Count(d => Read<DpiaSignOff>(d.SignOff) is { } signOff && inPeriod(signOff.SignedAt)),
            records.Count(d => d.Status == DpiaStatuses.AwaitingSignOff),
            records.Count(d => Read<PriorConsultation>(d.PriorConsultation) is { } c && inPeriod(c.OpenedAt)),
            summaries.Count(s => s.ConsultationStatus is { } status && status != ConsultationStatuses.AdviceReceived));
    }

    private async Task<TrainingStatistics> TrainingAsync(Func<DateTimeOffset, bool> inPeriod, CancellationToken cancellationToken)
    {
        var staff = (await training.ListStaffAsync(null, cancellationToken)).Value ?? [];
        var completions = (await db.Set<TrainingCompletion>().AsNoTracking().Select(c => c.CompletedAt).ToListAsync(cancellationToken)).Count(inPeriod);
        var upToDate = staff.Count(s => !s.Overdue);
        return new TrainingStatistics(staff.Count, upToDate, staff.Count - upToDate, DashboardService.Rate(upToDate, staff.Count), completions);
    }

    private static T? Read<T>(string? json) => json is null ? default : JsonSerializer.Deserialize<T>(json, DashboardService.Json);
}
