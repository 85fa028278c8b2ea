using System.Globalization;
using Dataward.Domain.Requests;

namespace Dataward.Requests;

/// <summary>How the legal clock is set up (requests.md §2): <c>Requests:TimeZone</c> (default Europe/London),
/// <c>Requests:HolidayCalendar</c> (<c>england-and-wales</c> or <c>weekends-only</c>), <c>Requests:ExtraHolidays</c>
/// (yyyy-MM-dd dates) and <c>Requests:IdentityRestartsClock</c> (default true).</summary>
public static class RequestSettings
{
    public static Deadlines DeadlinesFrom(IConfiguration configuration)
    {
        var section = configuration.GetSection("Requests");
        var zoneId = section["TimeZone"] ?? "Europe/London";
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone))
        {
            throw new InvalidOperationException($"Requests:TimeZone '{zoneId}' is not a time zone this machine knows (use an IANA id such as Europe/London).");
        }
        var extra = section.GetSection("ExtraHolidays").Get<string[]>() ?? [];
        var dates = new List<DateOnly>();
        foreach (var text in extra)
        {
            dates.Add(DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                ? date
                : throw new InvalidOperationException($"Requests:ExtraHolidays has '{text}': write dates as yyyy-MM-dd."));
        }
        var calendar = HolidayCalendar.Named(section["HolidayCalendar"], dates)
            ?? throw new InvalidOperationException($"Requests:HolidayCalendar '{section["HolidayCalendar"]}' is unknown: use england-and-wales or weekends-only.");
        return new Deadlines(calendar, zone, section.GetValue("IdentityRestartsClock", true));
    }
}
