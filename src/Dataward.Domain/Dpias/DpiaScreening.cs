namespace Dataward.Domain.Dpias;

/// <summary>The nine WP248 rev.01 criteria of processing likely to result in a high risk (accountability.md §2.2).</summary>
public static class ScreeningCriteria
{
    public const string EvaluationOrScoring = "evaluationOrScoring";
    public const string AutomatedDecisionWithLegalEffect = "automatedDecisionWithLegalEffect";
    public const string SystematicMonitoring = "systematicMonitoring";
    public const string SensitiveData = "sensitiveData";
    public const string LargeScale = "largeScale";
    public const string MatchingOrCombiningDatasets = "matchingOrCombiningDatasets";
    public const string VulnerableSubjects = "vulnerableSubjects";
    public const string InnovativeTechnology = "innovativeTechnology";
    public const string PreventsExercisingRights = "preventsExercisingRights";

    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
        [EvaluationOrScoring] = "evaluation or scoring, including profiling and prediction",
        [AutomatedDecisionWithLegalEffect] = "automated decision with legal or similarly significant effect",
        [SystematicMonitoring] = "systematic monitoring, including of publicly accessible areas",
        [SensitiveData] = "special category, criminal or highly personal data",
        [LargeScale] = "data processed on a large scale",
        [MatchingOrCombiningDatasets] = "matching or combining datasets beyond people's expectations",
        [VulnerableSubjects] = "data about vulnerable people (children, employees, patients, elderly)",
        [InnovativeTechnology] = "innovative use or new technological or organisational solutions",
        [PreventsExercisingRights] = "processing that stops people exercising a right or using a service or contract",
    };
}

/// <summary>The Art. 35(3) cases that always need a DPIA (§2.1).</summary>
public static class Art35Cases
{
    public const string ProfilingWithSignificantEffects = "profilingWithSignificantEffects";
    public const string LargeScaleSpecialOrCriminalData = "largeScaleSpecialOrCriminalData";
    public const string LargeScalePublicMonitoring = "largeScalePublicMonitoring";

    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
        [ProfilingWithSignificantEffects] = "systematic and extensive evaluation of personal aspects by automated processing, including profiling, with decisions having legal or similarly significant effects (Art. 35(3)(a))",
        [LargeScaleSpecialOrCriminalData] = "large-scale processing of special category or criminal offence data (Art. 35(3)(b))",
        [LargeScalePublicMonitoring] = "large-scale systematic monitoring of a publicly accessible area (Art. 35(3)(c))",
    };
}

/// <summary>The ICO's list of processing that needs a DPIA (Art. 35(4), §2.2). Some need one only together with a
/// WP248 criterion (<see cref="NeedsAnotherCriterion"/>).</summary>
public static class IcoListItems
{
    public const string InnovativeTechnology = "innovativeTechnology";
    public const string DenialOfService = "denialOfService";
    public const string LargeScaleProfiling = "largeScaleProfiling";
    public const string Biometrics = "biometrics";
    public const string GeneticData = "geneticData";
    public const string DataMatching = "dataMatching";
    public const string InvisibleProcessing = "invisibleProcessing";
    public const string Tracking = "tracking";
    public const string TargetingChildrenOrVulnerable = "targetingChildrenOrVulnerable";
    public const string RiskOfPhysicalHarm = "riskOfPhysicalHarm";

    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
        [InnovativeTechnology] = "innovative technology",
        [DenialOfService] = "access to a product, service or benefit decided partly by automated means or using special category data",
        [LargeScaleProfiling] = "profiling of people on a large scale",
        [Biometrics] = "biometric data",
        [GeneticData] = "genetic data",
        [DataMatching] = "combining, comparing or matching data from several sources",
        [InvisibleProcessing] = "personal data not obtained from the person, where telling them would be impossible or take disproportionate effort",
        [Tracking] = "tracking people's location or behaviour",
        [TargetingChildrenOrVulnerable] = "marketing to or online services offered to children or other vulnerable people",
        [RiskOfPhysicalHarm] = "a breach could put people's physical health or safety at risk",
    };

    /// <summary>The items marked * in the ICO list: a DPIA only together with another WP248 criterion.</summary>
    public static readonly IReadOnlySet<string> NeedsAnotherCriterion = new HashSet<string>
    {
        InnovativeTechnology, Biometrics, GeneticData, InvisibleProcessing, Tracking,
    };
}

