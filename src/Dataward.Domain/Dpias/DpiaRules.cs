namespace Dataward.Domain.Dpias;

/// <summary>The life cycle of a DPIA: written (<c>draft</c>), advised on by the DPO (<c>awaitingSignOff</c>), signed off
/// either straight to <c>complete</c> or, with a residual high risk accepted, into a <c>priorConsultation</c> with the
/// ICO that completes when its advice arrives.</summary>
public static class DpiaStatuses
{
    public const string Draft = "draft";
    public const string AwaitingSignOff = "awaitingSignOff";
    public const string PriorConsultation = "priorConsultation";
    public const string Complete = "complete";

    public static readonly IReadOnlyList<string> All = [Draft, AwaitingSignOff, PriorConsultation, Complete];

    public static bool SignedOff(string status) => status is PriorConsultation or Complete;
}

/// <summary>Where a prior consultation with the ICO stands (Art. 36).</summary>
public static class ConsultationStatuses
{
    public const string ToSubmit = "toSubmit";
    public const string AwaitingAdvice = "awaitingAdvice";
    public const string Suspended = "suspended";
    public const string AdviceReceived = "adviceReceived";
}

/// <summary>What the ICO's written advice says of the processing (Art. 36(2)).</summary>
public static class IcoAdviceOutcomes
{
    public const string Proceed = "proceed";
    public const string ProceedWithChanges = "proceedWithChanges";
    public const string DoNotProceed = "doNotProceed";

    public static readonly IReadOnlyList<string> All = [Proceed, ProceedWithChanges, DoNotProceed];
}

/// <summary>Readable references: <c>DPIA-2026-0001</c>.</summary>
public static class DpiaReferences
{
    public static string Format(int year, int sequence) => $"DPIA-{year:D4}-{sequence:D4}";
}

/// <summary>A risk as the sign-off checks see it: its place in the list, whether measures or an accepted effect
/// address it, and its residual level once assessed.</summary>
public sealed record RiskReadiness(int Index, bool HasMeasures, string? Effect, string? ResidualLevel);

/// <summary>The DPIA as the sign-off checks see it (Art. 35(7) contents, the DPO's advice on this version).</summary>
public sealed record SignOffReadiness(string Status, bool HasNature, bool HasPurposes, bool HasNecessity, IReadOnlyList<RiskReadiness> Risks,
    int? AdviceOnVersion, int Version);

/// <summary>The sign-off as requested: the DPO's advice accepted or overruled with reasons, who approved the measures
/// and residual risks, who keeps the DPIA under review and when next.</summary>
public sealed record SignOffInput(bool? AdviceAccepted, string? OverruleReason, string? MeasuresApprovedBy, string? ResidualRisksApprovedBy,
    string? KeptUnderReviewBy, DateTimeOffset? NextReviewAt, bool AcceptHighResidualRisk);

/// <summary>ACC012 and ACC013: what a DPIA needs before sign-off, and the rules of its prior consultation.</summary>
public static class DpiaRules
{
    /// <summary>Clock skew tolerated before a time counts as "in the future".</summary>
    public static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    /// <summary>The highest residual level of the assessed risks, or null while none is assessed.</summary>
    public static string? ResidualRisk(IEnumerable<string?> residualLevels) =>
        residualLevels.Where(l => l is not null).OrderByDescending(DpiaRiskLevels.Rank).FirstOrDefault();

