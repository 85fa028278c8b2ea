using Dataward.Domain.Taxonomy;

namespace Dataward.Domain.Register;

/// <summary>What the save rules need to know beyond the activity itself.</summary>
/// <param name="OtherNames">Names of the register's other activities (REG014).</param>
/// <param name="ConsentPurposes">Keys of the consent ledger's purposes, or null when the caller cannot know them.</param>
/// <param name="ExplicitConsentPurposes">The keys among them marked explicit (REG006).</param>
public sealed record RegisterContext(Taxonomy.Taxonomy Taxonomy, Organisation Organisation, IReadOnlySet<string> OtherNames,
    IReadOnlySet<string>? ConsentPurposes = null, IReadOnlySet<string>? ExplicitConsentPurposes = null);

/// <summary>The save rules of register.md §8 (REG001-REG014): run on every create, update and import; any violation
/// refuses the change.</summary>
public static partial class ActivityRules
{
    public const int MaxNameLength = 200;

    public static IReadOnlyList<Violation> Validate(ProcessingActivity activity, RegisterContext context)
    {
        var violations = new List<Violation>();
        void Fail(string field, string message, string? rule = null) => violations.Add(new Violation(field, message, rule));

        if (string.IsNullOrWhiteSpace(activity.Name) || activity.Name.Length > MaxNameLength)
        {
            Fail("name", $"Give the activity a name of 1 to {MaxNameLength} characters.");
        }
        else if (context.OtherNames.Contains(activity.Name.Trim()))
        {
            Fail("name", $"Another activity is already called '{activity.Name.Trim()}'.", "REG014"); // REG014
        }
        if (!ActivityStatus.All.Contains(activity.Status))
        {
            Fail("status", $"'{activity.Status}' is not a status; use {string.Join(", ", ActivityStatus.All)}.");
        }

        CheckKeys(activity.Purposes, "purposes", TaxonomyKind.DataUses, context.Taxonomy, Fail);
        CheckKeys(activity.DataSubjects, "dataSubjects", TaxonomyKind.DataSubjects, context.Taxonomy, Fail);
        CheckKeys(activity.DataCategories, "dataCategories", TaxonomyKind.DataCategories, context.Taxonomy, Fail);

        CheckLawfulBasis(activity, context, Fail);
        CheckSpecialAndCriminal(activity, context, Fail);
        CheckTransfers(activity, context.Organisation, Fail);

        if (activity.Status == ActivityStatus.Active)
        {
            // REG011: an active activity has a retention period or criteria, counted from a trigger.
            var retention = activity.Retention;
            if (retention is null || (string.IsNullOrWhiteSpace(retention.Period) && string.IsNullOrWhiteSpace(retention.Criteria)))
            {
                Fail("retention", "An active activity needs a retention period (e.g. P6Y) or criteria.", "REG011");
            }
            else if (string.IsNullOrWhiteSpace(retention.Trigger))
            {
                Fail("retention.trigger", "Say what the retention period counts from (e.g. 'account closed').", "REG011");
            }
            // REG012: an active activity says why, about whom and what.
            if (activity.Purposes.Count == 0)
            {
                Fail("purposes", "An active activity needs at least one purpose.", "REG012");
            }
            if (activity.DataSubjects.Count == 0)
            {
                Fail("dataSubjects", "An active activity needs at least one category of data subjects.", "REG012");
            }
            if (activity.DataCategories.Count == 0)
            {
                Fail("dataCategories", "An active activity needs at least one category of personal data.", "REG012");
            }
        }
        if (activity.Retention?.Period is { Length: > 0 } period && !IsIsoDuration(period))
        {
            Fail("retention.period", $"'{period}' is not an ISO 8601 duration such as P6Y, P18M or P30D.", "REG011");
        }
        for (var i = 0; i < activity.Recipients.Count; i++)
        {
            if (!RecipientKinds.Contains(activity.Recipients[i].Kind))
            {
                Fail($"recipients[{i}].kind", $"Use one of {string.Join(", ", RecipientKinds)}.");
            }
        }
        return violations;
    }

    public static readonly IReadOnlyList<string> RecipientKinds = ["processor", "controller", "publicAuthority", "other"];

