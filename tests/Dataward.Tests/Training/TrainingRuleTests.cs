using Dataward.Domain.Training;

namespace Dataward.Tests.Training;

/// <summary>accountability.md §3.4: the ACC015 expiry on the organisation's calendar, and where a person stands.</summary>
public sealed class TrainingRuleTests
{
    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    // Month ends clamp: 31 January + 1 month is the last day of February, 28 or 29.
    [InlineData("2026-01-31T10:00:00Z", 1, "2026-02-28T10:00:00Z")]
    [InlineData("2028-01-31T10:00:00Z", 1, "2028-02-29T10:00:00Z")]
    [InlineData("2026-11-30T10:00:00Z", 3, "2027-02-28T10:00:00Z")]
    [InlineData("2027-08-31T10:00:00+01:00", 6, "2028-02-29T10:00:00Z")]
    // A leap day plus a year is the last day of the next February.
    [InlineData("2028-02-29T10:00:00Z", 12, "2029-02-28T10:00:00Z")]
    [InlineData("2026-03-31T12:00:00+01:00", 1, "2026-04-30T11:00:00Z")]
    // The wall time is kept across a clock change: 09:00 in summer expires at 09:00 in winter.
    [InlineData("2026-08-31T09:00:00+01:00", 6, "2027-02-28T09:00:00Z")]
    // The organisation's calendar, not UTC's: 00:30 on 1 May in London is still 30 April in UTC.
    [InlineData("2026-04-30T23:30:00Z", 1, "2026-05-31T23:30:00Z")]
    [InlineData("2026-12-31T23:59:59Z", 12, "2027-12-31T23:59:59Z")]
    // A wall time that does not exist (01:30 as clocks go forward on 28 March 2027) lands just after the gap.
    [InlineData("2027-02-28T01:30:00Z", 1, "2027-03-28T01:30:00Z")]
    public void ACC015_expiry_is_completion_plus_validity_months_with_month_end_clamps(string completed, int months, string expires)
    {
        var expiry = TrainingClock.ExpiresAt(At(completed), months, London);
        expiry.ShouldBe(At(expires));
        expiry.Offset.ShouldBe(TimeSpan.Zero, "stored and returned in UTC");
    }

    [Fact]
    public void ACC015_a_validity_of_no_months_is_refused_by_the_course_rules()
    {
        TrainingRules.Course("Induction", CourseKinds.Induction, 0, true, []).Single().RuleId.ShouldBe("ACC015");
        TrainingRules.Course("Induction", CourseKinds.Induction, 121, true, []).Single().Field.ShouldBe("validityMonths");
        TrainingRules.Course("Induction", CourseKinds.Induction, null, true, []).ShouldBeEmpty("a course may never expire");
        Should.Throw<ArgumentOutOfRangeException>(() => TrainingClock.ExpiresAt(At("2026-01-31T10:00:00Z"), 0, London));
    }

    [Fact]
    public void ACC015_a_required_course_is_due_soon_within_the_window_and_overdue_once_expired_or_never_done()
    {
        var now = At("2026-11-25T09:00:00Z");
        var window = TimeSpan.FromDays(30);
        TrainingRules.State(required: true, completed: false, null, now, window).ShouldBe(TrainingStates.Overdue);
        TrainingRules.State(required: false, completed: false, null, now, window).ShouldBe(TrainingStates.NotTaken);
        TrainingRules.State(true, true, now.AddDays(31), now, window).ShouldBe(TrainingStates.Current);
        TrainingRules.State(true, true, now.AddDays(30), now, window).ShouldBe(TrainingStates.DueSoon);
        TrainingRules.State(true, true, now.AddSeconds(1), now, window).ShouldBe(TrainingStates.DueSoon);
        TrainingRules.State(true, true, now, now, window).ShouldBe(TrainingStates.Overdue, "expired at the instant of expiry");
        TrainingRules.State(false, true, now.AddDays(-1), now, window).ShouldBe(TrainingStates.Expired);
        TrainingRules.State(true, true, null, now, window).ShouldBe(TrainingStates.Current, "a completion that never expires");
    }

    [Fact]
    public void A_mandatory_course_binds_all_staff_or_only_the_departments_and_roles_it_names()
    {
        TrainingRules.Requires(true, [], null, null).ShouldBeTrue();
        TrainingRules.Requires(false, [], "HR", "Staff").ShouldBeFalse();
        TrainingRules.Requires(true, ["HR", "DataProtectionOfficer"], "hr", null).ShouldBeTrue("departments match in any case");
        TrainingRules.Requires(true, ["HR", "DataProtectionOfficer"], "Finance", "DataProtectionOfficer").ShouldBeTrue("so do Dataward roles");
        TrainingRules.Requires(true, ["HR"], "Finance", "Staff").ShouldBeFalse();
    }

    [Fact]
    public void The_induction_meeting_is_overdue_after_the_grace_days_unless_the_person_started_before_records_began()
    {
        var start = new DateOnly(2026, 1, 31);
        TrainingRules.InductionDueBy(start, 30).ShouldBe(new DateOnly(2026, 3, 2));
        TrainingRules.InductionState(start, met: false, 30, new DateOnly(2026, 3, 2), null).ShouldBe(InductionStates.Due);
        TrainingRules.InductionState(start, met: false, 30, new DateOnly(2026, 3, 3), null).ShouldBe(InductionStates.Overdue);
        TrainingRules.InductionState(start, met: true, 30, new DateOnly(2026, 3, 3), null).ShouldBe(InductionStates.Done);
        TrainingRules.InductionState(start, met: false, 30, new DateOnly(2026, 3, 3), new DateOnly(2026, 2, 1)).ShouldBe(InductionStates.NotRequired);
    }

    [Fact]
    public void A_completion_in_the_future_or_without_evidence_is_refused()
    {
        var now = At("2026-11-25T09:00:00Z");
        TrainingRules.Completion(now.AddHours(1), "Certificate 42", now).Single().Field.ShouldBe("completedAt");
        TrainingRules.Completion(now.AddMinutes(4), "Certificate 42", now).ShouldBeEmpty("a few minutes of clock skew are allowed");
        TrainingRules.Completion(now, " ", now).Single().Field.ShouldBe("evidence");
        TrainingRules.Completion(null, "Certificate 42", now).Single().Field.ShouldBe("completedAt");
    }
}
