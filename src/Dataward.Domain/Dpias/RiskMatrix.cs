namespace Dataward.Domain.Dpias;

/// <summary>How likely harm to people is (accountability.md §2.4): remote 1, possible 2, probable 3.</summary>
public static class Likelihoods
{
    public const string Remote = "remote";
    public const string Possible = "possible";
    public const string Probable = "probable";

    public static readonly IReadOnlyList<string> All = [Remote, Possible, Probable];
}

/// <summary>How severe the harm would be (§2.4): minimal 1, significant 2, severe 3.</summary>
public static class Severities
{
    public const string Minimal = "minimal";
    public const string Significant = "significant";
    public const string Severe = "severe";

    public static readonly IReadOnlyList<string> All = [Minimal, Significant, Severe];
}

/// <summary>The overall level of a risk on the fixed matrix (§2.4).</summary>
public static class DpiaRiskLevels
{
    public const string Low = "low";
    public const string Medium = "medium";
    public const string High = "high";

    public static readonly IReadOnlyList<string> All = [Low, Medium, High];

    public static int Rank(string? level) => level switch
    {
        Low => 1,
        Medium => 2,
        High => 3,
        _ => 0,
    };
}

/// <summary>What the measures do to a risk (ICO template step 6).</summary>
public static class MeasureEffects
{
    public const string Eliminated = "eliminated";
    public const string Reduced = "reduced";
    public const string Accepted = "accepted";

    public static readonly IReadOnlyList<string> All = [Eliminated, Reduced, Accepted];
}

/// <summary>A risk placed on the matrix: the two named values, their product and the level it falls in.</summary>
public sealed record RiskRating(string Likelihood, string Severity, int Score, string Level);

/// <summary>ACC012: Dataward's fixed 3×3 matrix. Score = likelihood × severity; 1-2 low, 3-4 medium, 6-9 high.</summary>
public static class RiskMatrix
{
    public static int Score(string likelihood, string severity) => Value(likelihood, Likelihoods.All) * Value(severity, Severities.All);

    private static int Value(string key, IReadOnlyList<string> scale)
    {
        for (var i = 0; i < scale.Count; i++)
        {
            if (scale[i] == key)
            {
                return i + 1;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(key), key, $"Not on the scale {string.Join(", ", scale)}.");
    }

    public static string Level(int score) => score switch
    {
        <= 2 => DpiaRiskLevels.Low,
        <= 4 => DpiaRiskLevels.Medium,
        _ => DpiaRiskLevels.High,
    };

    /// <summary>ACC012: both values on the fixed scale, or violations naming <c>{prefix}likelihood</c> and
    /// <c>{prefix}severity</c>.</summary>
    public static Outcome<RiskRating> Rate(string? likelihood, string? severity, string prefix = "", string likelihoodField = "likelihood",
        string severityField = "severity")
    {
        var violations = new List<Violation>();
        if (likelihood is null || !Likelihoods.All.Contains(likelihood))
        {
            violations.Add(new Violation(prefix + likelihoodField, $"Likelihood is on a fixed scale: {string.Join(", ", Likelihoods.All)}.", "ACC012"));
        }
        if (severity is null || !Severities.All.Contains(severity))
        {
            violations.Add(new Violation(prefix + severityField, $"Severity is on a fixed scale: {string.Join(", ", Severities.All)}.", "ACC012"));
        }
        if (violations.Count > 0)
        {
            return Outcome<RiskRating>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var score = Score(likelihood!, severity!);
        return Outcome<RiskRating>.Success(new RiskRating(likelihood!, severity!, score, Level(score)));
    }
}
