namespace Dataward.Domain.Dpias;

/// <summary>The Art. 36(2) clock of a prior consultation (accountability.md §2.5, ACC013): the ICO advises within
/// 8 weeks of receiving the request, 6 more when it extends for complexity (telling the controller within one month
/// of receipt); periods when it waits for information it asked for do not count. Weeks and months are calendar days
/// and months in the organisation's time zone, so a clock change does not move the local time of day.</summary>
public static class ConsultationClock
{
    public const int AdviceWeeks = 8;
    public const int ExtensionWeeks = 6;

    /// <summary>ACC013: <c>receivedByAuthorityAt + 8 weeks + suspendedDays</c>, and 6 weeks more once extended.</summary>
    public static DateTimeOffset AdviceDueAt(DateTimeOffset receivedByAuthorityAt, int suspendedDays, bool extended, TimeZoneInfo zone) =>
        AddLocalDays(receivedByAuthorityAt, (AdviceWeeks + (extended ? ExtensionWeeks : 0)) * 7 + suspendedDays, zone);

    /// <summary>By when the ICO must tell the controller of an extension: one calendar month after receipt, on the
    /// corresponding day or the month's last (31 January → 28 or 29 February).</summary>
    public static DateTimeOffset ExtensionNoticeDueAt(DateTimeOffset receivedByAuthorityAt, TimeZoneInfo zone) =>
        ToInstant(Local(receivedByAuthorityAt, zone).AddMonths(1), zone);

    /// <summary>Calendar days between the local dates a suspension began and ended (asked on the 3rd, answered on the
    /// 10th: 7 days).</summary>
    public static int SuspendedDays(DateTimeOffset from, DateTimeOffset until, TimeZoneInfo zone) =>
        Math.Max(0, DateOnly.FromDateTime(Local(until, zone)).DayNumber - DateOnly.FromDateTime(Local(from, zone)).DayNumber);

    /// <summary>Whole calendar days left until <paramref name="due"/> (negative once passed), counted on local dates.</summary>
    public static int DaysLeft(DateTimeOffset due, DateTimeOffset now, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(Local(due, zone)).DayNumber - DateOnly.FromDateTime(Local(now, zone)).DayNumber;

    public static DateTimeOffset AddLocalDays(DateTimeOffset at, int days, TimeZoneInfo zone) => ToInstant(Local(at, zone).AddDays(days), zone);

    private static DateTime Local(DateTimeOffset at, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(at, zone).DateTime;

    /// <summary>A local wall-clock time as a UTC instant: a time skipped by a clock change moves forward by the gap; a
    /// time that occurs twice is its first occurrence.</summary>
    private static DateTimeOffset ToInstant(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            return new DateTimeOffset(local, zone.GetUtcOffset(local.AddHours(-6))).ToUniversalTime();
        }
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }
}
