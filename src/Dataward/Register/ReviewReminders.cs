using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Domain.Register;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Register;

/// <summary>Remembers that the DPO was told about one review date of one activity, so nobody is told twice.</summary>
public sealed class ReviewReminder
{
    public Guid ActivityId { get; set; }
    public DateTimeOffset DueAt { get; set; }
    public DateTimeOffset SentAt { get; set; }

    internal static void Configure(ModelBuilder builder) => builder.Entity<ReviewReminder>(e =>
    {
        e.ToTable("register_review_reminders");
        e.HasKey(r => new { r.ActivityId, r.DueAt });
        e.Property(r => r.ActivityId).HasColumnName("activity_id");
        e.Property(r => r.DueAt).HasColumnName("due_at");
        e.Property(r => r.SentAt).HasColumnName("sent_at");
    });
}

/// <summary>P1: tells the DPO by e-mail which active activities are overdue for their 6-monthly review or due within
/// <see cref="NoticeDays"/> days. One digest per run, each activity and due date mentioned once ever.</summary>
public sealed class ReviewReminders(DatawardDbContext db, RegisterService register, EmailOutbox outbox, UserManager<StaffUser> users,
    AuditTrail audit, TimeProvider time)
{
    public const int NoticeDays = 14;

    /// <summary>Queues the digest (with the reminders' records, in one transaction); returns how many activities it names.</summary>
    public async Task<int> QueueDueAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var due = (await register.ListAsync(new ActivityFilter(Status: ActivityStatus.Active), cancellationToken))
            .Where(a => a.ReviewDueAt <= now.AddDays(NoticeDays)).ToList();
        if (due.Count == 0)
        {
            return 0;
        }
        var ids = due.Select(a => a.Id).ToList();
        var told = (await db.Set<ReviewReminder>().Where(r => ids.Contains(r.ActivityId)).ToListAsync(cancellationToken))
            .Select(r => (r.ActivityId, r.DueAt)).ToHashSet();
        var fresh = due.Where(a => !told.Contains((a.Id, a.ReviewDueAt))).OrderBy(a => a.ReviewDueAt).ToList();
        var recipients = await RecipientsAsync(cancellationToken);
        if (fresh.Count == 0 || recipients.Count == 0)
        {
            return 0;
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var activity in fresh)
        {
            db.Add(new ReviewReminder { ActivityId = activity.Id, DueAt = activity.ReviewDueAt, SentAt = now });
        }
        var body = new StringBuilder("These processing activities need the DPO's review (policy: every active activity at least every 6 months):\n\n");
        foreach (var activity in fresh)
        {
            body.Append(CultureInfo.InvariantCulture, $"- {activity.Name}: {(activity.Overdue ? "OVERDUE since" : "due")} {activity.ReviewDueAt:yyyy-MM-dd}\n");
        }
        body.Append("\nSign off each review on its page in the register (Register > activity > Sign off review).\n");
        var subject = $"Register review: {fresh.Count(a => a.Overdue)} overdue, {fresh.Count(a => !a.Overdue)} due soon";
        foreach (var recipient in recipients)
        {
            outbox.Enqueue(recipient, subject, body.ToString(), "register.review_reminder");
        }
        await audit.RecordAsync(AuditActor.System, "register.review_reminder_queued", "register",
            new JsonObject { ["activities"] = fresh.Count, ["recipients"] = recipients.Count }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return fresh.Count;
    }

    // The DPO named in the organisation record; failing that, every account with the DPO role.
    private async Task<IReadOnlyList<string>> RecipientsAsync(CancellationToken cancellationToken)
    {
        var organisation = await register.OrganisationAsync(cancellationToken);
        if (organisation.Dpo?.Email is { Length: > 0 } email)
        {
            return [email];
        }
        return (await users.GetUsersInRoleAsync(StaffRoles.DataProtectionOfficer)).Select(u => u.Email).OfType<string>().Order().ToList();
    }
}

/// <summary>Runs <see cref="ReviewReminders"/> every few hours while <c>serve</c> runs; several instances are safe
/// because each reminder is recorded by activity and due date.</summary>
public sealed class ReviewReminderJob(IServiceScopeFactory scopes, TimeProvider time, ILogger<ReviewReminderJob> logger)
    : Platform.Jobs.PeriodicJob(scopes, time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromHours(6);

    protected override Task RunAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<ReviewReminders>().QueueDueAsync(cancellationToken);
}
