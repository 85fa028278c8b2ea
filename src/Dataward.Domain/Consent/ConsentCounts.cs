namespace Dataward.Domain.Consent;

/// <summary>How many people consented at the end of one period of a chart (a day, a week or a month starting on
/// <paramref name="Date"/>).</summary>
public sealed record ConsentCountPoint(DateOnly Date, int Count);

/// <summary>The number of people consenting to one purpose over time: <paramref name="Before"/> is the running total
/// before <paramref name="From"/>, each point the total at the end of its period.</summary>
public sealed record ConsentCountSeries(string Purpose, string Title, DateOnly From, DateOnly To, string Granularity, int Before,
    IReadOnlyList<ConsentCountPoint> Points);

/// <summary>Turns per-day changes in the number of people consenting (each event's +1, -1 or 0) into cumulative points,
/// by day, week or month depending on the length of the period.</summary>
public static class ConsentCounts
{
    public const string Day = "day";
    public const string Week = "week";
    public const string Month = "month";

    /// <summary>The default period: the last 90 days, today included.</summary>
    public const int DefaultDays = 90;

    /// <summary>The longest period a chart covers (ten years).</summary>
    public const int MaxDays = 3660;

    /// <summary>Periods short enough to read day by day stay daily; longer ones are grouped so a chart has at most a
    /// few hundred points.</summary>
    public static string GranularityFor(DateOnly from, DateOnly to) => (to.DayNumber - from.DayNumber + 1) switch
    {
        <= 180 => Day,
        <= 3 * 365 => Week,
        _ => Month,
    };

    /// <summary>The earliest and latest dates a chart may name.</summary>
    public static readonly DateOnly Earliest = new(1970, 1, 1), Latest = new(9998, 12, 31);

    /// <summary>Checks a requested period: null if it is usable, else the field at fault and why.</summary>
    public static Violation? ValidatePeriod(DateOnly from, DateOnly to)
    {
        if (from < Earliest || from > Latest)
        {
            return new Violation("from", $"Give a date between {Earliest:yyyy-MM-dd} and {Latest:yyyy-MM-dd}.");
        }
        if (to < Earliest || to > Latest)
        {
            return new Violation("to", $"Give a date between {Earliest:yyyy-MM-dd} and {Latest:yyyy-MM-dd}.");
        }
        if (from > to)
        {
            return new Violation("from", "The period starts after it ends.");
        }
        return to.DayNumber - from.DayNumber + 1 > MaxDays
            ? new Violation("from", $"A chart covers at most {MaxDays} days; choose a shorter period.")
            : null;
    }

    /// <summary>The cumulative count at the end of each period from <paramref name="from"/> to <paramref name="to"/>
    /// (both included), starting from <paramref name="before"/>; changes outside the window are ignored.</summary>
    public static IReadOnlyList<ConsentCountPoint> Cumulative(int before, IEnumerable<(DateOnly Day, int Change)> changes, DateOnly from,
        DateOnly to, string granularity)
    {
        var byDay = changes.Where(c => c.Day >= from && c.Day <= to).GroupBy(c => c.Day).ToDictionary(g => g.Key, g => g.Sum(c => c.Change));
        var points = new List<ConsentCountPoint>();
        var total = before;
        for (var start = from; start <= to; start = Next(start, granularity))
        {
            var end = Next(start, granularity).AddDays(-1);
            for (var day = start; day <= end && day <= to; day = day.AddDays(1))
            {
                total += byDay.GetValueOrDefault(day);
            }
            points.Add(new ConsentCountPoint(start, total));
        }
        return points;
    }

    private static DateOnly Next(DateOnly start, string granularity) => granularity switch
    {
        Week => start.AddDays(7),
        // Months after the first start on the 1st, so the points line up with calendar months.
        Month => new DateOnly(start.Year, start.Month, 1).AddMonths(1),
        _ => start.AddDays(1),
    };
}
