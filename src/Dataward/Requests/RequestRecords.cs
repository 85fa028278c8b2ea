using Microsoft.EntityFrameworkCore;

namespace Dataward.Requests;

/// <summary>A data-subject request (requests.md §6.2). The person's identities and words are personal data: kept
/// encrypted, with a keyed hash of the e-mail address for lookups.</summary>
public sealed class SubjectRequest
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Reference { get; set; }
    public int Year { get; set; }
    public int Sequence { get; set; }
    public required string Type { get; set; }
    public required string Channel { get; set; }
    public required string State { get; set; }
    /// <summary>The keyed hash of the e-mail identity (the consent ledger's), or of the first identity given.</summary>
    public required string SubjectHash { get; set; }
    /// <summary>The identities as encrypted JSON (<c>{"email": ..., "phone_number": ...}</c>).</summary>
    public required string IdentitiesEncrypted { get; set; }
    /// <summary>What the person asked, in their words, encrypted.</summary>
    public string? DetailsEncrypted { get; set; }
    /// <summary>An agent acting for the person (DSR009): who, and the authority shown, encrypted.</summary>
    public string? AgentEncrypted { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public DateOnly ReceivedLocalDate { get; set; }
    public DateOnly ClockStartDate { get; set; }
    public string? ClockPausedReason { get; set; }
    public DateOnly? ClockPausedOn { get; set; }
    public int ClockDaysCredited { get; set; }
    public DateOnly? DueDate { get; set; }
    public DateOnly? ExtendedDueDate { get; set; }
    public string? ExtensionReason { get; set; }
    public DateTimeOffset? ExtensionNoticeSentAt { get; set; }
    public DateTimeOffset? VerifiedAt { get; set; }
    public string? VerificationMethod { get; set; }
    public string? VerifiedBy { get; set; }
    public DateTimeOffset? ApprovedAt { get; set; }
    public string? ApprovedBy { get; set; }
    public string? RefusalGround { get; set; }
    public string? RefusalReason { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public DateTimeOffset? ResponseSentAt { get; set; }
    /// <summary>How the answer goes to the person (<see cref="Domain.Requests.ReplyChannels"/>, DSR024).</summary>
    public string ResponseChannel { get; set; } = Domain.Requests.ReplyChannels.Email;
    /// <summary>An answer that goes by post, phone or in person, encrypted: staff send it from the request page.</summary>
    public string? ReplyLetterEncrypted { get; set; }
    /// <summary>When the person entered the right code while other proof was still outstanding (DSR008, DSR009).</summary>
    public DateTimeOffset? CodeConfirmedAt { get; set; }
    /// <summary>DSR008: staff asked for more proof than the code; only a passing check recorded since will verify.</summary>
    public DateTimeOffset? ProofRequiredAt { get; set; }
    public string? ProofRequiredBy { get; set; }
    /// <summary>What was asked for and why, as told to the person.</summary>
    public string? ProofRequiredReason { get; set; }
    public int Version { get; set; }

    /// <summary>The date the answer is due by law now: the extended date once extended.</summary>
    public DateOnly? EffectiveDueDate => ExtendedDueDate ?? DueDate;
}

/// <summary>One step in a request's timeline, shown to staff; details never carry personal data (requests.md §6.3).</summary>
public sealed class SubjectRequestEvent
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid RequestId { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Actor { get; set; }
    public required string Kind { get; set; }
    public required string Summary { get; set; }
}

internal static class RequestConfiguration
{
    public static void Configure(ModelBuilder builder)
    {
        builder.Entity<SubjectRequest>(e =>
        {
            e.ToTable("requests");
            e.HasKey(r => r.Id);
            e.Property(r => r.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(r => r.Reference).HasColumnName("reference").HasMaxLength(20);
            e.Property(r => r.Year).HasColumnName("year");
            e.Property(r => r.Sequence).HasColumnName("sequence");
            e.Property(r => r.Type).HasColumnName("type").HasMaxLength(40);
            e.Property(r => r.Channel).HasColumnName("channel").HasMaxLength(20);
            e.Property(r => r.State).HasColumnName("state").HasMaxLength(30);
            e.Property(r => r.SubjectHash).HasColumnName("subject_hash").HasMaxLength(64);
            e.Property(r => r.IdentitiesEncrypted).HasColumnName("identities_encrypted");
            e.Property(r => r.DetailsEncrypted).HasColumnName("details_encrypted");
            e.Property(r => r.AgentEncrypted).HasColumnName("agent_encrypted");
            e.Property(r => r.ReceivedAt).HasColumnName("received_at");
            e.Property(r => r.ReceivedLocalDate).HasColumnName("received_local_date");
            e.Property(r => r.ClockStartDate).HasColumnName("clock_start_date");
            e.Property(r => r.ClockPausedReason).HasColumnName("clock_paused_reason").HasMaxLength(20);
            e.Property(r => r.ClockPausedOn).HasColumnName("clock_paused_on");
            e.Property(r => r.ClockDaysCredited).HasColumnName("clock_days_credited");
            e.Property(r => r.DueDate).HasColumnName("due_date");
            e.Property(r => r.ExtendedDueDate).HasColumnName("extended_due_date");
            e.Property(r => r.ExtensionReason).HasColumnName("extension_reason").HasMaxLength(2000);
            e.Property(r => r.ExtensionNoticeSentAt).HasColumnName("extension_notice_sent_at");
            e.Property(r => r.VerifiedAt).HasColumnName("verified_at");
            e.Property(r => r.VerificationMethod).HasColumnName("verification_method").HasMaxLength(500);
            e.Property(r => r.VerifiedBy).HasColumnName("verified_by").HasMaxLength(120);
            e.Property(r => r.ApprovedAt).HasColumnName("approved_at");
            e.Property(r => r.ApprovedBy).HasColumnName("approved_by").HasMaxLength(120);
            e.Property(r => r.RefusalGround).HasColumnName("refusal_ground").HasMaxLength(40);
            e.Property(r => r.RefusalReason).HasColumnName("refusal_reason").HasMaxLength(4000);
            e.Property(r => r.ClosedAt).HasColumnName("closed_at");
            e.Property(r => r.ResponseSentAt).HasColumnName("response_sent_at");
            e.Property(r => r.ResponseChannel).HasColumnName("response_channel").HasMaxLength(20).HasDefaultValue(Domain.Requests.ReplyChannels.Email);
            e.Property(r => r.ReplyLetterEncrypted).HasColumnName("reply_letter_encrypted");
            e.Property(r => r.CodeConfirmedAt).HasColumnName("code_confirmed_at");
            e.Property(r => r.ProofRequiredAt).HasColumnName("proof_required_at");
            e.Property(r => r.ProofRequiredBy).HasColumnName("proof_required_by").HasMaxLength(120);
            e.Property(r => r.ProofRequiredReason).HasColumnName("proof_required_reason").HasMaxLength(2000);
            e.Property(r => r.Version).HasColumnName("version").IsConcurrencyToken();
            e.Ignore(r => r.EffectiveDueDate);
            e.HasIndex(r => r.Reference).IsUnique();
            e.HasIndex(r => new { r.Year, r.Sequence }).IsUnique();
            e.HasIndex(r => new { r.State, r.DueDate });
            e.HasIndex(r => r.SubjectHash);
        });
        builder.Entity<SubjectRequestEvent>(e =>
        {
            e.ToTable("request_events");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(x => x.RequestId).HasColumnName("request_id");
            e.Property(x => x.At).HasColumnName("at");
            e.Property(x => x.Actor).HasColumnName("actor").HasMaxLength(120);
            e.Property(x => x.Kind).HasColumnName("kind").HasMaxLength(40);
            e.Property(x => x.Summary).HasColumnName("summary").HasMaxLength(2000);
            e.HasIndex(x => new { x.RequestId, x.At });
            e.HasOne<SubjectRequest>().WithMany().HasForeignKey(x => x.RequestId).OnDelete(DeleteBehavior.Restrict);
        });
        IdentityCheckRecord.Configure(builder);
    }
}
