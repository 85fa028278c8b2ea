using Microsoft.EntityFrameworkCore;

namespace Dataward.Platform.Email;

/// <summary>A message waiting to be sent, written in the same transaction as the change that caused it, so a crash
/// neither loses it nor sends it for a change that rolled back.</summary>
public sealed class OutboxMessage
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>The recipient, encrypted with the key ring (purpose <c>email.to</c>).</summary>
    public required string To { get; set; }
    public required string Subject { get; set; }
    /// <summary>The text, encrypted with the key ring (purpose <c>email.body</c>); see <see cref="EmailOutbox.BodyOf"/>.</summary>
    public required string Body { get; set; }
    /// <summary>What the message is about, for the logs and the audit trail (never the address).</summary>
    public required string Purpose { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }

    internal static void Configure(ModelBuilder builder) => builder.Entity<OutboxMessage>(e =>
    {
        e.ToTable("email_outbox");
        e.HasKey(m => m.Id);
        e.Property(m => m.Id).HasColumnName("id").ValueGeneratedNever();
        e.Property(m => m.To).HasColumnName("to_address").HasMaxLength(1000);
        e.Property(m => m.Subject).HasColumnName("subject").HasMaxLength(300);
        e.Property(m => m.Body).HasColumnName("body");
        e.Property(m => m.Purpose).HasColumnName("purpose").HasMaxLength(100);
        e.Property(m => m.CreatedAt).HasColumnName("created_at");
        e.Property(m => m.NextAttemptAt).HasColumnName("next_attempt_at");
        e.Property(m => m.SentAt).HasColumnName("sent_at");
        e.Property(m => m.Attempts).HasColumnName("attempts");
        e.Property(m => m.LastError).HasColumnName("last_error").HasMaxLength(1000);
        e.HasIndex(m => new { m.SentAt, m.NextAttemptAt });
    });
}
