using Dataward.Domain.Dpias;
using Dataward.Domain.Requests;

namespace Dataward.Tests.Dpias;

/// <summary>accountability.md §2: the screening (ACC011), the fixed risk matrix and the sign-off rules (ACC012), and the
/// prior consultation's clock (ACC013) in the organisation's time zone (Europe/London).</summary>
public sealed class DpiaRuleTests
{
    private static readonly TimeZoneInfo London = Deadlines.London;

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    private static ScreeningResult Screen(string[] criteria, string[]? cases = null, string[]? ico = null) =>
        DpiaScreening.Assess(criteria, cases ?? [], ico ?? []);

    [Fact]
    public void ACC011_two_wp248_criteria_require_a_dpia_and_one_does_not()
    {
        var two = Screen([ScreeningCriteria.EvaluationOrScoring, ScreeningCriteria.LargeScale]);
        two.DpiaRequired.ShouldBeTrue();
        two.Reasons.Single().ShouldContain("2 WP248 criteria met (evaluationOrScoring, largeScale)");

        var one = Screen([ScreeningCriteria.LargeScale]);
        one.DpiaRequired.ShouldBeFalse();
        one.Reasons.Single().ShouldContain("record why none is done");

        var none = Screen([]);
        none.DpiaRequired.ShouldBeFalse();
        none.Reasons.Single().ShouldContain("No WP248 criterion");
    }

    [Theory]
    [InlineData(Art35Cases.ProfilingWithSignificantEffects, "Art. 35(3)(a)")]
    [InlineData(Art35Cases.LargeScaleSpecialOrCriminalData, "Art. 35(3)(b)")]
    [InlineData(Art35Cases.LargeScalePublicMonitoring, "Art. 35(3)(c)")]
    public void ACC011_any_art35_3_case_requires_a_dpia_on_its_own(string art35Case, string citation)
    {
        var result = Screen([], [art35Case]);
        result.DpiaRequired.ShouldBeTrue();
        result.Reasons.Single().ShouldContain(citation);
    }

    [Fact]
    public void ACC011_the_icos_list_requires_a_dpia_and_its_starred_items_only_with_another_wp248_criterion()
    {
        Screen([], ico: [IcoListItems.DenialOfService]).DpiaRequired.ShouldBeTrue();
        Screen([], ico: [IcoListItems.Biometrics]).DpiaRequired.ShouldBeFalse("biometrics is starred: it needs a WP248 criterion as well");
        Screen([ScreeningCriteria.SystematicMonitoring], ico: [IcoListItems.Biometrics]).DpiaRequired.ShouldBeTrue();
        // The starred innovative-technology item is itself a WP248 criterion: it needs another one.
        Screen([ScreeningCriteria.InnovativeTechnology], ico: [IcoListItems.InnovativeTechnology]).DpiaRequired.ShouldBeFalse();
        Screen([], ico: [IcoListItems.Tracking, IcoListItems.InvisibleProcessing]).Reasons.Single().ShouldContain("ICO list: tracking, ICO list: invisibleProcessing");
    }

    [Fact]
    public void ACC011_an_unknown_criterion_is_named_by_its_place_in_its_list()
    {
        var violations = DpiaScreening.Validate(["largeScale", "lotsOfData"], ["nope"], ["biometrics"]).ToList();
        violations.Select(v => v.Field).ShouldBe(["criteria[1]", "art35Cases[0]"]);
        violations.ShouldAllBe(v => v.RuleId == "ACC011");
        violations[0].Message.ShouldContain("'lotsOfData' is not a WP248 criterion");
    }

    [Theory]
    [InlineData("remote", "minimal", 1, "low")]
    [InlineData("remote", "significant", 2, "low")]
    [InlineData("remote", "severe", 3, "medium")]
    [InlineData("possible", "minimal", 2, "low")]
    [InlineData("possible", "significant", 4, "medium")]
    [InlineData("possible", "severe", 6, "high")]
    [InlineData("probable", "minimal", 3, "medium")]
    [InlineData("probable", "significant", 6, "high")]
    [InlineData("probable", "severe", 9, "high")]
    public void ACC012_every_cell_of_the_fixed_matrix_has_the_level_the_spec_gives_it(string likelihood, string severity, int score, string level)
    {
        var rating = RiskMatrix.Rate(likelihood, severity).Value!;
        rating.Score.ShouldBe(score);
        rating.Level.ShouldBe(level);
    }

    [Theory]
    [InlineData("likely", "severe", "risks[0].likelihood")]
    [InlineData("Remote", "severe", "risks[0].likelihood")]
    [InlineData(null, "severe", "risks[0].likelihood")]
    [InlineData("remote", "catastrophic", "risks[0].severity")]
    [InlineData("remote", "", "risks[0].severity")]
    public void ACC012_values_outside_the_scale_are_refused_naming_the_field(string? likelihood, string? severity, string field)
    {
        var outcome = RiskMatrix.Rate(likelihood, severity, "risks[0].");
        outcome.Succeeded.ShouldBeFalse();
        outcome.Violations.Single().Field.ShouldBe(field);
        outcome.Violations.Single().RuleId.ShouldBe("ACC012");
    }

