using Microsoft.EntityFrameworkCore;

namespace Dataward.Requests;

/// <summary>The organisation's erasure policy, one row: rules and exemptions as JSON (see <see cref="ErasurePolicyDocument"/>).
/// No row means the default policy (every <c>user.*</c> category masked to fit its column, nothing exempt).</summary>
public sealed class ErasurePolicyRecord
{
    public int Id { get; set; } = 1;
    public required string Document { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
    public int Version { get; set; }
}

/// <summary>The durable execution of an approved erasure (DSR016): the policy and masking secrets fixed at approval,
/// the engine's progress after every change, and why the last attempt stopped. The progress holds primary-key values
/// and the secrets decide masked values, so both are kept encrypted.</summary>
public sealed class RequestExecution
{
    public Guid RequestId { get; set; }
    /// <summary><see cref="ExecutionStatus"/>.</summary>
    public required string Status { get; set; }
    /// <summary>The <see cref="ErasurePolicyDocument"/> approved, as JSON: a resumed run masks by the same rules.</summary>
    public required string PolicyDocument { get; set; }
    public required string SecretsEncrypted { get; set; }
    public string? ProgressEncrypted { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    /// <summary>While a run holds the execution; a run that died leaves it to expire, and the next one resumes.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    /// <summary>What the reply and the staff page show once complete: proofs summary, kept fields, without values.</summary>
    public string? Summary { get; set; }
    public int Version { get; set; }
}

public static class ExecutionStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    /// <summary>Stopped by an error (a connection that dropped, a store that does not match its dataset); retried.</summary>
    public const string Paused = "paused";
    public const string Completed = "completed";
}

/// <summary>A recipient the person's data was disclosed to, listed for notification of a rectification, erasure or
/// restriction (Art. 19, DSR017), and what became of the notification.</summary>
public sealed class RequestRecipient
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid RequestId { get; set; }
    public required string Name { get; set; }
    public required string Kind { get; set; }
    public string? Country { get; set; }
    /// <summary>The register activities that disclose to it, comma-separated.</summary>
    public required string Activities { get; set; }
    public DateTimeOffset ListedAt { get; set; }
    /// <summary><c>notified</c>, <c>impossible</c> or <c>disproportionate</c> (Art. 19); null while open.</summary>
    public string? Outcome { get; set; }
    public string? Note { get; set; }
    public DateTimeOffset? RecordedAt { get; set; }
    public string? RecordedBy { get; set; }
}

/// <summary>A restriction of processing (Art. 18, DSR021): the subject by keyed hash, the processing named, from when,
/// and when it was lifted after the person was told.</summary>
public sealed class RestrictionRecord
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string SubjectHash { get; set; }
    public Guid RequestId { get; set; }
    public required string Processing { get; set; }
    /// <summary>Art. 18(1) ground: <c>accuracy</c>, <c>unlawful</c>, <c>legal_claims</c> or <c>objection</c>.</summary>
    public required string Ground { get; set; }
    public DateTimeOffset From { get; set; }
    public DateTimeOffset? LiftNoticeSentAt { get; set; }
    public DateTimeOffset? LiftedAt { get; set; }
}

internal static class RequestExecutionConfiguration
{
    public static void Configure(ModelBuilder builder)
    {
        builder.Entity<ErasurePolicyRecord>(e =>
        {
            e.ToTable("erasure_policy");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(x => x.Document).HasColumnName("document");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.Property(x => x.UpdatedBy).HasColumnName("updated_by").HasMaxLength(120);
            e.Property(x => x.Version).HasColumnName("version").IsConcurrencyToken();
        });
        builder.Entity<RequestExecution>(e =>
        {
            e.ToTable("request_executions");
            e.HasKey(x => x.RequestId);
            e.Property(x => x.RequestId).HasColumnName("request_id").ValueGeneratedNever();
            e.Property(x => x.Status).HasColumnName("status").HasMaxLength(20);
            e.Property(x => x.PolicyDocument).HasColumnName("policy_document");
            e.Property(x => x.SecretsEncrypted).HasColumnName("secrets_encrypted");
            e.Property(x => x.ProgressEncrypted).HasColumnName("progress_encrypted");
            e.Property(x => x.Attempts).HasColumnName("attempts");
            e.Property(x => x.LastError).HasColumnName("last_error").HasMaxLength(2000);
            e.Property(x => x.NextAttemptAt).HasColumnName("next_attempt_at");
            e.Property(x => x.LeaseUntil).HasColumnName("lease_until");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.Property(x => x.CompletedAt).HasColumnName("completed_at");
            e.Property(x => x.Summary).HasColumnName("summary");
            e.Property(x => x.Version).HasColumnName("version").IsConcurrencyToken();
            e.HasIndex(x => new { x.Status, x.NextAttemptAt });
            e.HasOne<SubjectRequest>().WithOne().HasForeignKey<RequestExecution>(x => x.RequestId).OnDelete(DeleteBehavior.Restrict);
        });
        builder.Entity<RequestRecipient>(e =>
        {
            e.ToTable("request_recipients");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(x => x.RequestId).HasColumnName("request_id");
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(200);
            e.Property(x => x.Kind).HasColumnName("kind").HasMaxLength(40);
            e.Property(x => x.Country).HasColumnName("country").HasMaxLength(60);
            e.Property(x => x.Activities).HasColumnName("activities").HasMaxLength(4000);
            e.Property(x => x.ListedAt).HasColumnName("listed_at");
            e.Property(x => x.Outcome).HasColumnName("outcome").HasMaxLength(20);
            e.Property(x => x.Note).HasColumnName("note").HasMaxLength(2000);
            e.Property(x => x.RecordedAt).HasColumnName("recorded_at");
            e.Property(x => x.RecordedBy).HasColumnName("recorded_by").HasMaxLength(120);
            e.HasIndex(x => new { x.RequestId, x.Name }).IsUnique();
            e.HasOne<SubjectRequest>().WithMany().HasForeignKey(x => x.RequestId).OnDelete(DeleteBehavior.Restrict);
        });
        builder.Entity<RestrictionRecord>(e =>
        {
            e.ToTable("restrictions");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(x => x.SubjectHash).HasColumnName("subject_hash").HasMaxLength(64);
            e.Property(x => x.RequestId).HasColumnName("request_id");
            e.Property(x => x.Processing).HasColumnName("processing").HasMaxLength(500);
            e.Property(x => x.Ground).HasColumnName("ground").HasMaxLength(20);
            e.Property(x => x.From).HasColumnName("from_at");
            e.Property(x => x.LiftNoticeSentAt).HasColumnName("lift_notice_sent_at");
            e.Property(x => x.LiftedAt).HasColumnName("lifted_at");
            e.HasIndex(x => new { x.SubjectHash, x.LiftedAt });
            e.HasOne<SubjectRequest>().WithMany().HasForeignKey(x => x.RequestId).OnDelete(DeleteBehavior.Restrict);
        });
    }
}
