using Dataward.Domain.Consent;

namespace Dataward.Tests.Consent;

/// <summary>The rules behind the staff views that need no database.</summary>
public sealed class ConsentStaffRulesTests
{
    [Theory]
    [InlineData("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com", "2ed6657d-e927-568b-95e1-2665a8aea6a2")] // RFC 9562 A.4
    [InlineData("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org", "886313e1-3b8a-5372-9b90-0c9aee199e5d")]
    public void Name_based_uuids_follow_rfc_9562_version_5(string ns, string name, string expected)
    {
        var id = NameBasedUuid.Version5(Guid.Parse(ns), name);
        id.ShouldBe(Guid.Parse(expected));
        id.Version.ShouldBe(5);
        NameBasedUuid.Version5(Guid.Parse(ns), name).ShouldBe(id);
    }

    [Fact]
    public void A_consent_record_id_is_the_same_for_a_pair_and_differs_between_pairs()
    {
        NameBasedUuid.ConsentRecordId("abc", "newsletter").ShouldBe(NameBasedUuid.ConsentRecordId("abc", "newsletter"));
        NameBasedUuid.ConsentRecordId("abc", "newsletter").ShouldNotBe(NameBasedUuid.ConsentRecordId("abc", "offers"));
        NameBasedUuid.ConsentRecordId("abc", "newsletter").ShouldNotBe(NameBasedUuid.ConsentRecordId("abd", "newsletter"));
    }

    [Fact]
    public void Counts_accumulate_from_the_total_before_the_period_and_group_long_periods()
    {
        var from = new DateOnly(2026, 1, 1);
        (DateOnly, int)[] changes = [(from.AddDays(-5), 9), (from, 1), (from.AddDays(2), -1), (from.AddDays(2), 2), (from.AddDays(10), 5)];
        ConsentCounts.Cumulative(3, changes, from, from.AddDays(3), ConsentCounts.Day).Select(p => p.Count).ShouldBe([4, 4, 5, 5]);
        ConsentCounts.Cumulative(3, changes, from, from.AddDays(13), ConsentCounts.Week).ShouldBe(
            [new ConsentCountPoint(from, 5), new ConsentCountPoint(from.AddDays(7), 10)]);
        var months = ConsentCounts.Cumulative(0, changes, new DateOnly(2025, 12, 15), new DateOnly(2026, 2, 10), ConsentCounts.Month);
        months.Select(p => p.Date).ShouldBe([new DateOnly(2025, 12, 15), new DateOnly(2026, 1, 1), new DateOnly(2026, 2, 1)]);
        months.Select(p => p.Count).ShouldBe([9, 16, 16]);
        ConsentCounts.GranularityFor(from, from.AddDays(89)).ShouldBe("day");
        ConsentCounts.GranularityFor(from, from.AddDays(400)).ShouldBe("week");
        ConsentCounts.GranularityFor(from, from.AddYears(5)).ShouldBe("month");
        ConsentCounts.ValidatePeriod(from, from.AddDays(-1))!.Field.ShouldBe("from");
        ConsentCounts.ValidatePeriod(from, from.AddDays(ConsentCounts.MaxDays))!.Field.ShouldBe("from");
        ConsentCounts.ValidatePeriod(from, new DateOnly(9999, 12, 31))!.Field.ShouldBe("to");
        ConsentCounts.ValidatePeriod(from, from).ShouldBeNull();
    }
}