    private static SignOffReadiness Ready(int? adviceOn = 4, int version = 4) => new(DpiaStatuses.AwaitingSignOff, true, true, true,
        [new RiskReadiness(0, true, MeasureEffects.Reduced, DpiaRiskLevels.Low)], adviceOn, version);

    [Fact]
    public void ACC012_sign_off_is_refused_without_the_dpos_advice_or_with_advice_on_an_earlier_version()
    {
        DpiaRules.ReadyForSignOff(Ready()).ShouldBeEmpty();
        var none = DpiaRules.ReadyForSignOff(Ready(adviceOn: null)).Single();
        (none.Field, none.RuleId).ShouldBe(("dpoAdvice", "ACC012"));
        DpiaRules.ReadyForSignOff(Ready(adviceOn: 3)).Single().Message.ShouldContain("changed since");
    }

    [Fact]
    public void ACC012_sign_off_needs_the_art35_7_contents_with_every_risk_addressed_and_rated_after_measures()
    {
        var bare = Ready() with { HasNature = false, HasNecessity = false, Risks = [new RiskReadiness(0, false, null, null)] };
        DpiaRules.ReadyForSignOff(bare).Select(v => v.Field).ShouldBe(
            ["description.nature", "necessityAndProportionality.necessity", "risks[0].measures", "risks[0].effect", "risks[0].residualLikelihood"]);
        DpiaRules.ReadyForSignOff(Ready() with { Risks = [] }).Single().Field.ShouldBe("risks");
        DpiaRules.ReadyForSignOff(Ready() with { Risks = [new RiskReadiness(0, false, MeasureEffects.Accepted, DpiaRiskLevels.Low)] })
            .ShouldBeEmpty("an accepted risk needs no measures");
    }

    [Fact]
    public void ACC012_ACC013_overruling_the_advice_needs_reasons_and_a_residual_high_risk_is_accepted_explicitly()
    {
        var now = At("2026-11-25T09:00:00Z");
        var input = new SignOffInput(true, null, "Head of IT", "Chief executive", "DPO", now.AddYears(1), false);
        DpiaRules.SignOff(input, DpiaRiskLevels.Medium, now).ShouldBeEmpty();
        var overruled = DpiaRules.SignOff(input with { AdviceAccepted = false }, DpiaRiskLevels.Medium, now).Single();
        (overruled.Field, overruled.RuleId).ShouldBe(("overruleReason", "ACC012"));
        DpiaRules.SignOff(input with { AdviceAccepted = false, OverruleReason = "The board accepts the cost of delay instead." }, DpiaRiskLevels.Medium, now).ShouldBeEmpty();
        var high = DpiaRules.SignOff(input, DpiaRiskLevels.High, now).Single();
        (high.Field, high.RuleId).ShouldBe(("acceptHighResidualRisk", "ACC013"));
        DpiaRules.SignOff(input with { AcceptHighResidualRisk = true }, DpiaRiskLevels.High, now).ShouldBeEmpty();
        DpiaRules.SignOff(input with { NextReviewAt = now }, DpiaRiskLevels.Low, now).Single().Field.ShouldBe("nextReviewAt");
    }

    [Fact]
    public void ACC012_the_residual_risk_of_a_dpia_is_its_highest_rated_residual()
    {
        DpiaRules.ResidualRisk([DpiaRiskLevels.Low, null, DpiaRiskLevels.High, DpiaRiskLevels.Medium]).ShouldBe(DpiaRiskLevels.High);
        DpiaRules.ResidualRisk([null, null]).ShouldBeNull();
    }

