using Microsoft.EntityFrameworkCore;

namespace Dataward.Breaches;

/// <summary>A suspected or confirmed personal data breach (accountability.md §1.9). Every one stays in the register,
/// notified or not (Art. 33(5), ACC005): there is no delete. Lists and decisions are JSON documents; the affected
/// people's contact list, when recorded, is personal data and kept encrypted.</summary>
public sealed class Breach
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Reference { get; set; }
    public int Year { get; set; }
    public int Sequence { get; set; }
    public required string Title { get; set; }
    public required string Description { get; set; }
    public required string ReportedBy { get; set; }
    public DateTimeOffset ReportedAt { get; set; }
    public DateTimeOffset? OccurredAt { get; set; }
    public DateTimeOffset DiscoveredAt { get; set; }
    public string? HowDiscovered { get; set; }
    public string Systems { get; set; } = "[]";
    public string DataCategories { get; set; } = "[]";
    public string SubjectCategories { get; set; } = "[]";
    public string BreachTypes { get; set; } = "[]";
    public int? ApproximateSubjects { get; set; }
    public int? ApproximateRecords { get; set; }
    public string? Containment { get; set; }
    public required string Status { get; set; }
    public bool? IsBreach { get; set; }
    public string? TriageReason { get; set; }
    public string? TriagedBy { get; set; }
    public DateTimeOffset? TriagedAt { get; set; }
    public DateTimeOffset? AwareAt { get; set; }
    public DateTimeOffset? ProcessorNotifiedControllerAt { get; set; }
    public DateTimeOffset? IcoDeadline { get; set; }
    /// <summary>The ENISA assessment as JSON (<see cref="Domain.Breaches.Severity"/>).</summary>
    public string? Severity { get; set; }
    public string? RiskLevel { get; set; }
    public string? RiskReason { get; set; }
    public string? AssessedBy { get; set; }
    public DateTimeOffset? AssessedAt { get; set; }
    public string? LikelyConsequences { get; set; }
    public string? Measures { get; set; }
    public string? AdviceToPeople { get; set; }
    public string? CausedByCyberIncident { get; set; }
    /// <summary>JSON <see cref="IcoDecision"/>.</summary>
    public string? IcoDecision { get; set; }
    /// <summary>JSON <see cref="IndividualsDecision"/>.</summary>
    public string? IndividualsDecision { get; set; }
    /// <summary>JSON list of <see cref="IcoNotification"/>.</summary>
    public string IcoNotifications { get; set; } = "[]";
    /// <summary>JSON list of <see cref="Communication"/>.</summary>
    public string Communications { get; set; } = "[]";
    /// <summary>The affected people's names and addresses as encrypted JSON, when known.</summary>
    public string? AffectedPeopleEncrypted { get; set; }
    public int AffectedPeopleCount { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public string? ClosedBy { get; set; }
    public string? LessonsLearned { get; set; }
    public int Version { get; set; }
}

/// <summary>A follow-up action: who does what by when; done, or waived with a reason (ACC010).</summary>
public sealed class BreachAction
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid BreachId { get; set; }
    public required string Description { get; set; }
    public required string Owner { get; set; }
    public DateTimeOffset DueAt { get; set; }
    public DateTimeOffset? DoneAt { get; set; }
    public string? WaivedReason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One step in a breach's history, shown to staff; summaries carry no personal data.</summary>
public sealed class BreachEvent
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid BreachId { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>Orders the events of one moment as they were written: the UTC ticks of <see cref="At"/>, raised past the
    /// last position this process gave (several steps of one change share their time).</summary>
    public long Position { get; set; }

    public required string Actor { get; set; }
    public required string Kind { get; set; }
    public required string Summary { get; set; }

    private static long lastPosition;

    public static long NextPosition(DateTimeOffset at)
    {
        while (true)
        {
            var last = Interlocked.Read(ref lastPosition);
            var next = Math.Max(last + 1, at.UtcTicks);
            if (Interlocked.CompareExchange(ref lastPosition, next, last) == last)
            {
                return next;
            }
        }
    }
}

/// <summary>Whether the ICO is told, why, who decided and when (ACC004, ACC006).</summary>
public sealed record IcoDecision(bool Notify, string Reason, string DecidedBy, DateTimeOffset DecidedAt);

/// <summary>Whether the people affected are told, why, the Art. 34(3) exception relied on (ACC007).</summary>
public sealed record IndividualsDecision(bool Notify, string Reason, string? Art34Exception, string? PublicCommunication, string DecidedBy,
    DateTimeOffset DecidedAt);

/// <summary>A report sent to the ICO: the first or a follow-up, with the ICO's case reference and reasons for delay (ACC003).</summary>
public sealed record IcoNotification(string Type, DateTimeOffset SentAt, string? CaseReference, string? LateReason, bool Late, string RecordedBy);

/// <summary>A communication to the people affected: when, how, to how many.</summary>
public sealed record Communication(DateTimeOffset SentAt, string Channel, int Recipients, string SentBy);

