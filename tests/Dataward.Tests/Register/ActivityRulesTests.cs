using Dataward.Domain;
using Dataward.Domain.Register;
using TaxonomyModel = Dataward.Domain.Taxonomy.Taxonomy;

namespace Dataward.Tests.Register;

/// <summary>The save rules REG001-REG014, as pure code.</summary>
public sealed class ActivityRulesTests
{
    private static readonly Organisation Uk = new() { Name = "Example Ltd", Jurisdictions = ["UK"] };

    public static readonly ProcessingActivity Valid = new()
    {
        Name = "Customer accounts",
        Status = ActivityStatus.Active,
        Purposes = ["essential.service"],
        DataSubjects = ["customer"],
        DataCategories = ["user.contact.email", "user.name"],
        LawfulBasis = LawfulBases.Contract,
        LawfulBasisDetail = "Account terms",
        Sources = ["account-application-form"],
        Retention = new Domain.Register.Retention(Period: "P6Y", Trigger: "account closed"),
    };

    private static IReadOnlyList<Violation> Validate(ProcessingActivity activity, Organisation? organisation = null,
        IReadOnlySet<string>? names = null, IReadOnlySet<string>? consentPurposes = null) =>
        ActivityRules.Validate(activity, new RegisterContext(TaxonomyModel.Default, organisation ?? Uk, names ?? new HashSet<string>(), consentPurposes));

    private static void ShouldFail(IReadOnlyList<Violation> violations, string rule, string field) =>
        violations.ShouldContain(v => v.RuleId == rule && v.Field == field, string.Join("; ", violations));

