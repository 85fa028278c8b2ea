namespace Dataward.Domain.Breaches;

/// <summary>The life cycle of a breach record (accountability.md §1.9).</summary>
public static class BreachStatuses
{
    public const string Reported = "reported";
    public const string Triaged = "triaged";
    public const string Assessed = "assessed";
    public const string Notified = "notified";
    public const string Closed = "closed";

    public static readonly IReadOnlyList<string> All = [Reported, Triaged, Assessed, Notified, Closed];
}

/// <summary>What a breach compromised (§1.1); one incident can be several at once.</summary>
public static class BreachTypes
{
    public static readonly IReadOnlyList<string> All = ["confidentiality", "integrity", "availability"];
}

/// <summary>The outcome of the risk triage (§1.8).</summary>
public static class RiskLevels
{
    public const string None = "none";
    public const string Risk = "risk";
    public const string HighRisk = "highRisk";

    public static readonly IReadOnlyList<string> All = [None, Risk, HighRisk];

    /// <summary>§1.8: the default suggestion from the ENISA band; the DPO may depart from it with a reason.</summary>
    public static string Suggest(string band) => band switch
    {
        SeverityBands.Low => None,
        SeverityBands.Medium => Risk,
        _ => HighRisk,
    };
}

/// <summary>Why people need not be told of a high-risk breach (Art. 34(3), §1.5).</summary>
public static class Art34Exceptions
{
    public const string Unintelligible = "unintelligible";
    public const string RiskNoLongerLikely = "riskNoLongerLikely";
    public const string DisproportionateEffort = "disproportionateEffort";

    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
        [Unintelligible] = "the data was protected so as to be unintelligible to anyone not authorised (Art. 34(3)(a))",
        [RiskNoLongerLikely] = "measures taken since make the high risk no longer likely to materialise (Art. 34(3)(b))",
        [DisproportionateEffort] = "telling each person would involve disproportionate effort; a public communication is used instead (Art. 34(3)(c))",
    };
}

/// <summary>Whether a report to the ICO is the first or adds to it (Art. 33(4), §1.6).</summary>
public static class IcoReportTypes
{
    public const string Initial = "initial";
    public const string FollowUp = "followUp";

    public static readonly IReadOnlyList<string> All = [Initial, FollowUp];
}

/// <summary>Readable references: <c>BRE-2026-0001</c>.</summary>
public static class BreachReferences
{
    public static string Format(int year, int sequence) => $"BRE-{year:D4}-{sequence:D4}";
}

/// <summary>The Art. 33(1) clock: 72 exact elapsed hours from awareness, weekends and holidays included (ACC001, ACC003).</summary>
public static class BreachClock
{
    public static readonly TimeSpan NotificationWindow = TimeSpan.FromHours(72);

    /// <summary>ACC001: the exact UTC instant 72 hours after the organisation became aware.</summary>
    public static DateTimeOffset IcoDeadline(DateTimeOffset awareAt) => awareAt.ToUniversalTime() + NotificationWindow;

    /// <summary>Whole hours left until the deadline (negative once passed), rounded towards the deadline so "0 hours
    /// left" never shows for an overdue breach.</summary>
    public static int HoursLeft(DateTimeOffset deadline, DateTimeOffset now)
    {
        var left = (deadline - now).TotalHours;
        return left >= 0 ? (int)Math.Floor(left) : -(int)Math.Ceiling(-left);
    }

    /// <summary>ACC003: a notification sent after the deadline is late and must say why.</summary>
    public static bool IsLate(DateTimeOffset deadline, DateTimeOffset sentAt) => sentAt > deadline;
}

/// <summary>The input rules of reporting, triage and decisions (ACC002, ACC003, ACC004, ACC006, ACC007, ACC010).</summary>
public static class BreachRules
{
    /// <summary>Clock skew allowed between the reporter's device and the server before "in the future" applies.</summary>
    public static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    /// <summary>ACC002: discovery is not in the future, and a breach cannot be discovered before it happened.</summary>
    public static IEnumerable<Violation> ReportTimes(DateTimeOffset? occurredAt, DateTimeOffset discoveredAt, DateTimeOffset now)
    {
        if (discoveredAt > now + Skew)
        {
            yield return new Violation("discoveredAt", "The discovery time is in the future.", "ACC002");
        }
        if (occurredAt is { } occurred && occurred > now + Skew)
        {
            yield return new Violation("occurredAt", "The time the breach happened is in the future.", "ACC002");
        }
        if (occurredAt is { } happened && happened > discoveredAt)
        {
            yield return new Violation("occurredAt", "A breach cannot be discovered before it happened: check both times.", "ACC002");
        }
    }

