namespace Dataward.Domain.Requests;

/// <summary>Why a request's clock is stopped (requests.md §2.2).</summary>
public static class ClockPause
{
    public const string Identity = "identity";
    public const string Fee = "fee";
    public const string Clarification = "clarification";
    public static readonly IReadOnlyList<string> All = [Identity, Fee, Clarification];
}

/// <summary>Where a request's legal clock stands: the start date it counts from, or why it is paused.</summary>
/// <param name="StartDate">Day 1 (a local date in the organisation's time zone).</param>
/// <param name="PausedReason">Null while running.</param>
/// <param name="PausedOn">When the pause began (for resuming without restart).</param>
/// <param name="DaysCreditedBeforePause">With <c>identityRestartsClock: false</c>, the days that had run before the pause.</param>
public sealed record RequestClock(DateOnly StartDate, string? PausedReason = null, DateOnly? PausedOn = null, int DaysCreditedBeforePause = 0);

/// <summary>The Art. 12(3) deadlines (requests.md §2, DSR003-DSR005): one month from receipt on the corresponding
/// calendar day (or the month's last day), extendable to three months from the same start, with only the final result
/// rolled to the next working day.</summary>
public sealed class Deadlines(HolidayCalendar holidays, TimeZoneInfo zone, bool identityRestartsClock = true)
{
    public static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    public HolidayCalendar Holidays => holidays;

    public TimeZoneInfo Zone => zone;

    /// <summary>Rule 1: day 1 is the local calendar day of receipt, working day or not.</summary>
    public DateOnly LocalDate(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);

    /// <summary>DSR003: rules 2-4. <see cref="DateOnly.AddMonths"/> clamps to the month's last day (rules 2-3); the
    /// working-day roll applies to the final date only (rule 4).</summary>
    public DateOnly Due(DateOnly start) => holidays.OnOrNextWorkingDay(start.AddMonths(1));

    /// <summary>DSR004 / rule 5: extended by one or two further months, counted from the same start date, never by adding
    /// months to the already rolled one-month date.</summary>
    public DateOnly Extended(DateOnly start, int furtherMonths) =>
        furtherMonths is 1 or 2
            ? holidays.OnOrNextWorkingDay(start.AddMonths(1 + furtherMonths))
            : throw new ArgumentOutOfRangeException(nameof(furtherMonths), "An extension is one or two further months.");

    /// <summary>The ICO's suggested internal target: 28 days from the start (not a legal date).</summary>
    public static DateOnly Target(DateOnly start) => start.AddDays(28);

    /// <summary>The due date of a clock, or null while it is paused (§2.2).</summary>
    public DateOnly? Due(RequestClock clock) => clock.PausedReason is not null
        ? null
        : clock.DaysCreditedBeforePause == 0 ? Due(clock.StartDate) : Due(clock.StartDate.AddDays(-clock.DaysCreditedBeforePause));

    /// <summary>DSR005: stops the clock for identity, a fee or clarification.</summary>
    public RequestClock Pause(RequestClock clock, string reason, DateOnly on) => clock.PausedReason is not null
        ? clock
        : clock with
        {
            PausedReason = reason,
            PausedOn = on,
            DaysCreditedBeforePause = identityRestartsClock ? 0 : clock.DaysCreditedBeforePause + Math.Max(0, on.DayNumber - clock.StartDate.DayNumber),
        };

    /// <summary>DSR005: on receipt of what was awaited, the clock restarts from that day (ICO), or, with
    /// <c>identityRestartsClock: false</c>, resumes with the days already run credited.</summary>
    public RequestClock Resume(RequestClock clock, DateOnly receivedOn) => clock.PausedReason is null
        ? clock
        : new RequestClock(receivedOn, null, null, identityRestartsClock ? 0 : clock.DaysCreditedBeforePause);
}
