using Dataward.Domain.Retention;

namespace Dataward.Tests.Retention;

/// <summary>The period arithmetic of §2.1: ISO 8601 durations, calendar months that clamp at the month end, and the
/// bound the sweep's SQL uses, which must never leave out an expired row.</summary>
public sealed class RetentionPeriodTests
{
    [Theory]
    [InlineData("P2Y", 24, 0)]
    [InlineData("P18M", 18, 0)]
    [InlineData("P30D", 0, 30)]
    [InlineData("p1y6m2w3d", 18, 17)]
    public void Periods_are_iso_8601_durations(string text, int months, int days)
    {
        var (period, error) = RetentionPeriod.Parse(text);
        error.ShouldBeNull();
        period.ShouldBe(new RetentionPeriod(months, days));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("P0D")]
    [InlineData("P0Y0M")]
    [InlineData("-P1Y")]
    [InlineData("P")]
    [InlineData("2 years")]
    [InlineData("PT12H")]
    [InlineData("P9999Y")]
    public void MIN001_a_period_of_zero_negative_or_not_iso_8601_is_refused(string? text)
    {
        var (period, error) = RetentionPeriod.Parse(text);
        period.ShouldBeNull();
        error.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public void Months_clamp_at_the_month_end()
    {
        var period = RetentionPeriod.Parse("P1M").Period!;
        period.End(new DateTime(2025, 1, 31, 10, 0, 0, DateTimeKind.Utc)).ShouldBe(new DateTime(2025, 2, 28, 10, 0, 0, DateTimeKind.Utc));
        period.End(new DateTime(2024, 1, 31, 10, 0, 0, DateTimeKind.Utc)).ShouldBe(new DateTime(2024, 2, 29, 10, 0, 0, DateTimeKind.Utc));
        // Years and months add together (as XML Schema does): 29 February + 1 year 1 month is 29 March.
        RetentionPeriod.Parse("P1Y1M").Period!.End(new DateTime(2024, 2, 29, 0, 0, 0, DateTimeKind.Utc)).ShouldBe(new DateTime(2025, 3, 29, 0, 0, 0, DateTimeKind.Utc));
    }

    [Fact]
    public void A_row_expires_only_once_trigger_plus_period_is_past()
    {
        var period = RetentionPeriod.Parse("P2Y").Period!;
        var now = new DateTime(2026, 11, 25, 9, 0, 0, DateTimeKind.Utc);
        period.IsExpired(new DateTime(2024, 11, 25, 8, 59, 59, DateTimeKind.Utc), now).ShouldBeTrue();
        period.IsExpired(new DateTime(2024, 11, 25, 9, 0, 0, DateTimeKind.Utc), now).ShouldBeFalse("equal is not yet past");
        period.IsExpired(DateTime.MaxValue, now).ShouldBeFalse();
    }

    public static TheoryData<string> Periods() => ["P1M", "P2Y", "P18M", "P30D", "P1M3D", "P1Y1M", "P6Y"];

    [Theory]
    [MemberData(nameof(Periods))]
    public void The_sql_bound_keeps_every_expired_trigger_and_is_exact_away_from_month_ends(string text)
    {
        var period = RetentionPeriod.Parse(text).Period!;
        var random = new Random(20261125);
        for (var i = 0; i < 3000; i++)
        {
            var now = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(random.Next(0, 6 * 365 * 24 * 60));
            var bound = period.CandidateBound(now);
            // Triggers around the bound and around the month ends before it.
            foreach (var trigger in Around(bound, random).Concat(Around(now.AddMonths(-period.Months).AddDays(-period.Days), random)))
            {
                if (period.IsExpired(trigger, now))
                {
                    trigger.ShouldBeLessThan(bound, $"{text}, now {now:O}, trigger {trigger:O}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Periods))]
    public void MIN007_every_trigger_below_the_settled_bound_is_expired_whatever_month_ends_do(string text)
    {
        // A typed store hands back no trigger below the settled bound, so the sweep judges those rows expired unread.
        var period = RetentionPeriod.Parse(text).Period!;
        var random = new Random(20261126);
        for (var i = 0; i < 3000; i++)
        {
            var now = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(random.Next(0, 6 * 365 * 24 * 60));
            var settled = period.SettledBound(now);
            settled.ShouldBeLessThanOrEqualTo(period.CandidateBound(now));
            // Triggers just below it, on the month ends before it, and late on each of the 40 days before it.
            var triggers = Around(settled, random).Where(t => t < settled).Append(settled.AddTicks(-1))
                .Concat(Enumerable.Range(1, 40).Select(d => settled.Date.AddDays(-d).AddHours(23).AddMinutes(random.Next(0, 60))));
            foreach (var trigger in triggers)
            {
                period.IsExpired(trigger, now).ShouldBeTrue($"{text}, now {now:O}, trigger {trigger:O}, settled {settled:O}");
            }
        }
    }

    private static IEnumerable<DateTime> Around(DateTime instant, Random random)
    {
        for (var j = 0; j < 12; j++)
        {
            yield return instant.AddMinutes(random.Next(-4 * 24 * 60, 4 * 24 * 60));
        }
        yield return instant;
        yield return instant.AddTicks(-1);
    }
}