    /// <summary>ACC012: sign-off is refused without the DPO's advice on the version being signed (an edit after the advice
    /// needs the DPO to advise again), and until the Art. 35(7) contents are there: a description of the processing and
    /// its purposes, the necessity assessment, and risks each addressed by measures (or accepted) with a residual rating.
    /// All conflicts (409): the DPIA is not in a state to be signed.</summary>
    public static IEnumerable<Violation> ReadyForSignOff(SignOffReadiness dpia)
    {
        if (DpiaStatuses.SignedOff(dpia.Status))
        {
            yield return new Violation("status", "This DPIA is already signed off.");
            yield break;
        }
        if (dpia.AdviceOnVersion is null)
        {
            yield return new Violation("dpoAdvice", "Sign-off is refused without the DPO's advice: ask the DPO to advise on this DPIA first (Art. 35(2)).", "ACC012");
        }
        else if (dpia.AdviceOnVersion != dpia.Version)
        {
            yield return new Violation("dpoAdvice", $"The DPO advised on version {dpia.AdviceOnVersion}; the DPIA has changed since (version {dpia.Version}): ask the DPO to advise on this version.", "ACC012");
        }
        foreach (var missing in Missing(dpia))
        {
            yield return missing;
        }
    }

    /// <summary>What the DPIA still lacks before it can be signed off (Art. 35(7)(a)-(d), ACC012), for the editor and the checks.</summary>
    public static IEnumerable<Violation> Missing(SignOffReadiness dpia)
    {
        if (!dpia.HasNature)
        {
            yield return new Violation("description.nature", "Describe the nature of the processing (Art. 35(7)(a)).");
        }
        if (!dpia.HasPurposes)
        {
            yield return new Violation("description.purposes", "Describe the purposes of the processing (Art. 35(7)(a)).");
        }
        if (!dpia.HasNecessity)
        {
            yield return new Violation("necessityAndProportionality.necessity", "Assess the necessity and proportionality of the processing (Art. 35(7)(b)).");
        }
        if (dpia.Risks.Count == 0)
        {
            yield return new Violation("risks", "Identify the risks to people's rights and freedoms, each on the 3×3 matrix (Art. 35(7)(c)).", "ACC012");
        }
        foreach (var risk in dpia.Risks)
        {
            if (!risk.HasMeasures && risk.Effect != MeasureEffects.Accepted)
            {
                yield return new Violation($"risks[{risk.Index}].measures", "Record the measures against this risk, or its acceptance (Art. 35(7)(d)).");
            }
            if (risk.Effect is null)
            {
                yield return new Violation($"risks[{risk.Index}].effect", $"Say what the measures do to this risk: {string.Join(", ", MeasureEffects.All)}.");
            }
            if (risk.ResidualLevel is null)
            {
                yield return new Violation($"risks[{risk.Index}].residualLikelihood", "Rate the residual risk on the 3×3 matrix.", "ACC012");
            }
        }
    }

    /// <summary>ACC012, ACC013: the sign-off's own input. Overruling the DPO needs reasons; a residual high risk is
    /// accepted explicitly, knowing it opens a prior consultation.</summary>
    public static IEnumerable<Violation> SignOff(SignOffInput input, string? residualRisk, DateTimeOffset now)
    {
        if (input.AdviceAccepted is null)
        {
            yield return new Violation("adviceAccepted", "Say whether the DPO's advice is accepted (true) or overruled (false).", "ACC012");
        }
        if (input.AdviceAccepted == false && string.IsNullOrWhiteSpace(input.OverruleReason))
        {
            yield return new Violation("overruleReason", "The DPO's advice is overruled: record the reasons (ACC012).", "ACC012");
        }
        if (string.IsNullOrWhiteSpace(input.MeasuresApprovedBy))
        {
            yield return new Violation("measuresApprovedBy", "Name who approved the measures (name or position).");
        }
        if (string.IsNullOrWhiteSpace(input.ResidualRisksApprovedBy))
        {
            yield return new Violation("residualRisksApprovedBy", "Name who approved the residual risks (name or position).");
        }
        if (string.IsNullOrWhiteSpace(input.KeptUnderReviewBy))
        {
            yield return new Violation("keptUnderReviewBy", "Name who keeps this DPIA under review (Art. 35(11)).");
        }
        if (input.NextReviewAt is null)
        {
            yield return new Violation("nextReviewAt", "Set the date of the next review (Art. 35(11)).");
        }
        else if (input.NextReviewAt <= now)
        {
            yield return new Violation("nextReviewAt", "The next review is in the future.");
        }
        if (residualRisk == DpiaRiskLevels.High && !input.AcceptHighResidualRisk)
        {
            yield return new Violation("acceptHighResidualRisk",
                "A residual risk stays high: reduce it with further measures, or accept it explicitly, which opens a prior consultation with the ICO before processing starts (Art. 36(1)).", "ACC013");
        }
    }

