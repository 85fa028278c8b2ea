using Microsoft.EntityFrameworkCore;

namespace Dataward.Consent;

/// <summary>A purpose people consent to (CNS002): its key never changes; with events it can only be retired.</summary>
public sealed class ConsentPurposeRecord
{
    public required string Key { get; set; }
    public required string Title { get; set; }
    public required string Description { get; set; }
    /// <summary>Ids of the register activities that rely on this consent, as JSON.</summary>
    public string Activities { get; set; } = "[]";
    public bool Explicit { get; set; }
    public bool Sensitive { get; set; }
    public bool Children { get; set; }
    public bool SaleOrSharing { get; set; }
    public bool DirectMarketing { get; set; }
    public int? RefreshAfterDays { get; set; }
    public bool Retired { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One consent event, append-only (CNS005). The subject is kept only as a keyed hash (for lookups) and
/// encrypted (for authorised display), never in clear.</summary>
public sealed class ConsentEvent
{
    public Guid EventId { get; set; } = Guid.CreateVersion7();
    public required string SubjectHash { get; set; }
    /// <summary>Null once the person's data is erased: the hash stays as proof and suppression (CNS024).</summary>
    public string? SubjectEncrypted { get; set; }
    public required string Purpose { get; set; }
    public required string Action { get; set; }
    public string? NoticeVersion { get; set; }
    public required string Method { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    /// <summary>The evidence as JSON: form, wording shown, language, pre-checked flag, document reference.</summary>
    public required string Evidence { get; set; }
    /// <summary><c>subject</c>, <c>staff:{id}</c>, <c>token:{id}</c> or <c>system:gpc</c>.</summary>
    public required string Actor { get; set; }
    /// <summary>The hash of this event's entry in the audit trail, so the receipt is anchored in the chain.</summary>
    public required string AuditHash { get; set; }
    /// <summary>How this event moved the count of people consenting to the purpose: +1, -1 or 0 (for the chart).</summary>
    public int CountChange { get; set; }
    /// <summary>Children purposes (CNS016): the age the person gave and the threshold applied at the time.</summary>
    public int? Age { get; set; }
    public int? AgeThreshold { get; set; }
    /// <summary>On a parent's confirmation: the child's pending event it confirms.</summary>
    public Guid? ParentalConfirmationId { get; set; }
    /// <summary>The parent's address the confirmation link went to, encrypted; dropped on erasure like the subject.</summary>
    public string? ParentEncrypted { get; set; }
}

/// <summary>The current state of one subject's consent to one purpose, updated in the same transaction as each
/// event, so a check is one lookup by primary key (CNS012).</summary>
public sealed class ConsentStateRecord
{
    public required string SubjectHash { get; set; }
    public required string Purpose { get; set; }
    public required string LatestAction { get; set; }
    public Guid EventId { get; set; }
    public string? NoticeVersion { get; set; }
    public bool EverGiven { get; set; }
    public DateTimeOffset? GivenAt { get; set; }
    /// <summary>A child's consent waiting for a parent's confirmation (CNS016).</summary>
    public bool PendingParent { get; set; }
    /// <summary>Given under a notice since changed substantially for this purpose (CNS018).</summary>
    public bool RenewalRequired { get; set; }
    /// <summary>When a renewal-required consent stops counting, if the DPO set a date.</summary>
    public DateTimeOffset? RenewBy { get; set; }
    /// <summary>When a child who consented through a parent reaches the threshold age and should confirm it (CNS016).</summary>
    public DateTimeOffset? RefreshDueAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A person asked to renew consent after a substantial notice change (CNS018), and whether they did.</summary>
public sealed class ConsentRenewalRecord
{
    public int NoticeVersion { get; set; }
    public required string Purpose { get; set; }
    public required string SubjectHash { get; set; }
    public DateTimeOffset RequestedAt { get; set; }
    public DateTimeOffset? RenewedAt { get; set; }
}

/// <summary>Someone who objected to or withdrew from a purpose and must not be re-added by an import (consent.md §4,
/// CNS020): the keyed hash only.</summary>
public sealed class ConsentSuppressionRecord
{
    public required string SubjectHash { get; set; }
    public required string Purpose { get; set; }
    /// <summary><c>objection</c> (Art. 21 direct marketing) or <c>withdrawal</c>.</summary>
    public required string Reason { get; set; }
    public Guid EventId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal static class ConsentConfiguration
{
    public static void Configure(ModelBuilder builder)
    {
        builder.Entity<ConsentPurposeRecord>(e =>
        {
            e.ToTable("consent_purposes");
            e.HasKey(p => p.Key);
            e.Property(p => p.Key).HasColumnName("key").HasMaxLength(64);
            e.Property(p => p.Title).HasColumnName("title").HasMaxLength(200);
            e.Property(p => p.Description).HasColumnName("description").HasMaxLength(4000);
            e.Property(p => p.Activities).HasColumnName("activities");
            e.Property(p => p.Explicit).HasColumnName("explicit");
            e.Property(p => p.Sensitive).HasColumnName("sensitive");
            e.Property(p => p.Children).HasColumnName("children");
            e.Property(p => p.SaleOrSharing).HasColumnName("sale_or_sharing");
            e.Property(p => p.DirectMarketing).HasColumnName("direct_marketing");
            e.Property(p => p.RefreshAfterDays).HasColumnName("refresh_after_days");
            e.Property(p => p.Retired).HasColumnName("retired");
            e.Property(p => p.CreatedAt).HasColumnName("created_at");
            e.Property(p => p.UpdatedAt).HasColumnName("updated_at");
        });
        builder.Entity<ConsentEvent>(e =>
        {
            e.ToTable("consent_events");
            e.HasKey(c => c.EventId);
            e.Property(c => c.EventId).HasColumnName("event_id").ValueGeneratedNever();
            e.Property(c => c.SubjectHash).HasColumnName("subject_hash").HasMaxLength(64);
            e.Property(c => c.SubjectEncrypted).HasColumnName("subject_encrypted").HasMaxLength(1000);
            e.Property(c => c.Purpose).HasColumnName("purpose").HasMaxLength(64);
            e.Property(c => c.Action).HasColumnName("action").HasMaxLength(20);
            e.Property(c => c.NoticeVersion).HasColumnName("notice_version").HasMaxLength(40);
            e.Property(c => c.Method).HasColumnName("method").HasMaxLength(40);
            e.Property(c => c.OccurredAt).HasColumnName("occurred_at");
            e.Property(c => c.RecordedAt).HasColumnName("recorded_at");
            e.Property(c => c.Evidence).HasColumnName("evidence");
            e.Property(c => c.Actor).HasColumnName("actor").HasMaxLength(120);
            e.Property(c => c.AuditHash).HasColumnName("audit_hash").HasMaxLength(64);
            e.Property(c => c.CountChange).HasColumnName("count_change");
            e.Property(c => c.Age).HasColumnName("age");
            e.Property(c => c.AgeThreshold).HasColumnName("age_threshold");
            e.Property(c => c.ParentalConfirmationId).HasColumnName("parental_confirmation_id");
            e.Property(c => c.ParentEncrypted).HasColumnName("parent_encrypted").HasMaxLength(1000);
            e.HasIndex(c => new { c.Purpose, c.OccurredAt });
            e.HasIndex(c => new { c.SubjectHash, c.Purpose });
        });
        builder.Entity<ConsentStateRecord>(e =>
        {
            e.ToTable("consent_states");
            e.HasKey(s => new { s.SubjectHash, s.Purpose });
            e.Property(s => s.SubjectHash).HasColumnName("subject_hash").HasMaxLength(64);
            e.Property(s => s.Purpose).HasColumnName("purpose").HasMaxLength(64);
            e.Property(s => s.LatestAction).HasColumnName("latest_action").HasMaxLength(20);
            e.Property(s => s.EventId).HasColumnName("event_id");
            e.Property(s => s.NoticeVersion).HasColumnName("notice_version").HasMaxLength(40);
            e.Property(s => s.EverGiven).HasColumnName("ever_given");
            e.Property(s => s.GivenAt).HasColumnName("given_at");
            e.Property(s => s.PendingParent).HasColumnName("pending_parent");
            e.Property(s => s.RenewalRequired).HasColumnName("renewal_required");
            e.Property(s => s.RenewBy).HasColumnName("renew_by");
            e.Property(s => s.RefreshDueAt).HasColumnName("refresh_due_at");
            e.Property(s => s.UpdatedAt).HasColumnName("updated_at");
        });
        builder.Entity<ConsentRenewalRecord>(e =>
        {
            e.ToTable("consent_renewals");
            e.HasKey(r => new { r.NoticeVersion, r.Purpose, r.SubjectHash });
            e.Property(r => r.NoticeVersion).HasColumnName("notice_version");
            e.Property(r => r.Purpose).HasColumnName("purpose").HasMaxLength(64);
            e.Property(r => r.SubjectHash).HasColumnName("subject_hash").HasMaxLength(64);
            e.Property(r => r.RequestedAt).HasColumnName("requested_at");
            e.Property(r => r.RenewedAt).HasColumnName("renewed_at");
            e.HasIndex(r => new { r.SubjectHash, r.Purpose });
        });
        builder.Entity<ConsentSuppressionRecord>(e =>
        {
            e.ToTable("consent_suppressions");
            e.HasKey(r => new { r.SubjectHash, r.Purpose });
            e.Property(r => r.SubjectHash).HasColumnName("subject_hash").HasMaxLength(64);
            e.Property(r => r.Purpose).HasColumnName("purpose").HasMaxLength(64);
            e.Property(r => r.Reason).HasColumnName("reason").HasMaxLength(20);
            e.Property(r => r.EventId).HasColumnName("event_id");
            e.Property(r => r.CreatedAt).HasColumnName("created_at");
        });
    }
}
