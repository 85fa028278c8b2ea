using Dataward.Domain;
using Dataward.Domain.Consent;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Consent;

/// <summary>How many people consented to each purpose over time (issue 4, point 11): the sum of the events' count changes
/// (+1, -1, 0) per purpose and UTC day, cumulative from the ledger's start. Expiry is evaluated at check time, not
/// recorded as an event, so consent that lapsed by age still counts here until the person's next event.</summary>
public sealed class ConsentTrends(DatawardDbContext db, TimeProvider time)
{
    /// <summary>The last <see cref="ConsentCounts.DefaultDays"/> days, today (UTC) included.</summary>
    public (DateOnly From, DateOnly To) DefaultPeriod()
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        return (today.AddDays(1 - ConsentCounts.DefaultDays), today);
    }

    /// <summary>One purpose's series; unknown purposes are 404, an impossible period 400.</summary>
    public async Task<Outcome<ConsentCountSeries>> PurposeAsync(string key, DateOnly? from, DateOnly? to, CancellationToken cancellationToken = default)
    {
        var purpose = await db.Set<ConsentPurposeRecord>().AsNoTracking().FirstOrDefaultAsync(p => p.Key == key, cancellationToken);
        if (purpose is null)
        {
            return Outcome<ConsentCountSeries>.NotFound("key", "No purpose has this key.");
        }
        var series = await AllAsync(from, to, [purpose], cancellationToken);
        return series.Succeeded ? Outcome<ConsentCountSeries>.Success(series.Value![0]) : Outcome<ConsentCountSeries>.Fail(series.Failure!.Value, [.. series.Violations]);
    }

    /// <summary>Every purpose's series over the period (default: the last 90 days), in key order.</summary>
    public async Task<Outcome<IReadOnlyList<ConsentCountSeries>>> AllAsync(DateOnly? from, DateOnly? to, CancellationToken cancellationToken = default) =>
        await AllAsync(from, to, await db.Set<ConsentPurposeRecord>().AsNoTracking().OrderBy(p => p.Key).ToListAsync(cancellationToken), cancellationToken);

    private async Task<Outcome<IReadOnlyList<ConsentCountSeries>>> AllAsync(DateOnly? from, DateOnly? to, List<ConsentPurposeRecord> purposes,
        CancellationToken cancellationToken)
    {
        var (defaultFrom, defaultTo) = DefaultPeriod();
        var end = to ?? defaultTo;
        var start = from ?? (end > ConsentCounts.Earliest.AddDays(ConsentCounts.DefaultDays) ? end.AddDays(1 - ConsentCounts.DefaultDays) : defaultFrom);
        if (ConsentCounts.ValidatePeriod(start, end) is { } invalid)
        {
            return Outcome<IReadOnlyList<ConsentCountSeries>>.Fail(FailureKind.Invalid, invalid);
        }
        var keys = purposes.Select(p => p.Key).ToList();
        var startAt = new DateTimeOffset(start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var endAt = new DateTimeOffset(end.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var before = await db.Set<ConsentEvent>().AsNoTracking()
            .Where(e => keys.Contains(e.Purpose) && e.OccurredAt < startAt && e.CountChange != 0)
            .GroupBy(e => e.Purpose).Select(g => new { g.Key, Total = g.Sum(e => e.CountChange) })
            .ToDictionaryAsync(g => g.Key, g => g.Total, cancellationToken);
        var changes = (await DailyChangesAsync(startAt, endAt, cancellationToken)).ToLookup(c => c.Purpose);
        var granularity = ConsentCounts.GranularityFor(start, end);
        IReadOnlyList<ConsentCountSeries> series = purposes.Select(p =>
        {
            var baseline = before.GetValueOrDefault(p.Key);
            var days = changes[p.Key].Select(c => (DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + (int)c.Day), (int)c.Change));
            return new ConsentCountSeries(p.Key, p.Title, start, end, granularity, baseline, ConsentCounts.Cumulative(baseline, days, start, end, granularity));
        }).ToList();
        return Outcome<IReadOnlyList<ConsentCountSeries>>.Success(series);
    }

    /// <summary>Summed in the database per purpose and UTC day (days since 1970-01-01), so a long ledger is not loaded
    /// row by row; the day arithmetic is each provider's own.</summary>
    private async Task<List<DailyChange>> DailyChangesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        db.Database.IsSqlite()
            // SqliteDatawardDbContext keeps instants as UTC ticks.
            ? await db.Database.SqlQuery<DailyChange>($"""
                SELECT purpose AS "Purpose", (occurred_at - 621355968000000000) / 864000000000 AS "Day", SUM(count_change) AS "Change"
                FROM consent_events
                WHERE occurred_at >= {from.UtcTicks} AND occurred_at < {to.UtcTicks} AND count_change <> 0
                GROUP BY 1, 2
                """).ToListAsync(cancellationToken)
            : await db.Database.SqlQuery<DailyChange>($"""
                SELECT purpose AS "Purpose", CAST((occurred_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01' AS bigint) AS "Day",
                       CAST(SUM(count_change) AS bigint) AS "Change"
                FROM consent_events
                WHERE occurred_at >= {from} AND occurred_at < {to} AND count_change <> 0
                GROUP BY 1, 2
                """).ToListAsync(cancellationToken);

    private sealed class DailyChange
    {
        public required string Purpose { get; init; }
        public long Day { get; init; }
        public long Change { get; init; }
    }
}
