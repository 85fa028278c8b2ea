using System.Globalization;
using System.Text.Json;
using Dataward.Breaches;
using Dataward.Complaints;
using Dataward.Domain;
using Dataward.Domain.Breaches;
using Dataward.Domain.Complaints;
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

/// <summary>The kinds of item the DPO's workspace lists (ACC016), in the order the page shows them.</summary>
public static class DashboardKinds
{
    public const string BreachTriage = "breachTriage";
    public const string BreachClock = "breachClock";
    public const string Request = "request";
    public const string ComplaintAcknowledgement = "complaintAcknowledgement";
    public const string ComplaintOutcome = "complaintOutcome";
    public const string DpiaSignOff = "dpiaSignOff";
    public const string PriorConsultation = "priorConsultation";
    public const string RegisterReview = "registerReview";
    public const string RetentionReview = "retentionReview";
    public const string Training = "training";

    public static readonly IReadOnlyList<string> All =
        [BreachTriage, BreachClock, Request, ComplaintAcknowledgement, ComplaintOutcome, DpiaSignOff, PriorConsultation, RegisterReview, RetentionReview, Training];

    public static string Heading(string kind) => kind switch
    {
        BreachTriage => "Suspected breaches awaiting triage",
        BreachClock => "Breaches: 72-hour ICO clocks running",
        Request => "Open data-subject requests by due date",
        ComplaintAcknowledgement => "Complaints awaiting acknowledgement",
        ComplaintOutcome => "Complaints awaiting an outcome",
        DpiaSignOff => "DPIAs awaiting sign-off",
        PriorConsultation => "Prior consultations with the ICO",
        RegisterReview => "Register reviews overdue or due within 30 days",
        RetentionReview => "Retention schedule: annual reviews",
        Training => "Staff overdue for training",
        _ => kind,
    };
}

/// <summary>One thing that needs the DPO's attention. The title carries references, activity, rule and course names,
/// never a person's name or address; <c>dueAt</c> is null where nothing fixes a deadline (a DPIA waiting for sign-off).</summary>
public sealed record DashboardItem(string Kind, string Title, DateTimeOffset? DueAt, bool Overdue, string Href);

public sealed record DashboardGroup(string Kind, string Heading, int Count, int Overdue, IReadOnlyList<DashboardItem> Items);

/// <summary>Data-subject requests received in one local month: how many of each type, and how many were answered by
/// their due date out of those answered or already past it (<c>onTimeRate</c> null when none is).</summary>
public sealed record RequestMonth(string Month, IReadOnlyDictionary<string, int> ByType, int Total, int Decided, int OnTime, double? OnTimeRate);

/// <summary>Breaches (and suspected ones not yet triaged) discovered in one local quarter, by risk level (§1.8) and by
/// ENISA severity band (§1.7); <c>notAssessed</c> counts those without one yet.</summary>
public sealed record BreachQuarter(string Quarter, IReadOnlyDictionary<string, int> ByRiskLevel, IReadOnlyDictionary<string, int> BySeverity, int Total);

public sealed record DashboardCharts(IReadOnlyList<RequestMonth> RequestsPerMonth, IReadOnlyList<BreachQuarter> BreachesPerQuarter);

/// <summary>The DPO's workspace: every item needing attention, grouped by kind, with counts and the two charts.</summary>
public sealed record DashboardView(DateTimeOffset GeneratedAt, int HorizonDays, int Total, int Overdue, IReadOnlyList<DashboardGroup> Groups,
    DashboardCharts Charts);

