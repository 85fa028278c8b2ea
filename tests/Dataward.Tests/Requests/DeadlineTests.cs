using Dataward.Domain.Requests;

namespace Dataward.Tests.Requests;

/// <summary>requests.md §2: every worked example, the bank-holiday calendar and the paused clock.</summary>
public sealed class DeadlineTests
{
    private static readonly Deadlines Ico = new(HolidayCalendar.EnglandAndWales(), Deadlines.London);

    [Theory]
    [InlineData("2024-09-03", "2024-10-03", "2024-12-03")]
    [InlineData("2025-01-31", "2025-02-28", "2025-04-30")]
    [InlineData("2024-01-31", "2024-02-29", "2024-04-30")]
    [InlineData("2026-04-01", "2026-05-01", "2026-07-01")]
    [InlineData("2026-04-30", "2026-06-01", "2026-07-30")]
    [InlineData("2025-07-25", "2025-08-26", "2025-10-27")]
    public void DSR003_DSR004_due_and_extended_dates_follow_the_worked_examples(string received, string due, string extended)
    {
        var start = DateOnly.Parse(received, System.Globalization.CultureInfo.InvariantCulture);
        Ico.Due(start).ShouldBe(DateOnly.Parse(due, System.Globalization.CultureInfo.InvariantCulture));
        Ico.Extended(start, 2).ShouldBe(DateOnly.Parse(extended, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void DSR003_day_one_is_the_local_day_of_receipt_even_late_on_a_friday_night()
    {
        // 23:59 on Friday 31 January 2025 in London is still that Friday (GMT); in summer, BST moves the boundary.
        Ico.LocalDate(new DateTimeOffset(2025, 1, 31, 23, 59, 0, TimeSpan.Zero)).ShouldBe(new DateOnly(2025, 1, 31));
        Ico.LocalDate(new DateTimeOffset(2025, 7, 24, 23, 30, 0, TimeSpan.Zero)).ShouldBe(new DateOnly(2025, 7, 25));
    }

    [Fact]
    public void DSR004_a_one_month_extension_counts_two_months_from_the_start()
    {
        Ico.Extended(new DateOnly(2025, 1, 31), 1).ShouldBe(new DateOnly(2025, 3, 31));
        Should.Throw<ArgumentOutOfRangeException>(() => Ico.Extended(new DateOnly(2025, 1, 31), 3));
    }

    [Theory]
    [InlineData("2025-01-01")]
    [InlineData("2025-04-18")]
    [InlineData("2025-04-21")]
    [InlineData("2025-05-05")]
    [InlineData("2025-05-26")]
    [InlineData("2025-08-25")]
    [InlineData("2025-12-25")]
    [InlineData("2025-12-26")]
    [InlineData("2026-12-28")]
    [InlineData("2027-12-27")]
    [InlineData("2027-12-28")]
    [InlineData("2022-09-19")]
    [InlineData("2023-05-08")]
    [InlineData("2020-05-08")]
    public void England_and_Wales_bank_holidays_are_not_working_days(string day) =>
        HolidayCalendar.EnglandAndWales().IsHoliday(DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture)).ShouldBeTrue();

    [Fact]
    public void Ordinary_days_and_moved_holidays_original_dates_are_working_days()
    {
        var calendar = HolidayCalendar.EnglandAndWales();
        calendar.IsWorkingDay(new DateOnly(2020, 5, 4)).ShouldBeTrue("early May moved to the 8th in 2020");
        calendar.IsWorkingDay(new DateOnly(2022, 5, 30)).ShouldBeTrue("spring bank holiday moved to 2 June in 2022");
        calendar.IsWorkingDay(new DateOnly(2026, 11, 25)).ShouldBeTrue();
        HolidayCalendar.EasterSunday(2026).ShouldBe(new DateOnly(2026, 4, 5));
        HolidayCalendar.EasterSunday(2027).ShouldBe(new DateOnly(2027, 3, 28));
    }

    [Fact]
    public void Organisations_add_one_off_holidays()
    {
        var calendar = HolidayCalendar.WeekendsOnly([new DateOnly(2026, 3, 17)]);
        new Deadlines(calendar, Deadlines.London).Due(new DateOnly(2026, 2, 17)).ShouldBe(new DateOnly(2026, 3, 18));
    }

    [Fact]
    public void DSR005_while_identity_is_awaited_there_is_no_due_date_and_receipt_restarts_the_clock()
    {
        var clock = new RequestClock(new DateOnly(2026, 1, 5));
        var paused = Ico.Pause(clock, ClockPause.Identity, new DateOnly(2026, 1, 5));
        Ico.Due(paused).ShouldBeNull();
        var restarted = Ico.Resume(paused, new DateOnly(2026, 1, 20));
        Ico.Due(restarted).ShouldBe(new DateOnly(2026, 2, 20));
    }

    [Fact]
    public void DSR005_without_restart_the_clock_resumes_with_the_days_already_run()
    {
        var eu = new Deadlines(HolidayCalendar.WeekendsOnly(), Deadlines.London, identityRestartsClock: false);
        var clock = new RequestClock(new DateOnly(2026, 1, 5));
        var paused = eu.Pause(clock, ClockPause.Clarification, new DateOnly(2026, 1, 15));
        var resumed = eu.Resume(paused, new DateOnly(2026, 1, 25));
        // Ten days had run; the month now counts from 15 January (25 - 10), so it ends on 15 February, a Sunday: Monday 16.
        eu.Due(resumed).ShouldBe(new DateOnly(2026, 2, 16));
    }
}