/// <summary>What the screening found: whether a DPIA is required and why, in sentences a DPO can put in the file.</summary>
public sealed record ScreeningResult(bool DpiaRequired, IReadOnlyList<string> Reasons);

/// <summary>ACC011: the DPIA screening of one processing activity.</summary>
public static class DpiaScreening
{
    /// <summary>Each list holds only its own keys; the field names the offending entry (<c>criteria[1]</c>).</summary>
    public static IEnumerable<Violation> Validate(IReadOnlyList<string>? criteria, IReadOnlyList<string>? art35Cases, IReadOnlyList<string>? icoList)
    {
        foreach (var violation in Unknown("criteria", criteria, ScreeningCriteria.All, "a WP248 criterion"))
        {
            yield return violation;
        }
        foreach (var violation in Unknown("art35Cases", art35Cases, Art35Cases.All, "an Art. 35(3) case"))
        {
            yield return violation;
        }
        foreach (var violation in Unknown("icoList", icoList, IcoListItems.All, "an item of the ICO's list"))
        {
            yield return violation;
        }
    }

    private static IEnumerable<Violation> Unknown(string field, IReadOnlyList<string>? values, IReadOnlyDictionary<string, string> known, string what)
    {
        var list = values ?? [];
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is null || !known.ContainsKey(list[i]))
            {
                yield return new Violation($"{field}[{i}]", $"'{list[i]}' is not {what}: use {string.Join(", ", known.Keys)}.", "ACC011");
            }
        }
    }

    /// <summary>ACC011: two or more WP248 criteria, or any Art. 35(3) case, means a DPIA is required; so does an item
    /// of the ICO's Art. 35(4) list (the starred ones only with another WP248 criterion). One criterion alone does not,
    /// but the controller records why it does without one.</summary>
    public static ScreeningResult Assess(IReadOnlyCollection<string> criteria, IReadOnlyCollection<string> art35Cases, IReadOnlyCollection<string> icoList)
    {
        var reasons = new List<string>();
        var met = ScreeningCriteria.All.Keys.Where(criteria.Contains).ToList();
        if (met.Count >= 2)
        {
            reasons.Add($"{met.Count} WP248 criteria met ({string.Join(", ", met)}): two or more mean a DPIA is required (ACC011).");
        }
        foreach (var key in Art35Cases.All.Keys.Where(art35Cases.Contains))
        {
            reasons.Add($"Art. 35(3) always requires a DPIA for {Art35Cases.All[key]} (ACC011).");
        }
        foreach (var key in IcoListItems.All.Keys.Where(icoList.Contains))
        {
            if (!IcoListItems.NeedsAnotherCriterion.Contains(key))
            {
                reasons.Add($"On the ICO's list of processing that needs a DPIA (Art. 35(4)): {IcoListItems.All[key]}.");
            }
            else if (met.Any(c => c != key))
            {
                reasons.Add($"On the ICO's list together with a WP248 criterion (Art. 35(4)): {IcoListItems.All[key]}.");
            }
        }
        var required = reasons.Count > 0;
        if (!required)
        {
            var flagged = met.Concat(icoList.Where(IcoListItems.All.ContainsKey).Select(k => $"ICO list: {k}")).ToList();
            reasons.Add(flagged.Count == 0
                ? "No WP248 criterion, Art. 35(3) case or ICO list item is met: a DPIA is not required."
                : $"Met: {string.Join(", ", flagged)}. That is fewer than two WP248 criteria, with no Art. 35(3) case and no ICO list item that needs a DPIA on its own, so a DPIA is not presumed; it may still be needed: record why none is done, or do one anyway.");
        }
        return new ScreeningResult(required, reasons);
    }
}
