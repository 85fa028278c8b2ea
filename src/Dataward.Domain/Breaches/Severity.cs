namespace Dataward.Domain.Breaches;

/// <summary>The ENISA (2013) severity bands (accountability.md §1.7).</summary>
public static class SeverityBands
{
    public const string Low = "low";
    public const string Medium = "medium";
    public const string High = "high";
    public const string VeryHigh = "veryHigh";

    public static string Of(decimal se) => se switch
    {
        < 2m => Low,
        < 3m => Medium,
        < 4m => High,
        _ => VeryHigh,
    };
}

/// <summary>A context adjustment of the data processing context score, with the reason (e.g. +2: the controller's
/// nature reveals a health interest).</summary>
public sealed record DpcAdjustment(int Change, string Reason);

/// <summary>The circumstances of the breach: each loss 0, 0.25 or 0.5; malicious intent 0 or 0.5.</summary>
public sealed record BreachCircumstances(decimal LossOfConfidentiality = 0, decimal LossOfIntegrity = 0, decimal LossOfAvailability = 0,
    decimal MaliciousIntent = 0)
{
    public decimal Total => LossOfConfidentiality + LossOfIntegrity + LossOfAvailability + MaliciousIntent;
}

/// <summary>The inputs of an ENISA assessment: the base score of the most critical data type (1 simple, 2 behavioural,
/// 3 financial, 4 sensitive), context adjustments, ease of identification and circumstances.</summary>
public sealed record SeverityInput(int DpcBase, IReadOnlyList<DpcAdjustment>? DpcAdjustments, decimal Ei, BreachCircumstances? Cb);

/// <summary>An ENISA severity: <c>SE = DPC × EI + CB</c>, its band and the risk level it suggests.</summary>
public sealed record Severity(int Dpc, int DpcBase, IReadOnlyList<DpcAdjustment> DpcAdjustments, decimal Ei, BreachCircumstances Cb, decimal Se,
    string Band, string Method)
{
    public const string EnisaMethod = "ENISA 2013: SE = DPC x EI + CB";

    public static readonly IReadOnlyList<decimal> EaseOfIdentification = [0.25m, 0.5m, 0.75m, 1m];
    public static readonly IReadOnlyList<decimal> LossSteps = [0m, 0.25m, 0.5m];
    public static readonly IReadOnlyList<decimal> MaliciousSteps = [0m, 0.5m];

    /// <summary>ACC009: every input on its ENISA scale, or 400 naming the field; DPC after adjustment is clamped to 1-4.</summary>
    public static Outcome<Severity> Compute(SeverityInput input)
    {
        var violations = new List<Violation>();
        if (input.DpcBase is < 1 or > 4)
        {
            violations.Add(new Violation("dpcBase", "The data processing context base score is 1 (simple), 2 (behavioural), 3 (financial) or 4 (sensitive).", "ACC009"));
        }
        var adjustments = input.DpcAdjustments ?? [];
        for (var i = 0; i < adjustments.Count; i++)
        {
            if (adjustments[i].Change is < -3 or > 3 or 0)
            {
                violations.Add(new Violation($"dpcAdjustments[{i}].change", "An adjustment moves the score by -3 to +3 (not 0).", "ACC009"));
            }
            if (string.IsNullOrWhiteSpace(adjustments[i].Reason))
            {
                violations.Add(new Violation($"dpcAdjustments[{i}].reason", "Say why the context raises or lowers the score.", "ACC004"));
            }
        }
        if (!EaseOfIdentification.Contains(input.Ei))
        {
            violations.Add(new Violation("ei", "Ease of identification is 0.25 (negligible), 0.5 (limited), 0.75 (significant) or 1 (maximum).", "ACC009"));
        }
        var cb = input.Cb ?? new BreachCircumstances();
        void Step(decimal value, IReadOnlyList<decimal> allowed, string field)
        {
            if (!allowed.Contains(value))
            {
                violations.Add(new Violation($"cb.{field}", $"Use one of {string.Join(", ", allowed.Select(a => a.ToString(System.Globalization.CultureInfo.InvariantCulture)))}.", "ACC009"));
            }
        }
        Step(cb.LossOfConfidentiality, LossSteps, "lossOfConfidentiality");
        Step(cb.LossOfIntegrity, LossSteps, "lossOfIntegrity");
        Step(cb.LossOfAvailability, LossSteps, "lossOfAvailability");
        Step(cb.MaliciousIntent, MaliciousSteps, "maliciousIntent");
        if (violations.Count > 0)
        {
            return Outcome<Severity>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var dpc = Math.Clamp(input.DpcBase + adjustments.Sum(a => a.Change), 1, 4);
        var se = dpc * input.Ei + cb.Total;
        return Outcome<Severity>.Success(new Severity(dpc, input.DpcBase, adjustments, input.Ei, cb, se, SeverityBands.Of(se), EnisaMethod));
    }
}
