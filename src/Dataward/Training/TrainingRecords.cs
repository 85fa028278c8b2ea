using Microsoft.EntityFrameworkCore;

namespace Dataward.Training;

/// <summary>A data-protection course (accountability.md §3.4): how long a completion counts, and whether everyone, or
/// only some departments or roles, must hold it.</summary>
public sealed class TrainingCourse
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Title { get; set; }
    public required string Kind { get; set; }
    /// <summary>Null: a completion never expires.</summary>
    public int? ValidityMonths { get; set; }
    public bool Mandatory { get; set; }
    /// <summary>JSON list of departments or Dataward roles; empty with <see cref="Mandatory"/>: all staff.</summary>
    public string RequiredFor { get; set; } = "[]";
    public DateTimeOffset CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
}

/// <summary>A member of staff whose training is tracked: from a staff account, a CSV import or entered by hand. The
/// name and e-mail address are personal data, kept encrypted; the keyed hash of the address finds the record.</summary>
public sealed class StaffMember
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string NameEncrypted { get; set; }
    public required string EmailEncrypted { get; set; }
    public required string EmailHash { get; set; }
    public DateOnly StartDate { get; set; }
    public string? Department { get; set; }
    /// <summary>The staff account with the same address, when there is one.</summary>
    public Guid? UserId { get; set; }
    /// <summary><c>account</c>, <c>import</c> or <c>manual</c>.</summary>
    public required string Source { get; set; }
    /// <summary>The last working day of someone who left: no longer listed or reminded.</summary>
    public DateOnly? LeftOn { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public int Version { get; set; }
}

/// <summary>One completed course with its evidence; <see cref="ExpiresAt"/> is fixed when it is recorded (ACC015).</summary>
public sealed class TrainingCompletion
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid StaffId { get; set; }
    public Guid CourseId { get; set; }
    public DateTimeOffset CompletedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public required string Evidence { get; set; }
    public required string RecordedBy { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}

/// <summary>The DPO's induction meeting with a new starter (policy §6.5); the notes are encrypted.</summary>
public sealed class InductionMeeting
{
    public Guid StaffId { get; set; }
    public DateTimeOffset MetAt { get; set; }
    /// <summary>The DPO (or administrator) who recorded meeting the person.</summary>
    public required string Dpo { get; set; }
    public string? NotesEncrypted { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}

/// <summary>Remembers that a reminder went out for one item of one person at one threshold (ACC015), so nobody is
/// reminded twice. <see cref="Item"/> is a course id or <c>induction</c>; <see cref="DueAt"/> is the expiry (or the
/// moment the course became due), so a renewed completion is reminded afresh.</summary>
public sealed class TrainingReminder
{
    public Guid StaffId { get; set; }
    public required string Item { get; set; }
    public DateTimeOffset DueAt { get; set; }
    public required string Threshold { get; set; }
    public DateTimeOffset SentAt { get; set; }
}

internal static class TrainingConfiguration
{
    public static void Configure(ModelBuilder builder)
    {
        builder.Entity<TrainingCourse>(e =>
        {
            e.ToTable("training_courses");
            e.HasKey(c => c.Id);
            e.Property(c => c.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(c => c.Title).HasColumnName("title").HasMaxLength(200);
            e.Property(c => c.Kind).HasColumnName("kind").HasMaxLength(20);
            e.Property(c => c.ValidityMonths).HasColumnName("validity_months");
            e.Property(c => c.Mandatory).HasColumnName("mandatory");
            e.Property(c => c.RequiredFor).HasColumnName("required_for");
            e.Property(c => c.CreatedAt).HasColumnName("created_at");
            e.Property(c => c.CreatedBy).HasColumnName("created_by").HasMaxLength(120);
            e.HasIndex(c => c.Title).IsUnique();
        });
        builder.Entity<StaffMember>(e =>
        {
            e.ToTable("training_staff");
            e.HasKey(s => s.Id);
            e.Property(s => s.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(s => s.NameEncrypted).HasColumnName("name_encrypted").HasMaxLength(1000);
            e.Property(s => s.EmailEncrypted).HasColumnName("email_encrypted").HasMaxLength(1000);
            e.Property(s => s.EmailHash).HasColumnName("email_hash").HasMaxLength(64);
            e.Property(s => s.StartDate).HasColumnName("start_date");
            e.Property(s => s.Department).HasColumnName("department").HasMaxLength(100);
            e.Property(s => s.UserId).HasColumnName("user_id");
            e.Property(s => s.Source).HasColumnName("source").HasMaxLength(20);
            e.Property(s => s.LeftOn).HasColumnName("left_on");
            e.Property(s => s.CreatedAt).HasColumnName("created_at");
            e.Property(s => s.UpdatedAt).HasColumnName("updated_at");
            e.Property(s => s.Version).HasColumnName("version").IsConcurrencyToken();
            e.HasIndex(s => s.EmailHash).IsUnique();
            e.HasIndex(s => s.UserId);
        });
        builder.Entity<TrainingCompletion>(e =>
        {
            e.ToTable("training_completions");
            e.HasKey(c => c.Id);
            e.Property(c => c.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(c => c.StaffId).HasColumnName("staff_id");
            e.Property(c => c.CourseId).HasColumnName("course_id");
            e.Property(c => c.CompletedAt).HasColumnName("completed_at");
            e.Property(c => c.ExpiresAt).HasColumnName("expires_at");
            e.Property(c => c.Evidence).HasColumnName("evidence").HasMaxLength(2000);
            e.Property(c => c.RecordedBy).HasColumnName("recorded_by").HasMaxLength(120);
            e.Property(c => c.RecordedAt).HasColumnName("recorded_at");
            e.HasIndex(c => new { c.StaffId, c.CourseId });
            e.HasIndex(c => c.CourseId);
            e.HasOne<StaffMember>().WithMany().HasForeignKey(c => c.StaffId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<TrainingCourse>().WithMany().HasForeignKey(c => c.CourseId).OnDelete(DeleteBehavior.Restrict);
        });
        builder.Entity<InductionMeeting>(e =>
        {
            e.ToTable("training_induction_meetings");
            e.HasKey(m => m.StaffId);
            e.Property(m => m.StaffId).HasColumnName("staff_id").ValueGeneratedNever();
            e.Property(m => m.MetAt).HasColumnName("met_at");
            e.Property(m => m.Dpo).HasColumnName("dpo").HasMaxLength(120);
            e.Property(m => m.NotesEncrypted).HasColumnName("notes_encrypted");
            e.Property(m => m.RecordedAt).HasColumnName("recorded_at");
            e.HasOne<StaffMember>().WithOne().HasForeignKey<InductionMeeting>(m => m.StaffId).OnDelete(DeleteBehavior.Restrict);
        });
        builder.Entity<TrainingReminder>(e =>
        {
            e.ToTable("training_reminders");
            e.HasKey(r => new { r.StaffId, r.Item, r.DueAt, r.Threshold });
            e.Property(r => r.StaffId).HasColumnName("staff_id");
            e.Property(r => r.Item).HasColumnName("item").HasMaxLength(40);
            e.Property(r => r.DueAt).HasColumnName("due_at");
            e.Property(r => r.Threshold).HasColumnName("threshold").HasMaxLength(20);
            e.Property(r => r.SentAt).HasColumnName("sent_at");
            e.HasOne<StaffMember>().WithMany().HasForeignKey(r => r.StaffId).OnDelete(DeleteBehavior.Restrict);
        });
    }
}