    /// <summary>ACC013: the request reaches the ICO after it was sent, and neither lies in the future.</summary>
    public static IEnumerable<Violation> Submission(DateTimeOffset submittedAt, DateTimeOffset receivedAt, DateTimeOffset now)
    {
        if (submittedAt > now + Skew)
        {
            yield return new Violation("submittedAt", "The submission time is in the future.", "ACC013");
        }
        if (receivedAt > now + Skew)
        {
            yield return new Violation("receivedByAuthorityAt", "The time the ICO received the request is in the future.", "ACC013");
        }
        if (receivedAt < submittedAt)
        {
            yield return new Violation("receivedByAuthorityAt", "The ICO cannot receive the request before it was sent.", "ACC013");
        }
    }

    /// <summary>ACC013: an extension is once, by 6 weeks, with the ICO's reasons, told after receipt.</summary>
    public static IEnumerable<Violation> Extension(DateTimeOffset extendedAt, string? reason, DateTimeOffset receivedAt, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            yield return new Violation("reason", "An extension comes with the ICO's reasons (Art. 36(2)): record them.", "ACC013");
        }
        if (extendedAt > now + Skew)
        {
            yield return new Violation("extendedAt", "The extension time is in the future.", "ACC013");
        }
        if (extendedAt < receivedAt)
        {
            yield return new Violation("extendedAt", "The ICO cannot extend before it received the request.", "ACC013");
        }
    }

    /// <summary>ACC013: a period when the ICO waits for information it asked for (Art. 36(2)) starts after receipt,
    /// not in the future, and says what was asked for.</summary>
    public static IEnumerable<Violation> Suspension(DateTimeOffset from, string? reason, DateTimeOffset receivedAt, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            yield return new Violation("reason", "Say what information the ICO asked for.", "ACC013");
        }
        if (from > now + Skew)
        {
            yield return new Violation("from", "The suspension cannot start in the future.", "ACC013");
        }
        if (from < receivedAt)
        {
            yield return new Violation("from", "The clock can be suspended only after the ICO received the request.", "ACC013");
        }
    }

    /// <summary>ACC013: the information is provided after it was asked for, and not in the future.</summary>
    public static IEnumerable<Violation> Resumption(DateTimeOffset from, DateTimeOffset until, DateTimeOffset now)
    {
        if (until > now + Skew)
        {
            yield return new Violation("until", "The information cannot be provided in the future.", "ACC013");
        }
        if (until < from)
        {
            yield return new Violation("until", $"The information was asked for on {from.UtcDateTime:yyyy-MM-dd HH:mm} UTC: it is provided after that.", "ACC013");
        }
    }

    /// <summary>ACC013: the ICO's written advice arrives after the request was sent, with a summary.</summary>
    public static IEnumerable<Violation> Advice(DateTimeOffset receivedAt, string? summary, string? outcome, DateTimeOffset submittedAt, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(summary))
        {
            yield return new Violation("summary", "Summarise the ICO's written advice.", "ACC013");
        }
        if (outcome is not null && !IcoAdviceOutcomes.All.Contains(outcome))
        {
            yield return new Violation("outcome", $"Use one of {string.Join(", ", IcoAdviceOutcomes.All)}.");
        }
        if (receivedAt > now + Skew)
        {
            yield return new Violation("receivedAt", "The advice cannot arrive in the future.", "ACC013");
        }
        if (receivedAt < submittedAt)
        {
            yield return new Violation("receivedAt", "The advice cannot arrive before the request was sent.", "ACC013");
        }
    }
}