    [Theory]
    // 8 weeks are 56 calendar days from the ICO's receipt.
    [InlineData("2026-11-25T09:00:00Z", 0, false, "2027-01-20T09:00:00Z")]
    // Across the year end, and with the 6-week extension: 98 days.
    [InlineData("2026-11-25T09:00:00Z", 0, true, "2027-03-03T09:00:00Z")]
    // Suspended days move the date on, day for day.
    [InlineData("2026-11-25T09:00:00Z", 7, false, "2027-01-27T09:00:00Z")]
    [InlineData("2026-11-25T09:00:00Z", 7, true, "2027-03-10T09:00:00Z")]
    // A leap year's 29 February is one of the 56 days; the year before, the same start ends a day later in March.
    [InlineData("2028-01-15T12:00:00Z", 0, false, "2028-03-11T12:00:00Z")]
    [InlineData("2027-01-15T12:00:00Z", 0, false, "2027-03-12T12:00:00Z")]
    // Both again, now ending after the clocks go forward (26 March 2028, 28 March 2027): 12:00 local is 11:00 UTC.
    [InlineData("2028-02-01T12:00:00Z", 0, false, "2028-03-28T11:00:00Z")]
    [InlineData("2027-02-01T12:00:00Z", 0, false, "2027-03-29T11:00:00Z")]
    // Calendar days in London: received at 10:00 GMT, due at 10:00 BST (09:00 UTC) after the clocks go forward.
    [InlineData("2026-03-10T10:00:00Z", 0, false, "2026-05-05T09:00:00Z")]
    // And back: received 10:00 BST (09:00 UTC) in September, due 10:00 GMT in November.
    [InlineData("2026-09-15T09:00:00Z", 0, false, "2026-11-10T10:00:00Z")]
    // A due time the spring change skips (01:30 on 29 March 2026) moves on by the gap.
    [InlineData("2026-02-01T01:30:00Z", 0, false, "2026-03-29T01:30:00Z")]
    public void ACC013_the_icos_advice_is_due_8_weeks_after_receipt_plus_suspended_days_and_6_more_once_extended(string received, int suspendedDays,
        bool extended, string due)
    {
        var adviceDue = ConsultationClock.AdviceDueAt(At(received), suspendedDays, extended, London);
        adviceDue.ShouldBe(At(due));
        adviceDue.Offset.ShouldBe(TimeSpan.Zero);
    }

    [Theory]
    [InlineData("2026-11-25T09:00:00Z", "2026-12-25T09:00:00Z")]
    // Month ends clamp to the shorter month's last day, leap years included.
    [InlineData("2027-01-31T12:00:00Z", "2027-02-28T12:00:00Z")]
    [InlineData("2028-01-31T12:00:00Z", "2028-02-29T12:00:00Z")]
    [InlineData("2028-01-30T12:00:00Z", "2028-02-29T12:00:00Z")]
    [InlineData("2026-03-31T12:00:00Z", "2026-04-30T12:00:00Z")]
    // From GMT into BST: the same local time, an hour earlier in UTC.
    [InlineData("2026-03-15T12:00:00Z", "2026-04-15T11:00:00Z")]
    public void ACC013_an_extension_is_announced_within_one_calendar_month_of_receipt(string received, string noticeDue) =>
        ConsultationClock.ExtensionNoticeDueAt(At(received), London).ShouldBe(At(noticeDue));

    [Fact]
    public void ACC013_suspended_days_and_days_left_count_local_calendar_days()
    {
        ConsultationClock.SuspendedDays(At("2027-01-03T16:00:00Z"), At("2027-01-10T09:00:00Z"), London).ShouldBe(7);
        ConsultationClock.SuspendedDays(At("2027-01-03T09:00:00Z"), At("2027-01-03T17:00:00Z"), London).ShouldBe(0);
        // 23:30 UTC on 30 June is already 1 July in London.
        ConsultationClock.SuspendedDays(At("2026-06-30T22:30:00Z"), At("2026-06-30T23:30:00Z"), London).ShouldBe(1);
        var due = At("2027-01-20T09:00:00Z");
        ConsultationClock.DaysLeft(due, At("2026-11-25T09:00:00Z"), London).ShouldBe(56);
        ConsultationClock.DaysLeft(due, At("2027-01-20T23:00:00Z"), London).ShouldBe(0);
        ConsultationClock.DaysLeft(due, At("2027-01-22T08:00:00Z"), London).ShouldBe(-2);
    }

    [Fact]
    public void ACC013_the_submission_extension_and_advice_dates_follow_one_another_and_are_not_in_the_future()
    {
        var now = At("2026-12-01T09:00:00Z");
        DpiaRules.Submission(now.AddDays(-1), now.AddDays(-2), now).Single().Field.ShouldBe("receivedByAuthorityAt");
        DpiaRules.Submission(now.AddDays(1), now.AddDays(1), now).Select(v => v.Field).ShouldBe(["submittedAt", "receivedByAuthorityAt"]);
        DpiaRules.Extension(now, " ", now.AddDays(-3), now).Single().Field.ShouldBe("reason");
        DpiaRules.Extension(now.AddDays(-4), "Complex", now.AddDays(-3), now).Single().Field.ShouldBe("extendedAt");
        DpiaRules.Resumption(now.AddDays(-2), now.AddDays(-3), now).Single().Field.ShouldBe("until");
        DpiaRules.Advice(now, "Proceed with the extra safeguards.", "maybe", now.AddDays(-5), now).Single().Field.ShouldBe("outcome");
        DpiaRules.Advice(now.AddDays(-6), "Proceed", null, now.AddDays(-5), now).Single().Field.ShouldBe("receivedAt");
        new[] { DpiaRules.Submission(now, now, now), DpiaRules.Extension(now, "Complex", now, now), DpiaRules.Suspension(now, "Asked for the contracts", now, now) }
            .ShouldAllBe(v => !v.Any());
    }

    [Fact]
    public void References_read_like_DPIA_2026_0001() => DpiaReferences.Format(2026, 1).ShouldBe("DPIA-2026-0001");
}
