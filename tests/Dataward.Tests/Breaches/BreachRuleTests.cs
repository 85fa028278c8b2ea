using Dataward.Domain.Breaches;

namespace Dataward.Tests.Breaches;

/// <summary>accountability.md §1: the 72-hour clock, the ENISA severity with its worked examples, and the input rules.</summary>
public sealed class BreachRuleTests
{
    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("2026-11-25T09:00:00Z", "2026-11-28T09:00:00Z")]
    // Weekends and bank holidays count: Friday evening before Christmas is due Monday evening, Boxing Day or not.
    [InlineData("2026-12-25T18:30:00Z", "2026-12-28T18:30:00Z")]
    // A leap day is one of the 72 hours like any other.
    [InlineData("2028-02-28T12:00:00Z", "2028-03-02T12:00:00Z")]
    // An offset is converted to the exact UTC instant; clock changes do not stretch it (BST ends 25 October 2026).
    [InlineData("2026-10-24T10:00:00+01:00", "2026-10-27T09:00:00Z")]
    [InlineData("2026-12-31T23:59:59.999Z", "2027-01-03T23:59:59.999Z")]
    public void ACC001_the_ico_deadline_is_exactly_72_elapsed_hours_after_awareness_in_utc(string aware, string deadline)
    {
        var due = BreachClock.IcoDeadline(At(aware));
        due.ShouldBe(At(deadline));
        due.Offset.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void ACC001_hours_left_count_down_and_go_negative_once_overdue()
    {
        var deadline = At("2026-11-28T09:00:00Z");
        BreachClock.HoursLeft(deadline, At("2026-11-25T09:00:00Z")).ShouldBe(72);
        BreachClock.HoursLeft(deadline, At("2026-11-28T08:30:00Z")).ShouldBe(0);
        BreachClock.HoursLeft(deadline, At("2026-11-28T09:30:00Z")).ShouldBe(-1);
        BreachClock.HoursLeft(deadline, At("2026-11-29T09:00:00Z")).ShouldBe(-24);
    }

    [Fact]
    public void ACC003_a_notification_one_second_after_the_deadline_is_late_and_needs_reasons()
    {
        var deadline = At("2026-11-28T09:00:00Z");
        var now = At("2026-12-01T00:00:00Z");
        BreachRules.IcoNotification(deadline, deadline, null, now).ShouldBeEmpty();
        var late = BreachRules.IcoNotification(deadline, deadline.AddSeconds(1), null, now).Single();
        late.RuleId.ShouldBe("ACC003");
        late.Field.ShouldBe("lateReason");
        BreachRules.IcoNotification(deadline, deadline.AddSeconds(1), "Forensics took four days to confirm personal data was involved.", now).ShouldBeEmpty();
    }

    [Fact]
    public void ENISA_worked_example_the_pharmacy_customer_list_posted_publicly_is_very_high()
    {
        var severity = Severity.Compute(new SeverityInput(1, [new DpcAdjustment(2, "A pharmacy's customer list implies a health interest")], 1m,
            new BreachCircumstances(LossOfConfidentiality: 0.5m, MaliciousIntent: 0.5m))).Value!;
        severity.Dpc.ShouldBe(3);
        severity.Se.ShouldBe(4.0m);
        severity.Band.ShouldBe(SeverityBands.VeryHigh);
        RiskLevels.Suggest(severity.Band).ShouldBe(RiskLevels.HighRisk);
    }

    [Fact]
    public void ENISA_worked_example_a_staff_list_sent_to_one_known_supplier_is_low()
    {
        var severity = Severity.Compute(new SeverityInput(1, null, 1m, new BreachCircumstances(LossOfConfidentiality: 0.25m))).Value!;
        severity.Se.ShouldBe(1.25m);
        severity.Band.ShouldBe(SeverityBands.Low);
        RiskLevels.Suggest(severity.Band).ShouldBe(RiskLevels.None);
    }

    [Theory]
    [InlineData(1.99, "low", "none")]
    [InlineData(2.0, "medium", "risk")]
    [InlineData(2.99, "medium", "risk")]
    [InlineData(3.0, "high", "highRisk")]
    [InlineData(4.0, "veryHigh", "highRisk")]
    public void The_bands_and_suggested_risk_levels_have_their_edges_where_the_spec_puts_them(double se, string band, string risk)
    {
        SeverityBands.Of((decimal)se).ShouldBe(band);
        RiskLevels.Suggest(band).ShouldBe(risk);
    }

    [Fact]
    public void The_data_processing_context_is_clamped_to_one_to_four_after_adjustment()
    {
        Severity.Compute(new SeverityInput(4, [new DpcAdjustment(3, "Vulnerable subjects")], 1m, null)).Value!.Dpc.ShouldBe(4);
        Severity.Compute(new SeverityInput(1, [new DpcAdjustment(-3, "Already public")], 0.25m, null)).Value!.Dpc.ShouldBe(1);
    }

    [Theory]
    [InlineData(0, 1.0, 0.0, 0.0, "dpcBase")]
    [InlineData(5, 1.0, 0.0, 0.0, "dpcBase")]
    [InlineData(2, 0.6, 0.0, 0.0, "ei")]
    [InlineData(2, 0.0, 0.0, 0.0, "ei")]
    [InlineData(2, 1.0, 0.3, 0.0, "cb.lossOfConfidentiality")]
    [InlineData(2, 1.0, 0.0, 0.25, "cb.maliciousIntent")]
    public void ACC009_scores_outside_the_enisa_scales_are_refused_naming_the_field(int dpc, double ei, double confidentiality, double malicious, string field)
    {
        var outcome = Severity.Compute(new SeverityInput(dpc, null, (decimal)ei, new BreachCircumstances((decimal)confidentiality, 0, 0, (decimal)malicious)));
        outcome.Succeeded.ShouldBeFalse();
        outcome.Violations.ShouldContain(v => v.Field == field && v.RuleId == "ACC009");
    }

    [Fact]
    public void ACC002_discovery_in_the_future_or_before_the_breach_happened_is_refused()
    {
        var now = At("2026-11-25T09:00:00Z");
        BreachRules.ReportTimes(null, now.AddHours(1), now).ShouldContain(v => v.Field == "discoveredAt" && v.RuleId == "ACC002");
        BreachRules.ReportTimes(now.AddHours(-1), now.AddHours(-2), now).ShouldContain(v => v.Field == "occurredAt" && v.RuleId == "ACC002");
        BreachRules.ReportTimes(null, now.AddMinutes(2), now).ShouldBeEmpty("a few minutes of clock skew are tolerated");
        BreachRules.ReportTimes(now.AddDays(-3), now.AddDays(-1), now).ShouldBeEmpty();
    }

    [Fact]
    public void ACC002_ACC004_awareness_before_the_breach_happened_or_a_triage_without_reasons_is_refused()
    {
        var now = At("2026-11-25T09:00:00Z");
        var occurred = now.AddDays(-2);
        BreachRules.Triage(true, occurred.AddMinutes(-1), "Confirmed", occurred, now).ShouldContain(v => v.Field == "awareAt" && v.RuleId == "ACC002");
        BreachRules.Triage(true, now, " ", occurred, now).ShouldContain(v => v.Field == "reason" && v.RuleId == "ACC004");
        BreachRules.Triage(true, null, "Confirmed", occurred, now).ShouldContain(v => v.Field == "awareAt");
        BreachRules.Triage(false, null, "Encrypted laptop, key not with it", occurred, now).ShouldBeEmpty();
        BreachRules.Triage(true, occurred, "Confirmed", occurred, now).ShouldBeEmpty("aware the moment it happened is allowed");
    }

    [Fact]
    public void ACC006_ACC007_decisions_need_reasons_and_a_high_risk_not_told_needs_an_art34_exception()
    {
        BreachRules.IcoDecision(false, "", RiskLevels.Risk).Single().RuleId.ShouldBe("ACC006");
        BreachRules.IcoDecision(true, null, RiskLevels.Risk).Single().RuleId.ShouldBe("ACC004");
        BreachRules.IndividualsDecision(false, "Too many", null, null, RiskLevels.HighRisk).Single().Field.ShouldBe("art34Exception");
        BreachRules.IndividualsDecision(false, "Too many", Art34Exceptions.DisproportionateEffort, null, RiskLevels.HighRisk)
            .Single().Field.ShouldBe("publicCommunication");
        BreachRules.IndividualsDecision(false, "Too many", Art34Exceptions.DisproportionateEffort, "Notice on the home page for 3 months", RiskLevels.HighRisk).ShouldBeEmpty();
        BreachRules.IndividualsDecision(false, "Low risk only", null, null, RiskLevels.Risk).ShouldBeEmpty();
        BreachRules.IndividualsDecision(false, "x", "becauseISaidSo", null, RiskLevels.HighRisk).ShouldContain(v => v.Field == "art34Exception");
    }

    [Fact]
    public void ACC008_a_draft_missing_an_art33_item_names_it()
    {
        BreachDrafts.Missing(new Dictionary<string, string?> { ["nature"] = "Lost laptop", ["contact"] = "dpo@example.org", ["measures"] = " " })
            .ShouldBe(["likelyConsequences", "measures"]);
    }

    [Fact]
    public void ACC010_a_breach_closes_only_when_every_action_is_done_or_waived()
    {
        BreachRules.Close([("Rotate keys", true, false), ("Retrain staff", false, true)]).ShouldBeEmpty();
        BreachRules.Close([("Rotate keys", true, false), ("Retrain staff", false, false)]).Single().Message.ShouldContain("Retrain staff");
    }

    [Fact]
    public void References_read_like_BRE_2026_0001()
    {
        BreachReferences.Format(2026, 1).ShouldBe("BRE-2026-0001");
        BreachReferences.Format(2026, 12345).ShouldBe("BRE-2026-12345");
    }
}
