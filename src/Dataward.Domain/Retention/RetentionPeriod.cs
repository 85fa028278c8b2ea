using System.Globalization;
using System.Text.RegularExpressions;

namespace Dataward.Domain.Retention;

/// <summary>How long data is kept: an ISO 8601 duration of years, months, weeks and days (<c>P6Y</c>, <c>P18M</c>,
/// <c>P30D</c>), added with calendar arithmetic in UTC. Years and months are added together as months (as XML Schema
/// adds durations), so the month end clamps once: 31 January plus <c>P1M</c> is 28 or 29 February.</summary>
public sealed partial record RetentionPeriod(int Months, int Days)
{
    /// <summary>Longer than any retention duty: a typo such as P2000Y is caught.</summary>
    public const int MaxYears = 200;

    /// <summary>The period, or why the text is not one (MIN001: a valid ISO 8601 duration greater than zero).</summary>
    public static (RetentionPeriod? Period, string? Error) Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, "Give the period as an ISO 8601 duration such as P6Y, P18M or P30D.");
        }
        var trimmed = text.Trim();
        if (trimmed.StartsWith('-'))
        {
            return (null, $"'{trimmed}' is negative: the period must be greater than zero.");
        }
        var match = Duration().Match(trimmed.ToUpperInvariant());
        if (!match.Success)
        {
            return (null, $"'{trimmed}' is not an ISO 8601 duration of years, months, weeks and days such as P6Y, P18M or P30D.");
        }
        long Part(string name) => match.Groups[name].Success ? long.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        var (years, months, weeks, days) = (Part("y"), Part("m"), Part("w"), Part("d"));
        var totalMonths = years * 12 + months;
        var totalDays = weeks * 7 + days;
        if (totalMonths == 0 && totalDays == 0)
        {
            return (null, $"'{trimmed}' is zero: the period must be greater than zero.");
        }
        if (totalMonths > MaxYears * 12 || totalDays > MaxYears * 366)
        {
            return (null, $"'{trimmed}' is longer than {MaxYears} years.");
        }
        return (new RetentionPeriod((int)totalMonths, (int)totalDays), null);
    }

    /// <summary>When a value recorded at <paramref name="trigger"/> (UTC) reaches the end of the period.</summary>
    public DateTime End(DateTime trigger) => trigger.AddMonths(Months).AddDays(Days);

    /// <summary>The spec's test (§2.1): expired when <c>trigger + period &lt; now</c>, both UTC.</summary>
    public bool IsExpired(DateTime trigger, DateTime now) =>
        trigger <= DateTime.MaxValue.AddMonths(-Months).AddDays(-Days) && End(trigger) < now;

    /// <summary>A bound that every expired trigger is below: rows at or after it are not expired, rows before it may be
    /// and are checked with <see cref="IsExpired"/>. Month-end clamping keeps time of day, so a clamped month does not
    /// expire as one range; the bound is then the first instant of the month after, and the check sorts the rest.</summary>
    public DateTime CandidateBound(DateTime now)
    {
        // Days are a pure shift: t + P < now  <=>  t.AddMonths(m) < now - days.
        var shifted = now.AddDays(-Days);
        if (Months == 0)
        {
            return shifted;
        }
        var month = new DateTime(shifted.Year, shifted.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(-Months);
        var daysThere = DateTime.DaysInMonth(month.Year, month.Month);
        if (shifted.Day < DateTime.DaysInMonth(shifted.Year, shifted.Month) && shifted.Day <= daysThere)
        {
            // No clamping can reach this day: the same day and time, Months earlier, is the exact boundary.
            return month.AddDays(shifted.Day - 1).Add(shifted.TimeOfDay);
        }
        return month.AddMonths(1);
    }

    /// <summary>A bound that every trigger below is expired at <paramref name="now"/>: those need no test with
    /// <see cref="IsExpired"/>; triggers from it up to <see cref="CandidateBound"/> do. With months, the first instant of a
    /// month: a trigger in an earlier month ends in an earlier month than it, so before it ends, whatever month-end
    /// clamping does (which is why no instant within a month will do: 30 January 23:00 plus P1M ends after 31 January 01:00
    /// does).</summary>
    public DateTime SettledBound(DateTime now)
    {
        var shifted = now.AddDays(-Days);
        return Months == 0 ? shifted : new DateTime(shifted.Year, shifted.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(-Months);
    }

    public override string ToString()
    {
        var years = Months / 12;
        var months = Months % 12;
        var text = "P" + (years > 0 ? $"{years}Y" : "") + (months > 0 ? $"{months}M" : "") + (Days > 0 ? $"{Days}D" : "");
        return text;
    }

    [GeneratedRegex(@"^P(?!$)(?:(?<y>\d{1,4})Y)?(?:(?<m>\d{1,5})M)?(?:(?<w>\d{1,5})W)?(?:(?<d>\d{1,6})D)?$")]
    private static partial Regex Duration();
}
