using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Domain.Training;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Register;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Training;

/// <summary>What one run of the reminders did.</summary>
public sealed record TrainingReminderRun(int People, int Items, int InductionMeetings);

/// <summary>ACC015: e-mails each member of staff before a required course expires (<c>Training:DueSoonDays</c>) and
/// once it is overdue, and the DPO about new starters whose induction meeting is overdue. Each person, item, due date
/// and threshold is reminded once ever (<see cref="TrainingReminder"/>), so running it again sends nothing new, and a
/// renewed completion is reminded afresh when it nears its own expiry.</summary>
public sealed class TrainingReminders(DatawardDbContext db, TrainingService training, RegisterService register, EmailOutbox outbox, AuditTrail audit,
    TimeProvider time)
{
    public const string DueSoon = "dueSoon";
    public const string Overdue = "overdue";
    public const string InductionItem = "induction";

    /// <summary>Adds every account as tracked staff first, then queues what is due; returns what it named.</summary>
    public async Task<TrainingReminderRun> QueueDueAsync(CancellationToken cancellationToken = default)
    {
        await training.SyncAccountsAsync(AuditActor.System, cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await QueueOnceAsync(cancellationToken);
            }
            catch (DbUpdateException e) when (attempt < 3 && DatabaseErrors.IsUniqueViolation(e))
            {
                // Another instance reminded some of the same people at the same moment: look again, without them.
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task<TrainingReminderRun> QueueOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var today = TrainingClock.LocalDate(now, training.Zone);
        var staff = (await training.StandingsAsync(null, cancellationToken)).Where(s => !TrainingService.HasLeft(s.LeftOn, today)).ToList();
        var sent = (await db.Set<TrainingReminder>().AsNoTracking().ToListAsync(cancellationToken))
            .Select(r => (r.StaffId, r.Item, r.DueAt, r.Threshold)).ToHashSet();
        var fresh = new List<(StaffTraining Person, CourseStanding Course, string Threshold)>();
        foreach (var person in staff)
        {
            foreach (var course in person.Courses.Where(c => c.Required && c.DueAt is not null))
            {
                var threshold = course.State switch
                {
                    TrainingStates.Overdue => Overdue,
                    TrainingStates.DueSoon => DueSoon,
                    _ => null,
                };
                if (threshold is not null && !sent.Contains((person.Id, course.CourseId.ToString(), course.DueAt!.Value, threshold)))
                {
                    fresh.Add((person, course, threshold));
                }
            }
        }
        var meetings = staff.Where(s => s.InductionMeeting.State == InductionStates.Overdue
                                        && !sent.Contains((s.Id, InductionItem, DueByInstant(s.InductionMeeting.DueBy), Overdue)))
            .OrderBy(s => s.InductionMeeting.DueBy).ThenBy(s => s.Name, StringComparer.OrdinalIgnoreCase).ToList();
        var dpo = meetings.Count == 0 ? [] : await DpoAddressesAsync(cancellationToken);
        if (dpo.Count == 0)
        {
            // Nobody to tell yet: the meetings are named once a DPO address or account exists.
            meetings = [];
        }
        if (fresh.Count == 0 && meetings.Count == 0)
        {
            return new TrainingReminderRun(0, 0, 0);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var people = fresh.GroupBy(f => f.Person.Id).ToList();
        foreach (var group in people)
        {
            var person = group.First().Person;
            foreach (var (_, course, threshold) in group)
            {
                db.Add(new TrainingReminder { StaffId = person.Id, Item = course.CourseId.ToString(), DueAt = course.DueAt!.Value, Threshold = threshold, SentAt = now });
            }
            var overdue = group.Count(g => g.Threshold == Overdue);
            outbox.Enqueue(person.Email, $"Data protection training: {overdue} overdue, {group.Count() - overdue} due soon", PersonBody(person, group.ToList()),
                "training.reminder");
        }
        if (meetings.Count > 0)
        {
            foreach (var person in meetings)
            {
                db.Add(new TrainingReminder { StaffId = person.Id, Item = InductionItem, DueAt = DueByInstant(person.InductionMeeting.DueBy), Threshold = Overdue, SentAt = now });
            }
            var body = new StringBuilder("These members of staff have not yet had their induction meeting with the data protection officer (policy §6.5):\n\n");
            foreach (var person in meetings)
            {
                body.Append(CultureInfo.InvariantCulture, $"- {person.Name}: started {person.StartDate:yyyy-MM-dd}, meeting due by {person.InductionMeeting.DueBy:yyyy-MM-dd}\n");
            }
            body.Append("\nRecord each meeting on the person's page under Training.\n");
            foreach (var address in dpo)
            {
                outbox.Enqueue(address, $"Induction meetings overdue: {meetings.Count}", body.ToString(), "training.induction_reminder");
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(AuditActor.System, "training.reminders_queued", "training-staff",
            new JsonObject { ["people"] = people.Count, ["items"] = fresh.Count, ["inductionMeetings"] = meetings.Count }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new TrainingReminderRun(people.Count, fresh.Count, meetings.Count);
    }

    private static DateTimeOffset DueByInstant(DateOnly dueBy) => new(dueBy.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private string PersonBody(StaffTraining person, IReadOnlyList<(StaffTraining Person, CourseStanding Course, string Threshold)> items)
    {
        var body = new StringBuilder().Append(CultureInfo.InvariantCulture, $"Dear {person.Name},\n\nYour data protection training needs attention:\n\n");
        foreach (var (_, course, threshold) in items.OrderByDescending(i => i.Threshold == Overdue).ThenBy(i => i.Course.Title, StringComparer.OrdinalIgnoreCase))
        {
            body.Append(CultureInfo.InvariantCulture, $"- {course.Title}: ");
            body.Append(threshold == DueSoon
                ? $"expires on {Long(course.ExpiresAt!.Value)}; please complete it again before then.\n"
                : course.ExpiresAt is { } expired
                    ? $"OVERDUE: it expired on {Long(expired)}; please complete it again now.\n"
                    : "OVERDUE: you have not completed it yet; please complete it now.\n");
        }
        body.Append("\nWhen you have finished, send the certificate or other evidence to your data protection officer, who records it.\n");
        return body.ToString();
    }

    private string Long(DateTimeOffset at) => TrainingClock.LocalDate(at, training.Zone).ToString("d MMMM yyyy", CultureInfo.InvariantCulture);

    // The DPO named in the organisation record, and every account with the DPO role.
    private async Task<IReadOnlyList<string>> DpoAddressesAsync(CancellationToken cancellationToken)
    {
        var addresses = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        if ((await register.OrganisationAsync(cancellationToken)).Dpo?.Email is { Length: > 0 } email)
        {
            addresses.Add(email);
        }
        foreach (var address in await (from user in db.Users
                                       join link in db.UserRoles on user.Id equals link.UserId
                                       join role in db.Roles on link.RoleId equals role.Id
                                       where role.Name == StaffRoles.DataProtectionOfficer && user.Email != null
                                       select user.Email!).ToListAsync(cancellationToken))
        {
            addresses.Add(address);
        }
        return [.. addresses];
    }
}

/// <summary>Runs <see cref="TrainingReminders"/> every six hours while <c>serve</c> runs; several instances are safe
/// because each reminder is recorded by person, item, due date and threshold.</summary>
public sealed class TrainingReminderJob(IServiceScopeFactory scopes, TimeProvider time, ILogger<TrainingReminderJob> logger)
    : Platform.Jobs.PeriodicJob(scopes, time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromHours(6);

    protected override Task RunAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<TrainingReminders>().QueueDueAsync(cancellationToken);
}
