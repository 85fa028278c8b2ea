using Microsoft.EntityFrameworkCore;

namespace Dataward.Dpias;

/// <summary>One DPIA screening of a processing activity (accountability.md §2.2, ACC011). Screenings are kept as a
/// history; the newest one is what the register shows.</summary>
public sealed class DpiaScreeningRecord
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ActivityId { get; set; }
    /// <summary>The activity's name when screened, so the record reads on its own if the activity is renamed.</summary>
    public required string ActivityName { get; set; }
    public string Criteria { get; set; } = "[]";
    public string Art35Cases { get; set; } = "[]";
    public string IcoList { get; set; } = "[]";
    public bool DpiaRequired { get; set; }
    /// <summary>JSON list of the sentences that explain the result, as they were when screened.</summary>
    public string Reasons { get; set; } = "[]";
    public string? Notes { get; set; }
    public required string ScreenedBy { get; set; }
    public DateTimeOffset ScreenedAt { get; set; }
}

/// <summary>A data protection impact assessment of one processing activity (§2.3-§2.5). Sections, risks, the DPO's
/// advice, the sign-off and the prior consultation are JSON documents read whole; the columns beside them are what
/// lists and the register query. Nothing is deleted: a signed-off DPIA is the record of the decision.</summary>
public sealed class DpiaRecord
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Reference { get; set; }
    public int Year { get; set; }
    public int Sequence { get; set; }
    public Guid ActivityId { get; set; }
    public required string ActivityName { get; set; }
    public Guid? ScreeningId { get; set; }
    public required string Title { get; set; }
    public required string Status { get; set; }
    public string? Need { get; set; }
    /// <summary>JSON <see cref="DpiaDescription"/>.</summary>
    public string Description { get; set; } = "{}";
    public string? Consultation { get; set; }
    /// <summary>JSON <see cref="NecessityAndProportionality"/>.</summary>
    public string Necessity { get; set; } = "{}";
    /// <summary>JSON list of <see cref="DpiaRisk"/>.</summary>
    public string Risks { get; set; } = "[]";
    /// <summary>The highest residual level among the risks (low, medium, high), null until one is rated.</summary>
    public string? ResidualRisk { get; set; }
    /// <summary>JSON <see cref="DpoAdvice"/>.</summary>
    public string? DpoAdvice { get; set; }
    /// <summary>JSON <see cref="DpiaSignOff"/>.</summary>
    public string? SignOff { get; set; }
    public DateTimeOffset? NextReviewAt { get; set; }
    /// <summary>JSON list of <see cref="DpiaReview"/>.</summary>
    public string Reviews { get; set; } = "[]";
    /// <summary>JSON <see cref="PriorConsultation"/>.</summary>
    public string? PriorConsultation { get; set; }
    /// <summary>When the ICO's advice is due, while the consultation's clock runs (null before submission, while
    /// suspended and once the advice arrived).</summary>
    public DateTimeOffset? AdviceDueAt { get; set; }
    /// <summary>ACC013: the activity must not start processing (a prior consultation awaits the ICO's advice, or the
    /// ICO advised against it).</summary>
    public bool ProcessingOnHold { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public int Version { get; set; } = 1;
}

/// <summary>One step in a DPIA's history, shown to staff.</summary>
public sealed class DpiaEvent
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid DpiaId { get; set; }
    /// <summary>0, 1, 2... within the DPIA: several steps of one change share an instant and keep their order.</summary>
    public int Sequence { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Actor { get; set; }
    public required string Kind { get; set; }
    public required string Summary { get; set; }
}

/// <summary>ICO template step 2: the nature, scope, context and purposes of the processing (Art. 35(7)(a)).</summary>
public sealed record DpiaDescription(string? Nature = null, string? Scope = null, string? Context = null, string? Purposes = null);

/// <summary>ICO template step 4 (Art. 35(7)(b)): lawful basis, whether the processing achieves the purpose and no
/// less intrusive way would, minimisation, data quality, information to people, their rights, processors, transfers.</summary>
public sealed record NecessityAndProportionality(string? LawfulBasis = null, string? Necessity = null, string? Minimisation = null,
    string? Quality = null, string? Information = null, string? Rights = null, string? Processors = null, string? Transfers = null);

/// <summary>A risk to people as stored: its rating before and after the measures on the fixed matrix (ACC012).</summary>
public sealed record DpiaRisk(Guid Id, string Description, string Likelihood, string Severity, IReadOnlyList<string> Measures, string? Effect,
    string? ResidualLikelihood, string? ResidualSeverity, bool MeasuresApproved);

/// <summary>The DPO's advice (Art. 35(2)): what they said, who, when, and the version of the DPIA it was given on.</summary>
public sealed record DpoAdvice(string Advice, string GivenBy, DateTimeOffset GivenAt, int OnVersion);

/// <summary>ICO template step 7: who approved the measures and residual risks, the DPO's advice accepted or overruled
/// (with reasons, ACC012), who keeps the DPIA under review, who signed and when.</summary>
public sealed record DpiaSignOff(string MeasuresApprovedBy, string ResidualRisksApprovedBy, bool AdviceAccepted, string? OverruleReason,
    string? ConsultationResponsesReviewedBy, string KeptUnderReviewBy, bool HighResidualRiskAccepted, string SignedBy, DateTimeOffset SignedAt);

