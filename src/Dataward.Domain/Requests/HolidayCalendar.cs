namespace Dataward.Domain.Requests;

/// <summary>Non-working days for deadline roll-forward (requests.md §2.1 rule 4): weekends, public holidays computed by
/// rule, and one-off dates an organisation adds (a state funeral, a coronation).</summary>
public sealed class HolidayCalendar
{
    private readonly Func<int, IEnumerable<DateOnly>> rules;
    private readonly HashSet<DateOnly> extra;
    private readonly Dictionary<int, HashSet<DateOnly>> byYear = [];

    private HolidayCalendar(string name, Func<int, IEnumerable<DateOnly>> rules, IEnumerable<DateOnly>? extra)
    {
        Name = name;
        this.rules = rules;
        this.extra = [.. extra ?? []];
    }

    public string Name { get; }

    /// <summary>England and Wales bank holidays (Banking and Financial Dealings Act 1971 and proclamations), with the
    /// substitute days and the one-off changes since 2020.</summary>
    public static HolidayCalendar EnglandAndWales(IEnumerable<DateOnly>? extra = null) => new("england-and-wales", EnglandAndWalesRules, extra);

    /// <summary>Weekends only, plus whatever dates the organisation lists (for other jurisdictions).</summary>
    public static HolidayCalendar WeekendsOnly(IEnumerable<DateOnly>? extra = null) => new("weekends-only", _ => [], extra);

    /// <summary>The calendar a setting names: <c>england-and-wales</c> (the default) or <c>weekends-only</c>.</summary>
    public static HolidayCalendar? Named(string? name, IEnumerable<DateOnly>? extra = null) => (name ?? "england-and-wales").ToLowerInvariant() switch
    {
        "england-and-wales" => EnglandAndWales(extra),
        "weekends-only" => WeekendsOnly(extra),
        _ => null,
    };

    public bool IsHoliday(DateOnly day)
    {
        if (extra.Contains(day))
        {
            return true;
        }
        lock (byYear)
        {
            if (!byYear.TryGetValue(day.Year, out var days))
            {
                byYear[day.Year] = days = [.. rules(day.Year)];
            }
            return days.Contains(day);
        }
    }

    public bool IsWorkingDay(DateOnly day) => day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !IsHoliday(day);

    /// <summary>The day itself if it is a working day, else the next one.</summary>
    public DateOnly OnOrNextWorkingDay(DateOnly day)
    {
        while (!IsWorkingDay(day))
        {
            day = day.AddDays(1);
        }
        return day;
    }

    private static IEnumerable<DateOnly> EnglandAndWalesRules(int year)
    {
        var easter = EasterSunday(year);
        var newYear = new DateOnly(year, 1, 1);
        yield return Substitute(newYear);
        yield return easter.AddDays(-2);
        yield return easter.AddDays(1);
        // 2020: moved to Friday 8 May for VE Day's 75th anniversary; 2023: an extra day for the coronation.
        yield return year == 2020 ? new DateOnly(2020, 5, 8) : FirstMonday(year, 5);
        if (year == 2023)
        {
            yield return new DateOnly(2023, 5, 8);
        }
        // 2022: moved to Thursday 2 June, plus Friday 3 June for the Platinum Jubilee; 2012 likewise (4 and 5 June).
        if (year == 2022)
        {
            yield return new DateOnly(2022, 6, 2);
            yield return new DateOnly(2022, 6, 3);
            yield return new DateOnly(2022, 9, 19);
        }
        else if (year == 2012)
        {
            yield return new DateOnly(2012, 6, 4);
            yield return new DateOnly(2012, 6, 5);
        }
        else
        {
            yield return LastMonday(year, 5);
        }
        yield return LastMonday(year, 8);
        var christmas = new DateOnly(year, 12, 25);
        var boxing = new DateOnly(year, 12, 26);
        switch (christmas.DayOfWeek)
        {
            case DayOfWeek.Friday:
                yield return christmas;
                yield return new DateOnly(year, 12, 28);
                break;
            case DayOfWeek.Saturday:
                yield return new DateOnly(year, 12, 27);
                yield return new DateOnly(year, 12, 28);
                break;
            case DayOfWeek.Sunday:
                yield return boxing;
                yield return new DateOnly(year, 12, 27);
                break;
            default:
                yield return christmas;
                yield return boxing;
                break;
        }
    }

    private static DateOnly Substitute(DateOnly day) => day.DayOfWeek switch
    {
        DayOfWeek.Saturday => day.AddDays(2),
        DayOfWeek.Sunday => day.AddDays(1),
        _ => day,
    };

    private static DateOnly FirstMonday(int year, int month)
    {
        var day = new DateOnly(year, month, 1);
        while (day.DayOfWeek != DayOfWeek.Monday)
        {
            day = day.AddDays(1);
        }
        return day;
    }

    private static DateOnly LastMonday(int year, int month)
    {
        var day = new DateOnly(year, month, DateTime.DaysInMonth(year, month));
        while (day.DayOfWeek != DayOfWeek.Monday)
        {
            day = day.AddDays(-1);
        }
        return day;
    }

    /// <summary>Western Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher).</summary>
    public static DateOnly EasterSunday(int year)
    {
        var a = year % 19;
        var b = year / 100;
        var c = year % 100;
        var d = b / 4;
        var e = b % 4;
        var f = (b + 8) / 25;
        var g = (b - f + 1) / 3;
        var h = ((19 * a) + b - d - g + 15) % 30;
        var i = c / 4;
        var k = c % 4;
        var l = (32 + (2 * e) + (2 * i) - h - k) % 7;
        var m = (a + (11 * h) + (22 * l)) / 451;
        var month = (h + l - (7 * m) + 114) / 31;
        var day = ((h + l - (7 * m) + 114) % 31) + 1;
        return new DateOnly(year, month, day);
    }
}
