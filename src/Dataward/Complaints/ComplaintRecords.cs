using Microsoft.EntityFrameworkCore;

namespace Dataward.Complaints;

/// <summary>A complaint about how the organisation handles personal data (accountability.md §4; DPA 2018 s. 164A).
/// Who complained, what about and the outcome are personal data, kept encrypted; the clocks and states are not.</summary>
public sealed class Complaint
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Reference { get; set; }
    public int Year { get; set; }
    public int Sequence { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public DateOnly ReceivedLocalDate { get; set; }
    public required string Channel { get; set; }
    /// <summary>The complainant's name, e-mail address, telephone and postal address as encrypted JSON.</summary>
    public required string ComplainantEncrypted { get; set; }
    public bool HasEmail { get; set; }
    public required string SubjectEncrypted { get; set; }
    public required string DetailsEncrypted { get; set; }
    public Guid? RelatedRequestId { get; set; }
    public Guid? RelatedBreachId { get; set; }
    public DateTimeOffset AckDueAt { get; set; }
    public DateTimeOffset ReplyDueAt { get; set; }
    public DateTimeOffset? AcknowledgedAt { get; set; }
    public string? AcknowledgedBy { get; set; }
    public string? AcknowledgementMethod { get; set; }
    public required string Status { get; set; }
    public string? Result { get; set; }
    /// <summary>The outcome as sent to the person (with the ICO wording), encrypted.</summary>
    public string? OutcomeEncrypted { get; set; }
    public DateTimeOffset? OutcomeSentAt { get; set; }
    public string? OutcomeMethod { get; set; }
    public string? RespondedBy { get; set; }
    /// <summary>ACC014: set only when the outcome sent carries the right to complain to the ICO, which it always does.</summary>
    public bool IcoRightMentioned { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public string? ClosedBy { get; set; }
    public string? ClosedReason { get; set; }
    public required string LoggedBy { get; set; }
    /// <summary>How many history entries the complaint has: the next one's position, so entries made in the same
    /// instant keep the order they happened in.</summary>
    public int EntryCount { get; set; }
    public int Version { get; set; }
}

/// <summary>One step in a complaint's history; <c>update</c> entries are the progress updates of s. 164A(4). The text
/// may quote the person, so it is encrypted.</summary>
public sealed class ComplaintUpdate
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ComplaintId { get; set; }
    public int Position { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Actor { get; set; }
    public required string Kind { get; set; }
    public required string TextEncrypted { get; set; }
    public bool SentToComplainant { get; set; }
}

internal static class ComplaintConfiguration
{
    public static void Configure(ModelBuilder builder)
    {
        builder.Entity<Complaint>(e =>
        {
            e.ToTable("complaints");
            e.HasKey(c => c.Id);
            e.Property(c => c.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(c => c.Reference).HasColumnName("reference").HasMaxLength(20);
            e.Property(c => c.Year).HasColumnName("year");
            e.Property(c => c.Sequence).HasColumnName("sequence");
            e.Property(c => c.ReceivedAt).HasColumnName("received_at");
            e.Property(c => c.ReceivedLocalDate).HasColumnName("received_local_date");
            e.Property(c => c.Channel).HasColumnName("channel").HasMaxLength(20);
            e.Property(c => c.ComplainantEncrypted).HasColumnName("complainant_encrypted");
            e.Property(c => c.HasEmail).HasColumnName("has_email");
            e.Property(c => c.SubjectEncrypted).HasColumnName("subject_encrypted");
            e.Property(c => c.DetailsEncrypted).HasColumnName("details_encrypted");
            e.Property(c => c.RelatedRequestId).HasColumnName("related_request_id");
            e.Property(c => c.RelatedBreachId).HasColumnName("related_breach_id");
            e.Property(c => c.AckDueAt).HasColumnName("ack_due_at");
            e.Property(c => c.ReplyDueAt).HasColumnName("reply_due_at");
            e.Property(c => c.AcknowledgedAt).HasColumnName("acknowledged_at");
            e.Property(c => c.AcknowledgedBy).HasColumnName("acknowledged_by").HasMaxLength(120);
            e.Property(c => c.AcknowledgementMethod).HasColumnName("acknowledgement_method").HasMaxLength(20);
            e.Property(c => c.Status).HasColumnName("status").HasMaxLength(20);
            e.Property(c => c.Result).HasColumnName("result").HasMaxLength(20);
            e.Property(c => c.OutcomeEncrypted).HasColumnName("outcome_encrypted");
            e.Property(c => c.OutcomeSentAt).HasColumnName("outcome_sent_at");
            e.Property(c => c.OutcomeMethod).HasColumnName("outcome_method").HasMaxLength(20);
            e.Property(c => c.RespondedBy).HasColumnName("responded_by").HasMaxLength(120);
            e.Property(c => c.IcoRightMentioned).HasColumnName("ico_right_mentioned");
            e.Property(c => c.ClosedAt).HasColumnName("closed_at");
            e.Property(c => c.ClosedBy).HasColumnName("closed_by").HasMaxLength(120);
            e.Property(c => c.ClosedReason).HasColumnName("closed_reason").HasMaxLength(2000);
            e.Property(c => c.LoggedBy).HasColumnName("logged_by").HasMaxLength(120);
            e.Property(c => c.EntryCount).HasColumnName("entry_count");
            e.Property(c => c.Version).HasColumnName("version").IsConcurrencyToken();
            e.HasIndex(c => c.Reference).IsUnique();
            e.HasIndex(c => new { c.Year, c.Sequence }).IsUnique();
            e.HasIndex(c => new { c.Status, c.AckDueAt });
            e.HasIndex(c => c.ReceivedLocalDate);
        });
        builder.Entity<ComplaintUpdate>(e =>
        {
            e.ToTable("complaint_updates");
            e.HasKey(u => u.Id);
            e.Property(u => u.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(u => u.ComplaintId).HasColumnName("complaint_id");
            e.Property(u => u.Position).HasColumnName("position");
            e.Property(u => u.At).HasColumnName("at");
            e.Property(u => u.Actor).HasColumnName("actor").HasMaxLength(120);
            e.Property(u => u.Kind).HasColumnName("kind").HasMaxLength(20);
            e.Property(u => u.TextEncrypted).HasColumnName("text_encrypted");
            e.Property(u => u.SentToComplainant).HasColumnName("sent_to_complainant");
            e.HasIndex(u => new { u.ComplaintId, u.Position }).IsUnique();
            e.HasOne<Complaint>().WithMany().HasForeignKey(u => u.ComplaintId).OnDelete(DeleteBehavior.Restrict);
        });
    }
}
