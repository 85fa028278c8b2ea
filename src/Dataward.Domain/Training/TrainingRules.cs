namespace Dataward.Domain.Training;

/// <summary>What a course is for (accountability.md §3.4).</summary>
public static class CourseKinds
{
    public const string Induction = "induction";
    public const string Refresher = "refresher";
    public const string Specialist = "specialist";

    public static readonly IReadOnlyList<string> All = [Induction, Refresher, Specialist];
}

/// <summary>Where one person stands with one course.</summary>
public static class TrainingStates
{
    /// <summary>Completed and not expired, nor expiring soon.</summary>
    public const string Current = "current";
    /// <summary>Completed, but the completion expires within the due-soon window.</summary>
    public const string DueSoon = "dueSoon";
    /// <summary>A course the person must hold with no unexpired completion (§3.4).</summary>
    public const string Overdue = "overdue";
    /// <summary>An optional course whose completion has expired.</summary>
    public const string Expired = "expired";
    /// <summary>An optional course never completed.</summary>
    public const string NotTaken = "notTaken";

    public static readonly IReadOnlyList<string> All = [Current, DueSoon, Overdue, Expired, NotTaken];
}

/// <summary>Where a person stands with the DPO's induction meeting (policy §6.5).</summary>
public static class InductionStates
{
    public const string Done = "done";
    /// <summary>Not met yet, still within the grace period after the start date.</summary>
    public const string Due = "due";
    public const string Overdue = "overdue";
    /// <summary>Started before the organisation began recording induction meetings.</summary>
    public const string NotRequired = "notRequired";
}

/// <summary>The ACC015 clock: a completion is valid for the course's months from the moment it was completed.</summary>
public static class TrainingClock
{
    /// <summary>ACC015: <c>expiresAt = completedAt + validityMonths</c>, counted on the organisation's calendar: the
    /// local date and wall time of completion moved on by whole months. <see cref="DateTime.AddMonths"/> clamps to the
    /// month's last day (31 January + 1 month = 28 February, or 29 in a leap year). A wall time that does not exist
    /// that day (the hour skipped when clocks go forward) is read as standard time, so it lands just after the gap.</summary>
    public static DateTimeOffset ExpiresAt(DateTimeOffset completedAt, int validityMonths, TimeZoneInfo zone)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(validityMonths);
        var local = TimeZoneInfo.ConvertTime(completedAt, zone).DateTime.AddMonths(validityMonths);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>The first instant of a local date, as a UTC instant (a date typed in a form).</summary>
    public static DateTimeOffset StartOfDay(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>The local calendar date of an instant in the organisation's time zone.</summary>
    public static DateOnly LocalDate(DateTimeOffset at, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);
}

/// <summary>The rules of training records (§3.4, ACC015): who must hold a course, and where each person stands.</summary>
public static class TrainingRules
{
    /// <summary>Clock skew allowed between a client and the server before "in the future" applies.</summary>
    public static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    public const int MaxValidityMonths = 120;

    /// <summary>A mandatory course binds everyone when it names nobody in particular, otherwise the people whose
    /// department or Dataward role it names (any case).</summary>
    public static bool Requires(bool mandatory, IReadOnlyCollection<string> requiredFor, string? department, string? role) =>
        mandatory && (requiredFor.Count == 0
                      || requiredFor.Any(r => string.Equals(r, department, StringComparison.OrdinalIgnoreCase)
                                              || string.Equals(r, role, StringComparison.OrdinalIgnoreCase)));

    /// <summary>§3.4 and ACC015: overdue is a course the person must hold with no unexpired completion; due soon is a
    /// completion expiring within <paramref name="dueSoon"/>. <paramref name="latestExpiry"/> is the furthest expiry of
    /// the person's completions (null with <paramref name="completed"/>: one never expires).</summary>
    public static string State(bool required, bool completed, DateTimeOffset? latestExpiry, DateTimeOffset now, TimeSpan dueSoon)
    {
        if (!completed)
        {
            return required ? TrainingStates.Overdue : TrainingStates.NotTaken;
        }
        if (latestExpiry is not { } expires)
        {
            return TrainingStates.Current;
        }
        if (expires <= now)
        {
            return required ? TrainingStates.Overdue : TrainingStates.Expired;
        }
        return expires - now <= dueSoon ? TrainingStates.DueSoon : TrainingStates.Current;
    }

    /// <summary>The last day the induction meeting is due: the start date plus the grace days.</summary>
    public static DateOnly InductionDueBy(DateOnly startDate, int graceDays) => startDate.AddDays(graceDays);

    /// <summary>§3.4: the meeting is overdue once <c>inductionGraceDays</c> have passed since the start date without it.</summary>
    public static string InductionState(DateOnly startDate, bool met, int graceDays, DateOnly today, DateOnly? recordedSince)
    {
        if (met)
        {
            return InductionStates.Done;
        }
        if (recordedSince is { } since && startDate < since)
        {
            return InductionStates.NotRequired;
        }
        return today > InductionDueBy(startDate, graceDays) ? InductionStates.Overdue : InductionStates.Due;
    }

    /// <summary>A course as the DPO defines it.</summary>
    public static IEnumerable<Violation> Course(string? title, string? kind, int? validityMonths, bool mandatory, IReadOnlyList<string> requiredFor)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            yield return new Violation("title", "Name the course, e.g. Data protection induction.");
        }
        else if (title.Trim().Length > 200)
        {
            yield return new Violation("title", "At most 200 characters.");
        }
        if (kind is null || !CourseKinds.All.Contains(kind))
        {
            yield return new Violation("kind", $"Use one of {string.Join(", ", CourseKinds.All)}.");
        }
        if (validityMonths is < 1 or > MaxValidityMonths)
        {
            yield return new Violation("validityMonths", $"Whole months from 1 to {MaxValidityMonths}, or leave it out for a course that does not expire.", "ACC015");
        }
        if (requiredFor.Count > 0 && !mandatory)
        {
            yield return new Violation("requiredFor", "Only a mandatory course is required for particular departments or roles: set mandatory to true.");
        }
        if (requiredFor.Count > 50 || requiredFor.Any(r => r.Length > 100))
        {
            yield return new Violation("requiredFor", "Up to 50 departments or roles, each up to 100 characters.");
        }
    }

    /// <summary>A completion happened, so it is not in the future.</summary>
    public static IEnumerable<Violation> Completion(DateTimeOffset? completedAt, string? evidence, DateTimeOffset now)
    {
        if (completedAt is null)
        {
            yield return new Violation("completedAt", "Say when the course was completed (ISO 8601 with offset).");
        }
        else if (completedAt > now + Skew)
        {
            yield return new Violation("completedAt", "The completion time is in the future.");
        }
        if (string.IsNullOrWhiteSpace(evidence))
        {
            yield return new Violation("evidence", "Record the evidence: a certificate number, the learning system's record, an attendance sheet.");
        }
        else if (evidence.Length > 2000)
        {
            yield return new Violation("evidence", "At most 2,000 characters.");
        }
    }
}