    [Fact]
    public void A_complete_activity_passes() => Validate(Valid).ShouldBeEmpty();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("because")]
    [InlineData("Contract")]
    public void REG001_the_lawful_basis_is_one_of_the_six(string? basis) =>
        ShouldFail(Validate(Valid with { LawfulBasis = basis }), "REG001", "lawfulBasis");

    [Theory]
    [InlineData(LawfulBases.Contract)]
    [InlineData(LawfulBases.LegalObligation)]
    [InlineData(LawfulBases.PublicTask)]
    [InlineData(LawfulBases.VitalInterests)]
    public void REG002_contract_law_task_and_vital_interests_are_named(string basis) =>
        ShouldFail(Validate(Valid with { LawfulBasis = basis, LawfulBasisDetail = " " }), "REG002", "lawfulBasisDetail");

    [Fact]
    public void REG003_consent_links_a_consent_purpose_that_exists()
    {
        ShouldFail(Validate(Valid with { LawfulBasis = LawfulBases.Consent }), "REG003", "consentPurpose");
        ShouldFail(Validate(Valid with { LawfulBasis = LawfulBases.Consent, ConsentPurpose = "newsletter" }, consentPurposes: new HashSet<string> { "offers" }),
            "REG003", "consentPurpose");
        Validate(Valid with { LawfulBasis = LawfulBases.Consent, ConsentPurpose = "newsletter" }, consentPurposes: new HashSet<string> { "newsletter" })
            .ShouldBeEmpty();
    }

    [Fact]
    public void REG004_legitimate_interests_needs_all_three_parts_of_the_assessment()
    {
        var violations = Validate(Valid with
        {
            LawfulBasis = LawfulBases.LegitimateInterests,
            LegitimateInterestsAssessment = new LegitimateInterestsAssessment(Purpose: "Fraud prevention"),
        });
        ShouldFail(violations, "REG004", "legitimateInterestsAssessment.necessity");
        ShouldFail(violations, "REG004", "legitimateInterestsAssessment.balancing");
        violations.ShouldNotContain(v => v.Field == "legitimateInterestsAssessment.purpose");
    }

    [Fact]
    public void REG005_special_categories_need_an_article_9_condition()
    {
        var health = Valid with { DataCategories = ["user.health_and_medical.genetic"] };
        ShouldFail(Validate(health), "REG005", "article9Condition");
        ShouldFail(Validate(health with { Article9Condition = "becauseWeCan" }), "REG005", "article9Condition");
        Validate(health with { Article9Condition = "legalClaims" }).ShouldBeEmpty();
    }

    [Fact]
    public void REG006_explicit_consent_needs_a_consent_purpose() =>
        ShouldFail(Validate(Valid with { DataCategories = ["user.biometric.fingerprint"], Article9Condition = Article9Conditions.ExplicitConsent }),
            "REG006", "consentPurpose");

    [Fact]
    public void REG006_explicit_consent_needs_a_purpose_marked_explicit()
    {
        var activity = Valid with
        {
            DataCategories = ["user.biometric.fingerprint"],
            Article9Condition = Article9Conditions.ExplicitConsent,
            ConsentPurpose = "door-access",
        };
        var known = new HashSet<string> { "door-access" };
        ShouldFail(ActivityRules.Validate(activity, new RegisterContext(TaxonomyModel.Default, Uk, new HashSet<string>(), known, new HashSet<string>())),
            "REG006", "consentPurpose");
        ActivityRules.Validate(activity, new RegisterContext(TaxonomyModel.Default, Uk, new HashSet<string>(), known, known)).ShouldBeEmpty();
    }

    [Fact]
    public void REG007_uk_conditions_b_g_h_i_j_need_a_compatible_schedule_1_condition()
    {
        var care = Valid with { DataCategories = ["user.health_and_medical"], Article9Condition = "healthOrSocialCare" };
        ShouldFail(Validate(care), "REG007", "schedule1Condition");
        ShouldFail(Validate(care with { Schedule1Condition = "sch1.pt2.para6" }), "REG007", "schedule1Condition");
        ShouldFail(Validate(care with { Schedule1Condition = "sch9.nothing" }), "REG007", "schedule1Condition");
        Validate(care with { Schedule1Condition = "sch1.pt1.para2" }).ShouldBeEmpty();
        Validate(care, new Organisation { Name = "EU only", Jurisdictions = ["EU"] }).ShouldBeEmpty();
    }

    [Fact]
    public void REG008_a_schedule_1_condition_needing_a_policy_document_links_one()
    {
        var employment = Valid with
        {
            DataSubjects = ["employee"],
            DataCategories = ["user.health_and_medical"],
            Article9Condition = "employmentSocialSecurity",
            Schedule1Condition = "sch1.pt1.para1",
        };
        ShouldFail(Validate(employment), "REG008", "appropriatePolicyDocument.link");
        Validate(employment with { AppropriatePolicyDocument = new DocumentLink("https://intranet.example.org/apd") }).ShouldBeEmpty();
    }

    [Fact]
    public void REG009_criminal_offence_data_needs_an_article_10_condition()
    {
        var vetting = Valid with { DataCategories = ["user.criminal_history"], Schedule1Condition = "sch1.pt3.para33" };
        ShouldFail(Validate(vetting), "REG009", "article10Condition");
        Validate(vetting with { Article10Condition = "authorisedByLaw" }).ShouldBeEmpty();
    }

    [Fact]
    public void REG010_transfers_outside_the_uk_and_eea_need_a_safeguard()
    {
        ShouldFail(Validate(Valid with { Transfers = [new Transfer(Country: "IN", Recipient: "Support desk")] }), "REG010", "transfers[0].mechanism");
        ShouldFail(Validate(Valid with { Transfers = [new Transfer(Country: "IN", Mechanism: "adequacy")] }), "REG010", "transfers[0].mechanism");
        ShouldFail(Validate(Valid with { Transfers = [new Transfer(Country: "IN", Mechanism: "derogation")] }), "REG010", "transfers[0].derogation");
        ShouldFail(Validate(Valid with { Transfers = [new Transfer(Country: "IN", Mechanism: "derogation", Derogation: "compellingLegitimateInterests")] }),
            "REG010", "transfers[0].documentLink");
        ShouldFail(Validate(Valid with { Transfers = [new Transfer(Country: "india")] }), "REG010", "transfers[0].country");
        Validate(Valid with { Transfers = [new Transfer(Country: "IN", Mechanism: "idta")] }).ShouldBeEmpty();
        Validate(Valid with { Transfers = [new Transfer(Country: "JP", Mechanism: "adequacy")] }).ShouldBeEmpty();
        Validate(Valid with { Transfers = [new Transfer(Country: "FR")] }).ShouldBeEmpty();
    }

    [Fact]
    public void REG011_an_active_activity_has_a_retention_rule()
    {
        ShouldFail(Validate(Valid with { Retention = null }), "REG011", "retention");
        ShouldFail(Validate(Valid with { Retention = new Domain.Register.Retention(Period: "P6Y") }), "REG011", "retention.trigger");
        ShouldFail(Validate(Valid with { Retention = new Domain.Register.Retention(Period: "six years", Trigger: "closure") }), "REG011", "retention.period");
        Validate(Valid with { Status = ActivityStatus.Draft, Retention = null }).ShouldBeEmpty();
        Validate(Valid with { Retention = new Domain.Register.Retention(Criteria: "Until the claim is settled", Trigger: "claim opened") }).ShouldBeEmpty();
    }

    [Fact]
    public void REG012_an_active_activity_names_purposes_subjects_and_categories()
    {
        var violations = Validate(Valid with { Purposes = [], DataSubjects = [], DataCategories = [] });
        ShouldFail(violations, "REG012", "purposes");
        ShouldFail(violations, "REG012", "dataSubjects");
        ShouldFail(violations, "REG012", "dataCategories");
    }

    [Fact]
    public void REG013_unknown_taxonomy_keys_are_refused_with_the_nearest_valid_ones()
    {
        var violations = Validate(Valid with { DataCategories = ["user.contact.emial"], Purposes = ["essential.servise"] });
        ShouldFail(violations, "REG013", "dataCategories[0]");
        violations.Single(v => v.Field == "dataCategories[0]").Message.ShouldContain("'user.contact.email'");
        violations.Single(v => v.Field == "purposes[0]").Message.ShouldContain("'essential.service'");
    }

    [Fact]
    public void REG014_names_are_unique_in_the_register() =>
        ShouldFail(Validate(Valid, names: new HashSet<string> { "Customer accounts" }), "REG014", "name");
}
