namespace Dataward.Domain.Complaints;

/// <summary>How a complaint reached the organisation (accountability.md §4).</summary>
public static class ComplaintChannels
{
    public const string PrivacyCentre = "privacyCentre";
    public const string Email = "email";
    public const string Post = "post";
    public const string Phone = "phone";
    public const string StaffLogged = "staffLogged";

    public static readonly IReadOnlyList<string> All = [PrivacyCentre, Email, Post, Phone, StaffLogged];

    /// <summary>What staff may record; <see cref="PrivacyCentre"/> is the public form's alone.</summary>
    public static readonly IReadOnlyList<string> Staff = [Email, Post, Phone, StaffLogged];
}

/// <summary>A complaint's life: received, acknowledged (DPA 2018 s. 164A(3)), responded with the outcome (164A(5)), closed.</summary>
public static class ComplaintStatuses
{
    public const string Received = "received";
    public const string Acknowledged = "acknowledged";
    public const string Responded = "responded";
    public const string Closed = "closed";

    public static readonly IReadOnlyList<string> All = [Received, Acknowledged, Responded, Closed];
}

/// <summary>What the organisation concluded.</summary>
public static class ComplaintResults
{
    public const string Upheld = "upheld";
    public const string PartlyUpheld = "partlyUpheld";
    public const string NotUpheld = "notUpheld";

    public static readonly IReadOnlyList<string> All = [Upheld, PartlyUpheld, NotUpheld];
}

/// <summary>How an acknowledgement or an outcome reached the person: by e-mail through the outbox, or by letter or
/// telephone recorded by staff.</summary>
public static class ComplaintReplyMethods
{
    public const string Email = "email";
    public const string Post = "post";
    public const string Phone = "phone";

    public static readonly IReadOnlyList<string> All = [Email, Post, Phone];
}

/// <summary>Readable references: <c>CMP-2026-0001</c>.</summary>
public static class ComplaintReferences
{
    public static string Format(int year, int sequence) => $"CMP-{year:D4}-{sequence:D4}";
}

/// <summary>The complaint clocks (§4, ACC014), on the organisation's local calendar.</summary>
public static class ComplaintClock
{
    /// <summary>DPA 2018 s. 164A(3): acknowledge within 30 days beginning with the day of receipt.</summary>
    public const int AcknowledgementDays = 30;

    /// <summary>ACC014: <c>ackDueAt</c> is the end of the day (23:59:59 in <paramref name="zone"/>) of the local date of
    /// receipt plus 29 days: the day of receipt is day 1, so the 30th day is the last.</summary>
    public static DateTimeOffset AckDueAt(DateTimeOffset receivedAt, TimeZoneInfo zone) =>
        EndOfDay(LocalDate(receivedAt, zone).AddDays(AcknowledgementDays - 1), zone);

    /// <summary>The organisation's reply target, counted like the acknowledgement: <paramref name="targetDays"/> days
    /// with the day of receipt as day 1. The law asks for the outcome without undue delay (164A(4)-(5)); the ICO expects
    /// people to follow a complaint up after 30 days without a response.</summary>
    public static DateTimeOffset ReplyDueAt(DateTimeOffset receivedAt, int targetDays, TimeZoneInfo zone) =>
        EndOfDay(LocalDate(receivedAt, zone).AddDays(targetDays - 1), zone);

    public static DateOnly LocalDate(DateTimeOffset at, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);

    /// <summary>The first instant of a local date, as a UTC instant (a date typed in a form).</summary>
    public static DateTimeOffset StartOfDay(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>The last second of a local date, as a UTC instant.</summary>
    public static DateTimeOffset EndOfDay(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(new TimeOnly(23, 59, 59));
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }
}

/// <summary>The wording every outcome carries (ACC014): the person's right to take the complaint to the ICO.</summary>
public static class ComplaintLetters
{
    public const string IcoRight = """
        If you are not satisfied with this outcome, you have the right to complain to the Information Commissioner's
        Office (ICO), the UK's independent regulator for data protection: https://ico.org.uk/make-a-complaint/ or
        0303 123 1113. You may also have the right to seek a remedy through the courts.
        """;

