using Microsoft.EntityFrameworkCore;

namespace Dataward.Retention;

/// <summary>One entry of the retention schedule (minimisation.md §2.1): which rows a sweep looks at, the date they count
/// from, how long they are kept, what happens then and why.</summary>
public sealed class RetentionRuleRecord
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    /// <summary>A data category key; with no category or activity the rule covers the collection's own categories.</summary>
    public string? Category { get; set; }
    public Guid? ActivityId { get; set; }
    public required string Dataset { get; set; }
    public required string Collection { get; set; }
    public required string TriggerField { get; set; }
    public string? TriggerEvent { get; set; }
    /// <summary>An ISO 8601 duration as written (P6Y).</summary>
    public required string Period { get; set; }
    public required string Action { get; set; }
    public required string Reason { get; set; }
    public string? LegalReference { get; set; }
    public string? Owner { get; set; }
    /// <summary>A cron expression (UTC) for the background sweep, or null to sweep only when asked.</summary>
    public string? Schedule { get; set; }
    /// <summary>When the background job next sweeps this rule; claimed by moving it forward.</summary>
    public DateTimeOffset? NextRunAt { get; set; }
    public required string Status { get; set; }
    /// <summary>1 on creation, +1 on every change; sweeps record it (MIN005).</summary>
    public int Version { get; set; } = 1;
    /// <summary>The version a dry run last covered: a sweep applies the rule only after one (MIN002).</summary>
    public int? DryRunVersion { get; set; }
    /// <summary>True once a sweep has applied the rule: it is then retired, never deleted.</summary>
    public bool Applied { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? LastReviewedAt { get; set; }
    public string? LastReviewedBy { get; set; }
}

/// <summary>Remembers that the DPOs were told about one review date of one rule (MIN006), so nobody is told twice.</summary>
public sealed class RetentionReviewReminder
{
    public Guid RuleId { get; set; }
    public DateTimeOffset DueAt { get; set; }
    public DateTimeOffset SentAt { get; set; }
}

/// <summary>A legal hold (§2.4, Art. 17(3)(e)): the rows of one person are kept, whatever the schedule says, until the
/// hold ends or is released. The identity is personal data: encrypted, with a keyed hash to find duplicates.</summary>
public sealed class LegalHold
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>The identity type the datasets know the person by (email, phone_number, ...).</summary>
    public required string IdentityKind { get; set; }
    public required string IdentityHash { get; set; }
    public required string IdentityEncrypted { get; set; }
    public string? MatterRef { get; set; }
    public required string Reason { get; set; }
    public DateTimeOffset? Until { get; set; }
    public required string PlacedBy { get; set; }
    public DateTimeOffset PlacedAt { get; set; }
    public string? ReleasedBy { get; set; }
    public DateTimeOffset? ReleasedAt { get; set; }
    public string? ReleaseReason { get; set; }
}

/// <summary>One run over the schedule (or over the erasure ledger, for a replay): dry or applying, who asked, and where it
/// stands. A paused sweep resumes from each rule's checkpoint.</summary>
public sealed class RetentionSweep
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary><c>sweep</c>, or <c>replay</c> (re-applying recorded erasures after a restore, MIN008).</summary>
    public required string Kind { get; set; }
    public bool DryRun { get; set; }
    /// <summary>How it was started: <c>api</c>, <c>ui</c>, <c>cli</c> or <c>schedule</c>.</summary>
    public required string Trigger { get; set; }
    public required string Actor { get; set; }
    public required string Status { get; set; }
    /// <summary>The instant rows are judged against: fixed at the start, so a resumed sweep judges the same rows.</summary>
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    public int Attempts { get; set; }
    public string? Error { get; set; }
}

/// <summary>One rule's part of a sweep: the rule as it was (id, version, snapshot), the counts (MIN005, no personal
/// values) and the checkpoint: the last key done (encrypted) and the fingerprints of a batch about to be applied.</summary>
public sealed class RetentionSweepRule
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid SweepId { get; set; }
    public Guid RuleId { get; set; }
    public int RuleVersion { get; set; }
    public required string RuleName { get; set; }
    /// <summary>The rule as JSON when the sweep started.</summary>
    public required string RuleDocument { get; set; }
    public required string Dataset { get; set; }
    public required string Collection { get; set; }
    public required string Action { get; set; }
    public required string Status { get; set; }
    public string? Note { get; set; }
    public string? CursorEncrypted { get; set; }
    /// <summary>Keyed fingerprint of each row of the batch being applied, to its keyed digest of the new values.</summary>
    public string? Pending { get; set; }
    public long Matched { get; set; }
    public long Changed { get; set; }
    public long Untriggered { get; set; }
    public long SkippedLegalHold { get; set; }
    public long SkippedPendingRequest { get; set; }
    public long SkippedAlreadyErased { get; set; }
    public long SkippedUnreadable { get; set; }
    public long Failed { get; set; }
    public int Batches { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Error { get; set; }
}