/// <summary>The DPO's workspace (ACC016): gathers from the register, the retention schedule, requests, breaches, DPIAs,
/// training and complaints what is overdue or due within <see cref="HorizonDays"/> days, each with a link to its page,
/// and the figures behind the dashboard's charts. Read-only: it changes nothing in the capabilities it reads.</summary>
public sealed class DashboardService(DatawardDbContext db, RegisterService register, RetentionService retention, DpiaService dpias,
    TrainingService training, Deadlines deadlines, TimeProvider time)
{
    public const int HorizonDays = 30;
    public const int MaxMonths = 36;
    public const int MaxQuarters = 12;
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static readonly IReadOnlyList<string> RiskLevels = ["highRisk", "risk", "none", "notAssessed"];
    public static readonly IReadOnlyList<string> SeverityBands = ["veryHigh", "high", "medium", "low", "notAssessed"];

    public TimeZoneInfo Zone => deadlines.Zone;

    public async Task<Outcome<DashboardView>> GetAsync(int? months = null, int? quarters = null, CancellationToken cancellationToken = default)
    {
        if (months is < 1 or > MaxMonths)
        {
            return Outcome<DashboardView>.Invalid("months", $"Give between 1 and {MaxMonths} months, or leave it out for 12.");
        }
        if (quarters is < 1 or > MaxQuarters)
        {
            return Outcome<DashboardView>.Invalid("quarters", $"Give between 1 and {MaxQuarters} quarters, or leave it out for 4.");
        }
        var now = time.GetUtcNow();
        var items = await ItemsAsync(now, cancellationToken);
        var groups = DashboardKinds.All
            .Select(kind => items.Where(i => i.Kind == kind).OrderByDescending(i => i.Overdue).ThenBy(i => i.DueAt ?? DateTimeOffset.MaxValue)
                .ThenBy(i => i.Title, StringComparer.Ordinal).ToList())
            .Where(list => list.Count > 0)
            .Select(list => new DashboardGroup(list[0].Kind, DashboardKinds.Heading(list[0].Kind), list.Count, list.Count(i => i.Overdue), list))
            .ToList();
        var charts = new DashboardCharts(await RequestsPerMonthAsync(months ?? 12, now, cancellationToken),
            await BreachesPerQuarterAsync(quarters ?? 4, now, cancellationToken));
        return Outcome<DashboardView>.Success(new DashboardView(now, HorizonDays, items.Count, items.Count(i => i.Overdue), groups, charts));
    }

    /// <summary>ACC016: the items, unordered. Anything with a deadline appears once overdue or due within the horizon.</summary>
    private async Task<List<DashboardItem>> ItemsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var horizon = now.AddDays(HorizonDays);
        var items = new List<DashboardItem>();

        foreach (var activity in await register.ListAsync(new ActivityFilter(Status: Domain.Register.ActivityStatus.Active), cancellationToken))
        {
            if (activity.ReviewDueAt <= horizon)
            {
                items.Add(new DashboardItem(DashboardKinds.RegisterReview, $"Review of the register entry '{activity.Name}'", activity.ReviewDueAt,
                    now > activity.ReviewDueAt, $"/register/{activity.Id}"));
            }
        }

        foreach (var rule in await retention.ListAsync(includeRetired: false, cancellationToken))
        {
            if (rule.NextReviewDue <= horizon)
            {
                items.Add(new DashboardItem(DashboardKinds.RetentionReview, $"Annual review of the retention rule '{rule.Name}'", rule.NextReviewDue,
                    rule.Overdue, $"/retention/{rule.Id}"));
            }
        }

        var today = deadlines.LocalDate(now);
        var openRequests = await db.Set<SubjectRequest>().AsNoTracking()
            .Where(r => r.State != RequestStates.Completed && r.State != RequestStates.Rejected && r.State != RequestStates.Cancelled)
            .Select(r => new { r.Id, r.Reference, r.Type, r.State, r.DueDate, r.ExtendedDueDate })
            .ToListAsync(cancellationToken);
        foreach (var r in openRequests)
        {
            // A request whose clock is paused (identity not yet proven) has no due date and waits on the person.
            if ((r.ExtendedDueDate ?? r.DueDate) is not { } due)
            {
                continue;
            }
            var dueAt = EndOfDay(due);
            if (dueAt <= horizon)
            {
                items.Add(new DashboardItem(DashboardKinds.Request, $"{r.Reference}: {TypeName(r.Type)} request ({r.State.Replace('_', ' ')})", dueAt,
                    due < today, $"/requests/{r.Id}"));
            }
        }

        var breaches = await db.Set<Breach>().AsNoTracking().Where(b => b.Status != BreachStatuses.Closed).ToListAsync(cancellationToken);
        foreach (var b in breaches)
        {
            if (BreachService.ClockRunning(b))
            {
                // Titles give the reference only: a breach's title is free text a reporter may have put a name in.
                items.Add(new DashboardItem(DashboardKinds.BreachClock, $"{b.Reference}: notify the ICO within 72 hours of awareness", b.IcoDeadline,
                    now > b.IcoDeadline, $"/breaches/{b.Id}"));
            }
            else if (b.IsBreach is null)
            {
                items.Add(new DashboardItem(DashboardKinds.BreachTriage, $"{b.Reference}: suspected breach reported {Local(b.ReportedAt):yyyy-MM-dd HH:mm}, not yet triaged",
                    null, false, $"/breaches/{b.Id}"));
            }
        }

        foreach (var d in await dpias.ListAsync(cancellationToken: cancellationToken))
        {
            if (d.Status == DpiaStatuses.AwaitingSignOff)
            {
                items.Add(new DashboardItem(DashboardKinds.DpiaSignOff, $"{d.Reference}: DPIA of '{d.ActivityName}' has the DPO's advice and awaits sign-off",
                    null, false, $"/dpias/{d.Id}"));
            }
            if (d.ConsultationStatus == ConsultationStatuses.ToSubmit)
            {
                items.Add(new DashboardItem(DashboardKinds.PriorConsultation, $"{d.Reference}: prior consultation of '{d.ActivityName}' to send to the ICO",
                    null, false, $"/dpias/{d.Id}"));
            }
            else if (d.ConsultationStatus is ConsultationStatuses.AwaitingAdvice or ConsultationStatuses.Suspended && d.AdviceDueAt is { } adviceDue
                && adviceDue <= horizon)
            {
                items.Add(new DashboardItem(DashboardKinds.PriorConsultation, $"{d.Reference}: the ICO's advice on '{d.ActivityName}' is due", adviceDue,
                    d.Overdue, $"/dpias/{d.Id}"));
            }
        }

        var staff = await training.ListStaffAsync("overdue", cancellationToken);
        foreach (var person in staff.Value ?? [])
        {
            // The person's name stays on their page; the item names what is missing.
            var missing = person.Courses.Where(c => c.Required && c.State == TrainingStates.Overdue).ToList();
            var what = missing.Select(c => c.Title).ToList();
            var dues = missing.Select(c => c.DueAt).OfType<DateTimeOffset>().ToList();
            if (person.InductionMeeting.State == InductionStates.Overdue)
            {
                what.Add("induction meeting with the DPO");
                dues.Add(EndOfDay(person.InductionMeeting.DueBy));
            }
            items.Add(new DashboardItem(DashboardKinds.Training, $"A member of staff{(person.Department is { } dept ? $" in {dept}" : "")} is overdue: {string.Join(", ", what)}",
                dues.Count > 0 ? dues.Min() : null, true, $"/training/staff/{person.Id}"));
        }

        var complaints = await db.Set<Complaint>().AsNoTracking().Where(c => c.Status != ComplaintStatuses.Closed)
            .Select(c => new { c.Id, c.Reference, c.AckDueAt, c.AcknowledgedAt, c.ReplyDueAt, c.OutcomeSentAt })
            .ToListAsync(cancellationToken);
        foreach (var c in complaints)
        {
            if (c.AcknowledgedAt is null && c.AckDueAt <= horizon)
            {
                items.Add(new DashboardItem(DashboardKinds.ComplaintAcknowledgement, $"{c.Reference}: acknowledge the complaint", c.AckDueAt,
                    now > c.AckDueAt, $"/complaints/{c.Id}"));
            }
            else if (c.AcknowledgedAt is not null && c.OutcomeSentAt is null && c.ReplyDueAt <= horizon)
            {
                items.Add(new DashboardItem(DashboardKinds.ComplaintOutcome, $"{c.Reference}: send the outcome of the complaint", c.ReplyDueAt,
                    now > c.ReplyDueAt, $"/complaints/{c.Id}"));
            }
        }
        return items;
    }

    /// <summary>Requests received per local month, the current month last, with the on-time rate of those decided.</summary>
    public async Task<IReadOnlyList<RequestMonth>> RequestsPerMonthAsync(int months, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var today = deadlines.LocalDate(now);
        var first = new DateOnly(today.Year, today.Month, 1).AddMonths(-(months - 1));
        var rows = await db.Set<SubjectRequest>().AsNoTracking().Where(r => r.ReceivedLocalDate >= first)
            .Select(r => new RequestFacts(r.Type, r.State, r.ReceivedLocalDate, r.DueDate, r.ExtendedDueDate, r.ClosedAt, r.ResponseSentAt))
            .ToListAsync(cancellationToken);
        var result = new List<RequestMonth>(months);
        for (var month = first; month <= today; month = month.AddMonths(1))
        {
            var inMonth = rows.Where(r => r.ReceivedOn.Year == month.Year && r.ReceivedOn.Month == month.Month).ToList();
            var (decided, onTime) = Timeliness(inMonth, today);
            result.Add(new RequestMonth(month.ToString("yyyy-MM", CultureInfo.InvariantCulture),
                RequestTypes.All.ToDictionary(t => t, t => inMonth.Count(r => r.Type == t)), inMonth.Count, decided, onTime, Rate(onTime, decided)));
        }
        return result;
    }

    /// <summary>Breaches discovered per local quarter, the current quarter last; those triaged as not a breach are left out.</summary>
    public async Task<IReadOnlyList<BreachQuarter>> BreachesPerQuarterAsync(int quarters, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var today = deadlines.LocalDate(now);
        var first = QuarterStart(today).AddMonths(-3 * (quarters - 1));
        var rows = (await db.Set<Breach>().AsNoTracking().Where(b => b.IsBreach != false)
                .Select(b => new { b.DiscoveredAt, b.RiskLevel, b.Severity }).ToListAsync(cancellationToken))
            .Select(b => (Discovered: deadlines.LocalDate(b.DiscoveredAt), Risk: b.RiskLevel ?? "notAssessed", Band: BandOf(b.Severity)))
            .Where(b => b.Discovered >= first).ToList();
        var result = new List<BreachQuarter>(quarters);
        for (var quarter = first; quarter <= today; quarter = quarter.AddMonths(3))
        {
            var end = quarter.AddMonths(3);
            var inQuarter = rows.Where(b => b.Discovered >= quarter && b.Discovered < end).ToList();
            result.Add(new BreachQuarter(QuarterName(quarter), RiskLevels.ToDictionary(l => l, l => inQuarter.Count(b => b.Risk == l)),
                SeverityBands.ToDictionary(l => l, l => inQuarter.Count(b => b.Band == l)), inQuarter.Count));
        }
        return result;
    }

    internal sealed record RequestFacts(string Type, string State, DateOnly ReceivedOn, DateOnly? DueDate, DateOnly? ExtendedDueDate, DateTimeOffset? ClosedAt,
        DateTimeOffset? ResponseSentAt);

    /// <summary>Decided: answered (completed or refused) or still open past the due date; on time: answered by the due
    /// date (the extended one once extended). Cancelled requests and open ones not yet due count in neither.</summary>
    internal (int Decided, int OnTime) Timeliness(IEnumerable<RequestFacts> requests, DateOnly today)
    {
        int decided = 0, onTime = 0;
        foreach (var r in requests)
        {
            var due = r.ExtendedDueDate ?? r.DueDate;
            if (r.State is RequestStates.Completed or RequestStates.Rejected)
            {
                decided++;
                var answeredAt = r.ResponseSentAt ?? r.ClosedAt;
                if (due is null || answeredAt is null || deadlines.LocalDate(answeredAt.Value) <= due)
                {
                    onTime++;
                }
            }
            else if (RequestStates.IsOpen(r.State) && due is { } d && d < today)
            {
                decided++;
            }
        }
        return (decided, onTime);
    }

    internal static double? Rate(int part, int whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);

    internal static string BandOf(string? severityJson) =>
        severityJson is null ? "notAssessed" : JsonSerializer.Deserialize<Domain.Breaches.Severity>(severityJson, Json)?.Band ?? "notAssessed";

    internal static DateOnly QuarterStart(DateOnly date) => new(date.Year, (date.Month - 1) / 3 * 3 + 1, 1);

    internal static string QuarterName(DateOnly start) => $"{start.Year}-Q{(start.Month - 1) / 3 + 1}";

    /// <summary>The last instant of a local calendar day: a date-only deadline is met until the day ends.</summary>
    internal DateTimeOffset EndOfDay(DateOnly date) => TrainingClock.StartOfDay(date.AddDays(1), Zone).AddSeconds(-1);

    private DateTimeOffset Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone);

    internal static string TypeName(string type) => type switch
    {
        RequestTypes.AutomatedDecisionReview => "automated-decision review",
        _ => type,
    };
}