internal static class BreachConfiguration
{
    public static void Configure(ModelBuilder builder)
    {
        builder.Entity<Breach>(e =>
        {
            e.ToTable("breaches");
            e.HasKey(b => b.Id);
            e.Property(b => b.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(b => b.Reference).HasColumnName("reference").HasMaxLength(20);
            e.Property(b => b.Year).HasColumnName("year");
            e.Property(b => b.Sequence).HasColumnName("sequence");
            e.Property(b => b.Title).HasColumnName("title").HasMaxLength(200);
            e.Property(b => b.Description).HasColumnName("description");
            e.Property(b => b.ReportedBy).HasColumnName("reported_by").HasMaxLength(120);
            e.Property(b => b.ReportedAt).HasColumnName("reported_at");
            e.Property(b => b.OccurredAt).HasColumnName("occurred_at");
            e.Property(b => b.DiscoveredAt).HasColumnName("discovered_at");
            e.Property(b => b.HowDiscovered).HasColumnName("how_discovered").HasMaxLength(2000);
            e.Property(b => b.Systems).HasColumnName("systems");
            e.Property(b => b.DataCategories).HasColumnName("data_categories");
            e.Property(b => b.SubjectCategories).HasColumnName("subject_categories");
            e.Property(b => b.BreachTypes).HasColumnName("breach_types");
            e.Property(b => b.ApproximateSubjects).HasColumnName("approximate_subjects");
            e.Property(b => b.ApproximateRecords).HasColumnName("approximate_records");
            e.Property(b => b.Containment).HasColumnName("containment");
            e.Property(b => b.Status).HasColumnName("status").HasMaxLength(20);
            e.Property(b => b.IsBreach).HasColumnName("is_breach");
            e.Property(b => b.TriageReason).HasColumnName("triage_reason");
            e.Property(b => b.TriagedBy).HasColumnName("triaged_by").HasMaxLength(120);
            e.Property(b => b.TriagedAt).HasColumnName("triaged_at");
            e.Property(b => b.AwareAt).HasColumnName("aware_at");
            e.Property(b => b.ProcessorNotifiedControllerAt).HasColumnName("processor_notified_controller_at");
            e.Property(b => b.IcoDeadline).HasColumnName("ico_deadline");
            e.Property(b => b.Severity).HasColumnName("severity");
            e.Property(b => b.RiskLevel).HasColumnName("risk_level").HasMaxLength(20);
            e.Property(b => b.RiskReason).HasColumnName("risk_reason");
            e.Property(b => b.AssessedBy).HasColumnName("assessed_by").HasMaxLength(120);
            e.Property(b => b.AssessedAt).HasColumnName("assessed_at");
            e.Property(b => b.LikelyConsequences).HasColumnName("likely_consequences");
            e.Property(b => b.Measures).HasColumnName("measures");
            e.Property(b => b.AdviceToPeople).HasColumnName("advice_to_people");
            e.Property(b => b.CausedByCyberIncident).HasColumnName("caused_by_cyber_incident").HasMaxLength(10);
            e.Property(b => b.IcoDecision).HasColumnName("ico_decision");
            e.Property(b => b.IndividualsDecision).HasColumnName("individuals_decision");
            e.Property(b => b.IcoNotifications).HasColumnName("ico_notifications");
            e.Property(b => b.Communications).HasColumnName("communications");
            e.Property(b => b.AffectedPeopleEncrypted).HasColumnName("affected_people_encrypted");
            e.Property(b => b.AffectedPeopleCount).HasColumnName("affected_people_count");
            e.Property(b => b.ClosedAt).HasColumnName("closed_at");
            e.Property(b => b.ClosedBy).HasColumnName("closed_by").HasMaxLength(120);
            e.Property(b => b.LessonsLearned).HasColumnName("lessons_learned");
            e.Property(b => b.Version).HasColumnName("version").IsConcurrencyToken();
            e.HasIndex(b => b.Reference).IsUnique();
            e.HasIndex(b => new { b.Year, b.Sequence }).IsUnique();
            e.HasIndex(b => new { b.Status, b.IcoDeadline });
        });
        builder.Entity<BreachAction>(e =>
        {
            e.ToTable("breach_actions");
            e.HasKey(a => a.Id);
            e.Property(a => a.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(a => a.BreachId).HasColumnName("breach_id");
            e.Property(a => a.Description).HasColumnName("description").HasMaxLength(2000);
            e.Property(a => a.Owner).HasColumnName("owner").HasMaxLength(200);
            e.Property(a => a.DueAt).HasColumnName("due_at");
            e.Property(a => a.DoneAt).HasColumnName("done_at");
            e.Property(a => a.WaivedReason).HasColumnName("waived_reason").HasMaxLength(2000);
            e.Property(a => a.CreatedAt).HasColumnName("created_at");
            e.HasIndex(a => a.BreachId);
            e.HasOne<Breach>().WithMany().HasForeignKey(a => a.BreachId).OnDelete(DeleteBehavior.Restrict);
        });
        builder.Entity<BreachEvent>(e =>
        {
            e.ToTable("breach_events");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(x => x.BreachId).HasColumnName("breach_id");
            e.Property(x => x.At).HasColumnName("at");
            e.Property(x => x.Position).HasColumnName("position");
            e.Property(x => x.Actor).HasColumnName("actor").HasMaxLength(120);
            e.Property(x => x.Kind).HasColumnName("kind").HasMaxLength(40);
            e.Property(x => x.Summary).HasColumnName("summary").HasMaxLength(2000);
            e.HasIndex(x => new { x.BreachId, x.At });
            e.HasOne<Breach>().WithMany().HasForeignKey(x => x.BreachId).OnDelete(DeleteBehavior.Restrict);
        });
    }
}