    private static void CheckKeys(IReadOnlyList<string> keys, string field, TaxonomyKind kind, Taxonomy.Taxonomy taxonomy,
        Action<string, string, string?> fail)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            // REG013: unknown keys are refused with the nearest valid ones.
            if (taxonomy.Unknown(kind, keys[i], $"{field}[{i}]") is { } unknown)
            {
                fail(unknown.Field, unknown.Message, unknown.RuleId);
            }
        }
    }

    private static void CheckLawfulBasis(ProcessingActivity activity, RegisterContext context, Action<string, string, string?> fail)
    {
        if (string.IsNullOrWhiteSpace(activity.LawfulBasis) || !LawfulBases.All.Contains(activity.LawfulBasis))
        {
            fail("lawfulBasis", $"Choose one of the six Art. 6(1) bases: {string.Join(", ", LawfulBases.All)}.", "REG001"); // REG001
            return;
        }
        switch (activity.LawfulBasis)
        {
            case LawfulBases.Contract or LawfulBases.LegalObligation or LawfulBases.PublicTask or LawfulBases.VitalInterests
                when string.IsNullOrWhiteSpace(activity.LawfulBasisDetail):
                fail("lawfulBasisDetail", activity.LawfulBasis switch
                {
                    LawfulBases.Contract => "Name the contract the processing is necessary for.",
                    LawfulBases.LegalObligation => "Name the law that imposes the obligation.",
                    LawfulBases.PublicTask => "Name the task and its basis in law.",
                    _ => "Say whose life is protected and why no other basis fits.",
                }, "REG002"); // REG002
                break;
            case LawfulBases.Consent:
                CheckConsentPurpose(activity, context, fail, "REG003"); // REG003
                break;
            case LawfulBases.LegitimateInterests:
                // REG004: the three-part test, each part written down.
                var lia = activity.LegitimateInterestsAssessment;
                if (string.IsNullOrWhiteSpace(lia?.Purpose))
                {
                    fail("legitimateInterestsAssessment.purpose", "State the interest pursued and by whom.", "REG004");
                }
                if (string.IsNullOrWhiteSpace(lia?.Necessity))
                {
                    fail("legitimateInterestsAssessment.necessity", "Explain why the processing is needed and no less intrusive way exists.", "REG004");
                }
                if (string.IsNullOrWhiteSpace(lia?.Balancing))
                {
                    fail("legitimateInterestsAssessment.balancing", "Weigh the interest against the people's interests, expectations and safeguards.", "REG004");
                }
                break;
        }
    }

    private static void CheckConsentPurpose(ProcessingActivity activity, RegisterContext context, Action<string, string, string?> fail, string rule)
    {
        if (string.IsNullOrWhiteSpace(activity.ConsentPurpose))
        {
            fail("consentPurpose", "Link the consent purpose people give and withdraw consent for.", rule);
        }
        else if (context.ConsentPurposes is { } purposes && !purposes.Contains(activity.ConsentPurpose))
        {
            fail("consentPurpose", $"There is no consent purpose '{activity.ConsentPurpose}'.", rule);
        }
    }

    private static void CheckSpecialAndCriminal(ProcessingActivity activity, RegisterContext context, Action<string, string, string?> fail)
    {
        var special = activity.DataCategories.SelectMany(context.Taxonomy.SpecialCategoriesOf).ToHashSet();
        var criminal = activity.DataCategories.Any(Taxonomy.Taxonomy.IsCriminalOffenceData);
        var condition = activity.Article9Condition;
        if (condition is not null && !Article9Conditions.All.Contains(condition))
        {
            fail("article9Condition", $"Choose one of the ten Art. 9(2) conditions: {string.Join(", ", Article9Conditions.All)}.", "REG005");
            return;
        }
        if (special.Count > 0 && condition is null)
        {
            // REG005: special-category data needs an Art. 9(2) condition as well as a lawful basis.
            fail("article9Condition", $"The data includes special categories ({string.Join(", ", special.Order())}): choose the Art. 9(2) condition.", "REG005");
        }
        if (condition == Article9Conditions.ExplicitConsent)
        {
            CheckConsentPurpose(activity, context, fail, "REG006"); // REG006
            if (activity.ConsentPurpose is { } key && context.ConsentPurposes?.Contains(key) == true
                && context.ExplicitConsentPurposes?.Contains(key) == false)
            {
                fail("consentPurpose", $"Explicit consent needs a consent purpose marked explicit; '{key}' is not.", "REG006");
            }
        }
        if (criminal && activity.Article10Condition is not ("officialAuthority" or "authorisedByLaw"))
        {
            // REG009
            fail("article10Condition", "Criminal-offence data needs official authority or authorisation in law (officialAuthority, authorisedByLaw).", "REG009");
        }

        var needsSchedule1 = context.Organisation.IsUk && ((special.Count > 0 && condition is not null && Schedule1.NeededBy.Contains(condition)) || criminal);
        var schedule1 = Schedule1.Find(activity.Schedule1Condition);
        if (activity.Schedule1Condition is not null && schedule1 is null)
        {
            fail("schedule1Condition", $"'{activity.Schedule1Condition}' is not a Schedule 1 condition (sch1.pt1.para1 ... sch1.pt3.para37).", "REG007");
            return;
        }
        if (needsSchedule1)
        {
            // REG007: in the UK, (b), (g), (h), (i), (j) and criminal-offence data also need a Schedule 1 condition.
            if (schedule1 is null)
            {
                fail("schedule1Condition", "UK processing under this condition needs a DPA 2018 Schedule 1 condition.", "REG007");
            }
            else if (!Schedule1.Supports(schedule1, special.Count > 0 ? condition : null, criminal))
            {
                fail("schedule1Condition", $"{schedule1.Key} does not support the Art. 9(2) condition '{condition}'.", "REG007");
            }
        }
        if (schedule1 is { ApdRequired: true } && string.IsNullOrWhiteSpace(activity.AppropriatePolicyDocument?.Link))
        {
            // REG008
            fail("appropriatePolicyDocument.link", $"{schedule1.Key} needs an appropriate policy document: link it.", "REG008");
        }
    }

    private static void CheckTransfers(ProcessingActivity activity, Organisation organisation, Action<string, string, string?> fail)
    {
        for (var i = 0; i < activity.Transfers.Count; i++)
        {
            var transfer = activity.Transfers[i];
            var field = $"transfers[{i}]";
            if (string.IsNullOrWhiteSpace(transfer.Country) && string.IsNullOrWhiteSpace(transfer.InternationalOrganisation))
            {
                fail($"{field}.country", "Name the country (ISO 3166-1 alpha-2, e.g. US) or the international organisation.", "REG010");
                continue;
            }
            if (transfer.Country is { } country && (country.Length != 2 || !country.All(char.IsAsciiLetterUpper)))
            {
                fail($"{field}.country", $"'{country}' is not an ISO 3166-1 alpha-2 code such as US or IN.", "REG010");
                continue;
            }
            if (!Transfers.IsRestricted(transfer, organisation))
            {
                continue;
            }
            // REG010: a restricted transfer needs a mechanism; adequacy only where a decision exists.
            if (transfer.Mechanism is null || !Transfers.Mechanisms.Contains(transfer.Mechanism))
            {
                fail($"{field}.mechanism", $"A transfer outside the UK/EEA needs a safeguard: one of {string.Join(", ", Transfers.Mechanisms)}.", "REG010");
            }
            else if (transfer.Mechanism == "adequacy" && !Transfers.HasAdequacy(transfer.Country, organisation))
            {
                fail($"{field}.mechanism", $"There is no adequacy decision for {transfer.Country ?? transfer.InternationalOrganisation}; choose another safeguard.", "REG010");
            }
            else if (transfer.Mechanism == "derogation" && (transfer.Derogation is null || !Transfers.Derogations.Contains(transfer.Derogation)))
            {
                fail($"{field}.derogation", $"Name the Art. 49(1) derogation: one of {string.Join(", ", Transfers.Derogations)}.", "REG010");
            }
            if (transfer.Derogation == "compellingLegitimateInterests" && string.IsNullOrWhiteSpace(transfer.DocumentLink))
            {
                fail($"{field}.documentLink", "A compelling-legitimate-interests transfer must document its safeguards: link the record.", "REG010");
            }
        }
    }

    public static bool IsIsoDuration(string text) => IsoDuration().IsMatch(text);

    [System.Text.RegularExpressions.GeneratedRegex(@"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")]
    private static partial System.Text.RegularExpressions.Regex IsoDuration();
}