    /// <summary>ACC014: the outcome as sent, always ending with <see cref="IcoRight"/>.</summary>
    public static string Outcome(string reference, string result, string outcome, string organisation) => $"""
        Your complaint {reference}

        We have finished looking into your complaint. {ResultSentence(result)}

        {outcome.Trim()}

        {IcoRight}

        {organisation}
        """;

    /// <summary>Whether a text tells the person of their right to complain to the ICO.</summary>
    public static bool MentionsIcoRight(string text) => text.Contains(IcoRight, StringComparison.Ordinal);

    public static string ResultSentence(string result) => result switch
    {
        ComplaintResults.Upheld => "We agree with your complaint.",
        ComplaintResults.PartlyUpheld => "We agree with part of your complaint.",
        _ => "We do not agree that we got this wrong, and we explain why below.",
    };
}

/// <summary>The input rules of complaints (§4, ACC014).</summary>
public static class ComplaintRules
{
    public static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    /// <summary>A complaint needs a way to reply: an e-mail address for the privacy centre's form and for e-mail, some
    /// contact for the other channels; what it is about; and a receipt time that is not in the future nor over a year old.</summary>
    public static IEnumerable<Violation> Intake(string channel, string? email, string? phone, string? address, string? subject, string? details,
        DateTimeOffset receivedAt, DateTimeOffset now)
    {
        if (!string.IsNullOrWhiteSpace(email) && (email.Trim().Length > 320 || !System.Net.Mail.MailAddress.TryCreate(email.Trim(), out _)))
        {
            yield return new Violation("complainant.email", "This is not an e-mail address.");
        }
        if (string.IsNullOrWhiteSpace(email) && channel is ComplaintChannels.PrivacyCentre or ComplaintChannels.Email)
        {
            yield return new Violation("complainant.email", "Give an e-mail address: the acknowledgement and the reply are sent to it.", "ACC014");
        }
        else if (string.IsNullOrWhiteSpace(email) && string.IsNullOrWhiteSpace(phone) && string.IsNullOrWhiteSpace(address))
        {
            yield return new Violation("complainant", "Record how to reply: an e-mail address, a postal address or a telephone number.", "ACC014");
        }
        if (string.IsNullOrWhiteSpace(subject))
        {
            yield return new Violation("subject", "Say in a few words what the complaint is about.");
        }
        if (string.IsNullOrWhiteSpace(details))
        {
            yield return new Violation("details", "Describe the complaint.");
        }
        if (receivedAt > now + Skew)
        {
            yield return new Violation("receivedAt", "The time the complaint arrived is in the future.");
        }
        else if (receivedAt < now.AddYears(-1))
        {
            yield return new Violation("receivedAt", "The time the complaint arrived is more than a year ago.");
        }
    }

    /// <summary>An acknowledgement or outcome goes by e-mail only to an address on record, and is dated between the
    /// complaint's arrival and now.</summary>
    public static IEnumerable<Violation> Reply(string field, string method, bool hasEmail, DateTimeOffset at, DateTimeOffset receivedAt, DateTimeOffset now)
    {
        if (!ComplaintReplyMethods.All.Contains(method))
        {
            yield return new Violation(field, $"Use one of {string.Join(", ", ComplaintReplyMethods.All)}.");
        }
        else if (method == ComplaintReplyMethods.Email && !hasEmail)
        {
            yield return new Violation(field, "No e-mail address is recorded for this person: reply by post or telephone and record it.", "ACC014");
        }
        if (at > now + Skew)
        {
            yield return new Violation("at", "This time is in the future.");
        }
        else if (at < receivedAt)
        {
            yield return new Violation("at", "This is before the complaint arrived.");
        }
    }
}