/// <summary>The rows one batch of a sweep erased or anonymised (MIN008): keyed fingerprints of their primary keys,
/// never the keys, so the change can be applied again after a backup is restored. One row per batch, its fingerprints
/// (the first 16 bytes of each HMAC) side by side in one binary value: a ledger row per erased row, with a unique index
/// keyed by a hash, cost more than the erasure itself (docs/benchmarks.md, retention sweeps).</summary>
public sealed class RetentionErasureBatch
{
    public const int FingerprintBytes = 16;
    /// <summary><see cref="Fingerprints"/> holds the rows' keyed fingerprints, 16 bytes each (keys that are not a single integer).</summary>
    public const string FingerprintFormat = "fingerprints";
    /// <summary><see cref="Fingerprints"/> holds the rows' integer keys, delta-encoded and encrypted under the key ring.</summary>
    public const string KeyFormat = "keys";

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid RuleId { get; set; }
    public Guid SweepId { get; set; }
    public required string Dataset { get; set; }
    public required string Collection { get; set; }
    /// <summary><c>deleted</c>, <c>masked</c> or <c>anonymised</c>.</summary>
    public required string Action { get; set; }
    /// <summary>True when the rows were erased again: by a replay, or by a sweep meeting rows a restore brought back.</summary>
    public bool Replay { get; set; }
    public int Rows { get; set; }
    /// <summary>The rows, as <see cref="Format"/> says.</summary>
    public required byte[] Fingerprints { get; set; }
    public string Format { get; set; } = FingerprintFormat;
    public DateTimeOffset AppliedAt { get; set; }
}

public static class SweepStatus
{
    public const string Running = "running";
    public const string Paused = "paused";
    public const string Completed = "completed";
    public const string Pending = "pending";
    /// <summary>A rule the sweep left alone (e.g. no dry run of its current version yet, MIN002).</summary>
    public const string Skipped = "skipped";
}