    /// <summary>ACC002, ACC004: awareness after the breach happened and not in the future; a triage states its reasons.</summary>
    public static IEnumerable<Violation> Triage(bool isBreach, DateTimeOffset? awareAt, string? reason, DateTimeOffset? occurredAt, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            yield return new Violation("reason", "Say why this is, or is not, a personal data breach.", "ACC004");
        }
        if (isBreach && awareAt is null)
        {
            yield return new Violation("awareAt", "Record when the organisation became aware: the 72-hour clock runs from it.", "ACC001");
        }
        if (awareAt is { } aware && aware > now + Skew)
        {
            yield return new Violation("awareAt", "The awareness time is in the future.", "ACC002");
        }
        if (awareAt is { } at && occurredAt is { } occurred && at < occurred)
        {
            yield return new Violation("awareAt", $"The organisation cannot become aware before the breach happened ({occurred.UtcDateTime:yyyy-MM-dd HH:mm} UTC).", "ACC002");
        }
    }

    /// <summary>ACC004, ACC006: a decision on telling the ICO always carries its reason; not notifying a breach assessed
    /// as a risk needs one in particular.</summary>
    public static IEnumerable<Violation> IcoDecision(bool notify, string? reason, string? riskLevel)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            yield return new Violation("reason", notify || riskLevel is null or RiskLevels.None
                    ? "Record the reason for this decision."
                    : "The breach was assessed as a risk to people: record why the ICO is not told.",
                notify || riskLevel is null or RiskLevels.None ? "ACC004" : "ACC006");
        }
    }

    /// <summary>ACC004, ACC007: a high risk means telling people unless an Art. 34(3) exception is recorded;
    /// disproportionate effort needs the public communication used instead.</summary>
    public static IEnumerable<Violation> IndividualsDecision(bool notify, string? reason, string? exception, string? publicCommunication, string? riskLevel)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            yield return new Violation("reason", "Record the reason for this decision.", "ACC004");
        }
        if (exception is not null && !Art34Exceptions.All.ContainsKey(exception))
        {
            yield return new Violation("art34Exception", $"Use one of {string.Join(", ", Art34Exceptions.All.Keys)}.", "ACC007");
        }
        if (!notify && riskLevel == RiskLevels.HighRisk && exception is null)
        {
            yield return new Violation("art34Exception", "A high-risk breach is told to the people affected unless an Art. 34(3) exception applies: name it.", "ACC007");
        }
        if (exception == Art34Exceptions.DisproportionateEffort && string.IsNullOrWhiteSpace(publicCommunication))
        {
            yield return new Violation("publicCommunication", "Disproportionate effort needs a public communication or equally effective measure instead: record it.", "ACC007");
        }
    }

    /// <summary>ACC003: a notification after the deadline carries the reasons for the delay.</summary>
    public static IEnumerable<Violation> IcoNotification(DateTimeOffset? deadline, DateTimeOffset sentAt, string? lateReason, DateTimeOffset now)
    {
        if (sentAt > now + Skew)
        {
            yield return new Violation("sentAt", "The notification time is in the future.");
        }
        if (deadline is { } due && BreachClock.IsLate(due, sentAt) && string.IsNullOrWhiteSpace(lateReason))
        {
            yield return new Violation("lateReason", $"Notified after the 72-hour deadline ({due.UtcDateTime:yyyy-MM-dd HH:mm} UTC): give the reasons for the delay (Art. 33(1)).", "ACC003");
        }
    }

    /// <summary>ACC010: a breach closes only when every action is done or waived with a reason.</summary>
    public static IEnumerable<Violation> Close(IEnumerable<(string Description, bool Done, bool Waived)> actions)
    {
        var open = actions.Where(a => !a.Done && !a.Waived).Select(a => a.Description).ToList();
        if (open.Count > 0)
        {
            yield return new Violation("actions", $"Finish or waive (with a reason) every action first: {string.Join("; ", open)}.", "ACC010");
        }
    }
}
