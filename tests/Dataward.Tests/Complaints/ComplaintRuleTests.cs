using Dataward.Domain.Complaints;

namespace Dataward.Tests.Complaints;

/// <summary>accountability.md §4: the ACC014 acknowledgement clock on the organisation's calendar, and the outcome's wording.</summary>
public sealed class ComplaintRuleTests
{
    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    // The day of receipt is day 1: the 30th day ends at 23:59:59 local time.
    [InlineData("2026-11-25T09:00:00Z", "2026-12-24T23:59:59Z")]
    [InlineData("2026-11-25T00:00:00Z", "2026-12-24T23:59:59Z")]
    [InlineData("2026-11-25T23:59:59Z", "2026-12-24T23:59:59Z")]
    // Leap years: 1 February + 29 days is 1 March in 2028, 2 March in 2027.
    [InlineData("2028-02-01T10:00:00Z", "2028-03-01T23:59:59Z")]
    [InlineData("2027-02-01T10:00:00Z", "2027-03-02T23:59:59Z")]
    [InlineData("2028-02-29T10:00:00Z", "2028-03-29T22:59:59Z")]
    // Month and year ends.
    [InlineData("2026-01-31T10:00:00Z", "2026-03-01T23:59:59Z")]
    [InlineData("2026-12-31T12:00:00Z", "2027-01-29T23:59:59Z")]
    // In summer the day ends at 23:59:59 BST, 22:59:59 UTC.
    [InlineData("2026-03-10T10:00:00Z", "2026-04-08T22:59:59Z")]
    // 23:30 UTC on 30 June is 00:30 on 1 July in London: day 1 is 1 July.
    [InlineData("2026-06-30T23:30:00Z", "2026-07-30T22:59:59Z")]
    // Received in summer time, due after the clocks go back (25 October 2026).
    [InlineData("2026-10-01T12:00:00+01:00", "2026-10-30T23:59:59Z")]
    public void ACC014_ackDueAt_is_the_end_of_the_30th_local_day_counting_the_day_of_receipt(string received, string due)
    {
        var ackDueAt = ComplaintClock.AckDueAt(At(received), London);
        ackDueAt.ShouldBe(At(due));
        ackDueAt.Offset.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void ACC014_the_reply_target_counts_the_same_way()
    {
        ComplaintClock.ReplyDueAt(At("2026-11-25T09:00:00Z"), 30, London).ShouldBe(ComplaintClock.AckDueAt(At("2026-11-25T09:00:00Z"), London));
        ComplaintClock.ReplyDueAt(At("2026-11-25T09:00:00Z"), 1, London).ShouldBe(At("2026-11-25T23:59:59Z"));
        ComplaintClock.ReplyDueAt(At("2028-02-20T09:00:00Z"), 10, London).ShouldBe(At("2028-02-29T23:59:59Z"));
    }

    [Theory]
    [InlineData(ComplaintResults.Upheld, "We agree with your complaint.")]
    [InlineData(ComplaintResults.PartlyUpheld, "We agree with part of your complaint.")]
    [InlineData(ComplaintResults.NotUpheld, "We do not agree that we got this wrong")]
    public void ACC014_every_outcome_tells_the_person_of_their_right_to_complain_to_the_ico(string result, string sentence)
    {
        var letter = ComplaintLetters.Outcome("CMP-2026-0001", result, "We have corrected your address.", "Example Ltd");
        letter.ShouldContain(sentence);
        letter.ShouldContain("We have corrected your address.");
        letter.ShouldContain("Information Commissioner's");
        letter.ShouldContain("https://ico.org.uk/make-a-complaint/");
        ComplaintLetters.MentionsIcoRight(letter).ShouldBeTrue();
        ComplaintLetters.MentionsIcoRight("We have corrected your address.").ShouldBeFalse();
    }

    [Fact]
    public void ACC014_a_privacy_centre_or_email_complaint_needs_an_email_address_and_any_complaint_a_way_to_reply()
    {
        var now = At("2026-11-25T09:00:00Z");
        ComplaintRules.Intake(ComplaintChannels.PrivacyCentre, null, "0123", null, "s", "d", now, now)
            .ShouldContain(v => v.Field == "complainant.email" && v.RuleId == "ACC014");
        ComplaintRules.Intake(ComplaintChannels.Post, null, null, null, "s", "d", now, now).ShouldContain(v => v.Field == "complainant");
        ComplaintRules.Intake(ComplaintChannels.Post, null, null, "1 High Street", "s", "d", now, now).ShouldBeEmpty();
        ComplaintRules.Intake(ComplaintChannels.Phone, "not-an-address", null, null, "s", "d", now, now).ShouldContain(v => v.Field == "complainant.email");
        ComplaintRules.Intake(ComplaintChannels.Email, "a@example.org", null, null, "s", "d", now.AddHours(1), now).ShouldContain(v => v.Field == "receivedAt");
        ComplaintRules.Intake(ComplaintChannels.Email, "a@example.org", null, null, "s", "d", now.AddYears(-2), now).ShouldContain(v => v.Field == "receivedAt");
    }
}
