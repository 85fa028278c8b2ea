using Microsoft.EntityFrameworkCore;

namespace Dataward.Portal;

/// <summary>A one-time code e-mailed to prove that a person controls an address (CNS019; data-subject requests reuse
/// it). Only the code's keyed hash is kept; it expires, counts wrong attempts and is used once.</summary>
public sealed class VerificationCode
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>What the code unlocks, e.g. <c>preference-centre</c>.</summary>
    public required string Purpose { get; set; }
    public required string SubjectHash { get; set; }
    public required string CodeHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public int FailedAttempts { get; set; }
    public DateTimeOffset? UsedAt { get; set; }

    internal static void Configure(ModelBuilder builder) => builder.Entity<VerificationCode>(e =>
    {
        e.ToTable("verification_codes");
        e.HasKey(c => c.Id);
        e.Property(c => c.Id).HasColumnName("id").ValueGeneratedNever();
        e.Property(c => c.Purpose).HasColumnName("purpose").HasMaxLength(40);
        e.Property(c => c.SubjectHash).HasColumnName("subject_hash").HasMaxLength(64);
        e.Property(c => c.CodeHash).HasColumnName("code_hash").HasMaxLength(64);
        e.Property(c => c.CreatedAt).HasColumnName("created_at");
        e.Property(c => c.ExpiresAt).HasColumnName("expires_at");
        e.Property(c => c.FailedAttempts).HasColumnName("failed_attempts");
        e.Property(c => c.UsedAt).HasColumnName("used_at");
        e.HasIndex(c => new { c.SubjectHash, c.Purpose });
    });
}
