using Dataward.Domain.Register;

namespace Dataward.Tests.Register;

/// <summary>The whole-register checks REG015-REG020 and the derived facts.</summary>
public sealed class RegisterChecksTests
{
    private static readonly DateTimeOffset Created = new(2026, 1, 31, 10, 0, 0, TimeSpan.Zero);

    private static IReadOnlyList<CheckViolation> Check(ProcessingActivity activity, DateTimeOffset now, DateTimeOffset? reviewed = null,
        IReadOnlyList<PolicyRule>? rules = null) =>
        RegisterChecks.Check([new RegisteredActivity(Guid.NewGuid(), activity, Created, reviewed)], rules ?? [], now);

    [Fact]
    public void REG018_an_active_activity_is_overdue_six_months_after_its_last_review_or_creation()
    {
        // 31 January + 6 months = 31 July (calendar months; a shorter month would clamp to its last day).
        Check(ActivityRulesTests.Valid, new DateTimeOffset(2026, 7, 31, 10, 0, 0, TimeSpan.Zero)).ShouldBeEmpty();
        var overdue = Check(ActivityRulesTests.Valid, new DateTimeOffset(2026, 7, 31, 10, 0, 1, TimeSpan.Zero));
        overdue.ShouldHaveSingleItem().RuleId.ShouldBe("REG018");
        overdue[0].Level.ShouldBe(CheckLevel.Error);
        Check(ActivityRulesTests.Valid, new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero), reviewed: Created.AddMonths(3)).ShouldBeEmpty();
        Check(ActivityRulesTests.Valid with { Status = ActivityStatus.Draft }, Created.AddYears(2)).ShouldBeEmpty();
    }

    [Fact]
    public void REG019_application_form_data_is_never_sold_or_used_for_third_party_advertising()
    {
        var sale = Check(ActivityRulesTests.Valid with { Purposes = ["third_party_sharing.sale"] }, Created);
        sale.ShouldHaveSingleItem().RuleId.ShouldBe("REG019");
        sale[0].Message.ShouldContain("p6.no-sale-of-application-data");
        Check(ActivityRulesTests.Valid with { Purposes = ["marketing.advertising.third_party.targeted"] }, Created)
            .ShouldHaveSingleItem().RuleId.ShouldBe("REG019");
        Check(ActivityRulesTests.Valid with { Purposes = ["third_party_sharing.sale"], Sources = ["purchased-list"] }, Created).ShouldBeEmpty();
    }

    [Fact]
    public void REG019_organisation_rules_combine_category_use_source_and_subject()
    {
        var rule = new PolicyRule("no-health-marketing", "Health data is never used for marketing",
            ["user.health_and_medical"], ["marketing"], [], ["patient"]);
        var activity = ActivityRulesTests.Valid with
        {
            DataSubjects = ["patient"],
            DataCategories = ["user.health_and_medical.genetic"],
            Purposes = ["marketing.communications.email"],
            Article9Condition = "explicitConsent",
        };
        Check(activity, Created, rules: [rule]).ShouldHaveSingleItem().Message.ShouldContain("no-health-marketing");
        Check(activity with { DataSubjects = ["customer"] }, Created, rules: [rule]).ShouldBeEmpty();
    }

    [Fact]
    public void REG015_REG016_REG017_REG020_are_warnings()
    {
        var findings = Check(ActivityRulesTests.Valid with
        {
            Recipients = [new Recipient("Mailer Inc", "processor")],
            Dpia = new Dpia(Required: true, Status: "inProgress"),
            AutomatedDecisionMaking = new AutomatedDecisionMaking(Exists: true),
            Retention = new Domain.Register.Retention(Period: "P6Y", Trigger: "closure", AdheresToPolicy: false),
        }, Created);
        findings.Select(f => f.RuleId).Order().ShouldBe(["REG015", "REG016", "REG017", "REG020"]);
        findings.ShouldAllBe(f => f.Level == CheckLevel.Warning);
    }

    [Theory]
    [InlineData(LawfulBases.Consent, "erasure,portability,withdrawConsent")]
    [InlineData(LawfulBases.LegalObligation, "")]
    [InlineData(LawfulBases.PublicTask, "object")]
    [InlineData(LawfulBases.LegitimateInterests, "erasure,object")]
    [InlineData(LawfulBases.VitalInterests, "erasure")]
    public void Rights_follow_the_lawful_basis(string basis, string extra)
    {
        var rights = RegisterChecks.RightsAvailable(basis);
        rights.ShouldContain("access");
        rights.ShouldContain("objectToDirectMarketing");
        rights.Except(["informed", "access", "rectification", "restriction", "automatedDecisionRights", "objectToDirectMarketing"])
            .ShouldBe(extra.Split(',', StringSplitOptions.RemoveEmptyEntries));
    }
}