/// <summary>A review of a signed-off DPIA (Art. 35(11)), and when the next is due.</summary>
public sealed record DpiaReview(DateTimeOffset ReviewedAt, string ReviewedBy, string? Notes, DateTimeOffset NextReviewAt);

/// <summary>A period when the ICO's clock stood still, waiting for information it asked for (Art. 36(2)).</summary>
public sealed record ConsultationSuspension(DateTimeOffset From, DateTimeOffset? Until, string Reason, int Days);

/// <summary>The prior consultation with the ICO (Art. 36, ACC013), opened when a residual high risk is accepted at
/// sign-off; its dates drive the clock of §2.5.</summary>
public sealed record PriorConsultation(DateTimeOffset OpenedAt, DateTimeOffset? SubmittedAt = null, DateTimeOffset? ReceivedByAuthorityAt = null,
    string? IcoReference = null, IReadOnlyList<ConsultationSuspension>? Suspensions = null, DateTimeOffset? ExtendedAt = null,
    string? ExtensionReason = null, DateTimeOffset? AdviceReceivedAt = null, string? AdviceSummary = null, string? AdviceOutcome = null);

internal static class DpiaConfiguration
{
    public static void Configure(ModelBuilder builder)
    {
        builder.Entity<DpiaScreeningRecord>(e =>
        {
            e.ToTable("dpia_screenings");
            e.HasKey(s => s.Id);
            e.Property(s => s.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(s => s.ActivityId).HasColumnName("activity_id");
            e.Property(s => s.ActivityName).HasColumnName("activity_name").HasMaxLength(200);
            e.Property(s => s.Criteria).HasColumnName("criteria");
            e.Property(s => s.Art35Cases).HasColumnName("art35_cases");
            e.Property(s => s.IcoList).HasColumnName("ico_list");
            e.Property(s => s.DpiaRequired).HasColumnName("dpia_required");
            e.Property(s => s.Reasons).HasColumnName("reasons");
            e.Property(s => s.Notes).HasColumnName("notes");
            e.Property(s => s.ScreenedBy).HasColumnName("screened_by").HasMaxLength(120);
            e.Property(s => s.ScreenedAt).HasColumnName("screened_at");
            e.HasIndex(s => new { s.ActivityId, s.ScreenedAt });
        });
        builder.Entity<DpiaRecord>(e =>
        {
            e.ToTable("dpias");
            e.HasKey(d => d.Id);
            e.Property(d => d.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(d => d.Reference).HasColumnName("reference").HasMaxLength(20);
            e.Property(d => d.Year).HasColumnName("year");
            e.Property(d => d.Sequence).HasColumnName("sequence");
            e.Property(d => d.ActivityId).HasColumnName("activity_id");
            e.Property(d => d.ActivityName).HasColumnName("activity_name").HasMaxLength(200);
            e.Property(d => d.ScreeningId).HasColumnName("screening_id");
            e.Property(d => d.Title).HasColumnName("title").HasMaxLength(200);
            e.Property(d => d.Status).HasColumnName("status").HasMaxLength(20);
            e.Property(d => d.Need).HasColumnName("need");
            e.Property(d => d.Description).HasColumnName("description");
            e.Property(d => d.Consultation).HasColumnName("consultation");
            e.Property(d => d.Necessity).HasColumnName("necessity");
            e.Property(d => d.Risks).HasColumnName("risks");
            e.Property(d => d.ResidualRisk).HasColumnName("residual_risk").HasMaxLength(10);
            e.Property(d => d.DpoAdvice).HasColumnName("dpo_advice");
            e.Property(d => d.SignOff).HasColumnName("sign_off");
            e.Property(d => d.NextReviewAt).HasColumnName("next_review_at");
            e.Property(d => d.Reviews).HasColumnName("reviews");
            e.Property(d => d.PriorConsultation).HasColumnName("prior_consultation");
            e.Property(d => d.AdviceDueAt).HasColumnName("advice_due_at");
            e.Property(d => d.ProcessingOnHold).HasColumnName("processing_on_hold");
            e.Property(d => d.CreatedBy).HasColumnName("created_by").HasMaxLength(120);
            e.Property(d => d.CreatedAt).HasColumnName("created_at");
            e.Property(d => d.UpdatedAt).HasColumnName("updated_at");
            e.Property(d => d.Version).HasColumnName("version").IsConcurrencyToken();
            e.HasIndex(d => d.Reference).IsUnique();
            e.HasIndex(d => new { d.Year, d.Sequence }).IsUnique();
            e.HasIndex(d => d.ActivityId);
            e.HasIndex(d => d.Status);
            e.HasOne<DpiaScreeningRecord>().WithMany().HasForeignKey(d => d.ScreeningId).OnDelete(DeleteBehavior.Restrict);
        });
        builder.Entity<DpiaEvent>(e =>
        {
            e.ToTable("dpia_events");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(x => x.DpiaId).HasColumnName("dpia_id");
            e.Property(x => x.Sequence).HasColumnName("sequence");
            e.Property(x => x.At).HasColumnName("at");
            e.Property(x => x.Actor).HasColumnName("actor").HasMaxLength(120);
            e.Property(x => x.Kind).HasColumnName("kind").HasMaxLength(40);
            e.Property(x => x.Summary).HasColumnName("summary").HasMaxLength(2000);
            e.HasIndex(x => new { x.DpiaId, x.Sequence });
            e.HasOne<DpiaRecord>().WithMany().HasForeignKey(x => x.DpiaId).OnDelete(DeleteBehavior.Restrict);
        });
    }
}
