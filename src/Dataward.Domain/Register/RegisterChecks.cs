using Dataward.Domain.Taxonomy;

namespace Dataward.Domain.Register;

/// <summary>An activity as the checks see it: its content, when it was last reviewed and its id.</summary>
public sealed record RegisteredActivity(Guid Id, ProcessingActivity Activity, DateTimeOffset CreatedAt, DateTimeOffset? LastReviewedAt);

public enum CheckLevel
{
    Warning,
    Error,
}

/// <summary>One finding of a whole-register check.</summary>
public sealed record CheckViolation(string RuleId, CheckLevel Level, Guid ActivityId, string Activity, string Field, string Message);

/// <summary>A prohibition in the style of fideslang policies: an activity breaks it when it matches every criterion
/// given (a key matches itself and its descendants). Empty criteria match anything.</summary>
public sealed record PolicyRule(string Key, string Name, IReadOnlyList<string> DataCategories, IReadOnlyList<string> DataUses,
    IReadOnlyList<string> Sources, IReadOnlyList<string> DataSubjects)
{
    public bool IsBrokenBy(ProcessingActivity activity) =>
        Matches(DataCategories, activity.DataCategories) && Matches(DataUses, activity.Purposes)
        && Matches(DataSubjects, activity.DataSubjects)
        && (Sources.Count == 0 || Sources.Any(s => activity.Sources.Contains(s, StringComparer.OrdinalIgnoreCase)));

    private static bool Matches(IReadOnlyList<string> criteria, IReadOnlyList<string> keys) =>
        criteria.Count == 0 || criteria.Any(c => keys.Any(k => Taxonomy.Taxonomy.IsSelfOrDescendant(k, c)));
}

/// <summary>The check rules of register.md §8 (REG015-REG020) and the derived facts the register shows.</summary>
public static class RegisterChecks
{
    /// <summary>P1: the DPO reviews every active activity at least every six months.</summary>
    public const int ReviewIntervalMonths = 6;

    /// <summary>P6 (policy §9): personal data from the account application form is never sold.</summary>
    public static readonly IReadOnlyList<PolicyRule> DefaultPolicy =
    [
        new("p6.no-sale-of-application-data", "Data from the account application form is never sold",
            [], ["third_party_sharing.sale"], ["account-application-form"], []),
        new("p6.no-third-party-advertising-of-application-data", "Data from the account application form is never used for third-party advertising",
            [], ["marketing.advertising.third_party"], ["account-application-form"], []),
    ];

    public static DateTimeOffset ReviewDueAt(RegisteredActivity activity) =>
        (activity.LastReviewedAt ?? activity.CreatedAt).AddMonths(ReviewIntervalMonths);

    public static bool IsOverdue(RegisteredActivity activity, DateTimeOffset now) =>
        activity.Activity.Status == ActivityStatus.Active && now > ReviewDueAt(activity);

    public static IReadOnlyList<CheckViolation> Check(IEnumerable<RegisteredActivity> register, IReadOnlyList<PolicyRule> organisationRules,
        DateTimeOffset now)
    {
        var findings = new List<CheckViolation>();
        var rules = DefaultPolicy.Concat(organisationRules).ToList();
        foreach (var entry in register)
        {
            var a = entry.Activity;
            void Find(string rule, CheckLevel level, string field, string message) =>
                findings.Add(new CheckViolation(rule, level, entry.Id, a.Name, field, message));

            for (var i = 0; i < a.Recipients.Count; i++)
            {
                if (a.Recipients[i].Kind == "processor" && string.IsNullOrWhiteSpace(a.Recipients[i].ContractLink))
                {
                    Find("REG015", CheckLevel.Warning, $"recipients[{i}].contractLink", $"Processor {a.Recipients[i].Name} has no linked Art. 28(3) contract."); // REG015
                }
            }
            if (a.Dpia is { Required: true } dpia && (dpia.Status != "complete" || string.IsNullOrWhiteSpace(dpia.Link)))
            {
                Find("REG016", CheckLevel.Warning, "dpia", "A DPIA is required but not complete and linked."); // REG016
            }
            if (a.AutomatedDecisionMaking is { Exists: true } adm && (string.IsNullOrWhiteSpace(adm.Logic) || string.IsNullOrWhiteSpace(adm.Article22Ground)))
            {
                Find("REG017", CheckLevel.Warning, "automatedDecisionMaking", "Describe the logic and the Art. 22(2) ground of the automated decisions."); // REG017
            }
            if (IsOverdue(entry, now))
            {
                Find("REG018", CheckLevel.Error, "reviews", $"The 6-monthly review was due on {ReviewDueAt(entry):yyyy-MM-dd}."); // REG018
            }
            if (a.Status != ActivityStatus.Retired)
            {
                foreach (var rule in rules.Where(r => r.IsBrokenBy(a)))
                {
                    Find("REG019", CheckLevel.Error, "purposes", $"Breaks policy '{rule.Key}': {rule.Name}."); // REG019
                }
            }
            if (a.Retention is { AdheresToPolicy: false } retention && string.IsNullOrWhiteSpace(retention.NonAdherenceReason))
            {
                Find("REG020", CheckLevel.Warning, "retention.nonAdherenceReason", "Say why retention does not follow the policy document."); // REG020
            }
        }
        return findings;
    }

    /// <summary>The rights people have under the activity's lawful basis (register.md §2.2).</summary>
    public static IReadOnlyList<string> RightsAvailable(string? lawfulBasis)
    {
        List<string> rights = ["informed", "access", "rectification", "restriction", "automatedDecisionRights", "objectToDirectMarketing"];
        var (erasure, portability, objection) = lawfulBasis switch
        {
            LawfulBases.Consent => (true, true, false),
            LawfulBases.Contract => (true, true, false),
            LawfulBases.LegalObligation => (false, false, false),
            LawfulBases.VitalInterests => (true, false, false),
            LawfulBases.PublicTask => (false, false, true),
            LawfulBases.LegitimateInterests => (true, false, true),
            _ => (false, false, false),
        };
        if (erasure)
        {
            rights.Add("erasure");
        }
        if (portability)
        {
            rights.Add("portability");
        }
        if (objection)
        {
            rights.Add("object");
        }
        if (lawfulBasis == LawfulBases.Consent)
        {
            rights.Add("withdrawConsent");
        }
        return rights;
    }
}