internal static class RetentionConfiguration
{
    public static void Configure(ModelBuilder builder)
    {
        builder.Entity<RetentionRuleRecord>(e =>
        {
            e.ToTable("retention_rules");
            e.HasKey(r => r.Id);
            e.Property(r => r.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(r => r.Name).HasColumnName("name").HasMaxLength(200);
            e.HasIndex(r => r.Name).IsUnique();
            e.Property(r => r.Category).HasColumnName("category").HasMaxLength(200);
            e.Property(r => r.ActivityId).HasColumnName("activity_id");
            e.Property(r => r.Dataset).HasColumnName("dataset").HasMaxLength(200);
            e.Property(r => r.Collection).HasColumnName("collection").HasMaxLength(200);
            e.Property(r => r.TriggerField).HasColumnName("trigger_field").HasMaxLength(200);
            e.Property(r => r.TriggerEvent).HasColumnName("trigger_event").HasMaxLength(40);
            e.Property(r => r.Period).HasColumnName("period").HasMaxLength(40);
            e.Property(r => r.Action).HasColumnName("action").HasMaxLength(20);
            e.Property(r => r.Reason).HasColumnName("reason").HasMaxLength(2000);
            e.Property(r => r.LegalReference).HasColumnName("legal_reference").HasMaxLength(500);
            e.Property(r => r.Owner).HasColumnName("owner").HasMaxLength(200);
            e.Property(r => r.Schedule).HasColumnName("schedule").HasMaxLength(200);
            e.Property(r => r.NextRunAt).HasColumnName("next_run_at");
            e.Property(r => r.Status).HasColumnName("status").HasMaxLength(20);
            e.Property(r => r.Version).HasColumnName("version");
            e.Property(r => r.DryRunVersion).HasColumnName("dry_run_version");
            e.Property(r => r.Applied).HasColumnName("applied");
            e.Property(r => r.CreatedAt).HasColumnName("created_at");
            e.Property(r => r.CreatedBy).HasColumnName("created_by").HasMaxLength(200);
            e.Property(r => r.UpdatedAt).HasColumnName("updated_at");
            e.Property(r => r.LastReviewedAt).HasColumnName("last_reviewed_at");
            e.Property(r => r.LastReviewedBy).HasColumnName("last_reviewed_by").HasMaxLength(200);
        });
        builder.Entity<RetentionReviewReminder>(e =>
        {
            e.ToTable("retention_review_reminders");
            e.HasKey(r => new { r.RuleId, r.DueAt });
            e.Property(r => r.RuleId).HasColumnName("rule_id");
            e.Property(r => r.DueAt).HasColumnName("due_at");
            e.Property(r => r.SentAt).HasColumnName("sent_at");
        });
        builder.Entity<LegalHold>(e =>
        {
            e.ToTable("retention_legal_holds");
            e.HasKey(h => h.Id);
            e.Property(h => h.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(h => h.IdentityKind).HasColumnName("identity_kind").HasMaxLength(64);
            e.Property(h => h.IdentityHash).HasColumnName("identity_hash").HasMaxLength(64);
            e.HasIndex(h => h.IdentityHash);
            e.Property(h => h.IdentityEncrypted).HasColumnName("identity_encrypted");
            e.Property(h => h.MatterRef).HasColumnName("matter_ref").HasMaxLength(200);
            e.Property(h => h.Reason).HasColumnName("reason").HasMaxLength(2000);
            e.Property(h => h.Until).HasColumnName("until");
            e.Property(h => h.PlacedBy).HasColumnName("placed_by").HasMaxLength(200);
            e.Property(h => h.PlacedAt).HasColumnName("placed_at");
            e.Property(h => h.ReleasedBy).HasColumnName("released_by").HasMaxLength(200);
            e.Property(h => h.ReleasedAt).HasColumnName("released_at");
            e.Property(h => h.ReleaseReason).HasColumnName("release_reason").HasMaxLength(2000);
        });
        builder.Entity<RetentionSweep>(e =>
        {
            e.ToTable("retention_sweeps");
            e.HasKey(s => s.Id);
            e.Property(s => s.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(s => s.Kind).HasColumnName("kind").HasMaxLength(20);
            e.Property(s => s.DryRun).HasColumnName("dry_run");
            e.Property(s => s.Trigger).HasColumnName("trigger").HasMaxLength(20);
            e.Property(s => s.Actor).HasColumnName("actor").HasMaxLength(200);
            e.Property(s => s.Status).HasColumnName("status").HasMaxLength(20);
            e.Property(s => s.StartedAt).HasColumnName("started_at");
            e.Property(s => s.FinishedAt).HasColumnName("finished_at");
            e.Property(s => s.LeaseUntil).HasColumnName("lease_until");
            e.Property(s => s.NextAttemptAt).HasColumnName("next_attempt_at");
            e.Property(s => s.Attempts).HasColumnName("attempts");
            e.Property(s => s.Error).HasColumnName("error").HasMaxLength(2000);
            e.HasIndex(s => new { s.Status, s.NextAttemptAt });
            e.HasIndex(s => s.StartedAt);
        });
        builder.Entity<RetentionSweepRule>(e =>
        {
            e.ToTable("retention_sweep_rules");
            e.HasKey(s => s.Id);
            e.Property(s => s.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(s => s.SweepId).HasColumnName("sweep_id");
            e.HasIndex(s => s.SweepId);
            e.Property(s => s.RuleId).HasColumnName("rule_id");
            e.HasIndex(s => s.RuleId);
            e.Property(s => s.RuleVersion).HasColumnName("rule_version");
            e.Property(s => s.RuleName).HasColumnName("rule_name").HasMaxLength(200);
            e.Property(s => s.RuleDocument).HasColumnName("rule_document");
            e.Property(s => s.Dataset).HasColumnName("dataset").HasMaxLength(200);
            e.Property(s => s.Collection).HasColumnName("collection").HasMaxLength(200);
            e.Property(s => s.Action).HasColumnName("action").HasMaxLength(20);
            e.Property(s => s.Status).HasColumnName("status").HasMaxLength(20);
            e.Property(s => s.Note).HasColumnName("note").HasMaxLength(2000);
            e.Property(s => s.CursorEncrypted).HasColumnName("cursor_encrypted");
            e.Property(s => s.Pending).HasColumnName("pending");
            e.Property(s => s.Matched).HasColumnName("matched");
            e.Property(s => s.Changed).HasColumnName("changed");
            e.Property(s => s.Untriggered).HasColumnName("untriggered");
            e.Property(s => s.SkippedLegalHold).HasColumnName("skipped_legal_hold");
            e.Property(s => s.SkippedPendingRequest).HasColumnName("skipped_pending_request");
            e.Property(s => s.SkippedAlreadyErased).HasColumnName("skipped_already_erased");
            e.Property(s => s.SkippedUnreadable).HasColumnName("skipped_unreadable");
            e.Property(s => s.Failed).HasColumnName("failed");
            e.Property(s => s.Batches).HasColumnName("batches");
            e.Property(s => s.StartedAt).HasColumnName("started_at");
            e.Property(s => s.FinishedAt).HasColumnName("finished_at");
            e.Property(s => s.Error).HasColumnName("error").HasMaxLength(2000);
        });
        builder.Entity<RetentionErasureBatch>(e =>
        {
            e.ToTable("retention_erasure_batches");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(x => x.RuleId).HasColumnName("rule_id");
            e.HasIndex(x => x.RuleId);
            e.Property(x => x.SweepId).HasColumnName("sweep_id");
            e.Property(x => x.Dataset).HasColumnName("dataset").HasMaxLength(200);
            e.Property(x => x.Collection).HasColumnName("collection").HasMaxLength(200);
            e.Property(x => x.Action).HasColumnName("action").HasMaxLength(20);
            e.Property(x => x.Replay).HasColumnName("replay");
            e.Property(x => x.Rows).HasColumnName("rows");
            e.Property(x => x.Fingerprints).HasColumnName("fingerprints");
            e.Property(x => x.Format).HasColumnName("format").HasMaxLength(16).HasDefaultValue(RetentionErasureBatch.FingerprintFormat);
            e.Property(x => x.AppliedAt).HasColumnName("applied_at");
        });
    }
}
