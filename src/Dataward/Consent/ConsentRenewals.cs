using Dataward.Domain.Consent;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Consent;

/// <summary>How many of the people asked to renew consent to a purpose after a substantial notice change have done so.</summary>
public sealed record RenewalCount(string Purpose, int Renewed, int Total);

/// <summary>CNS018: when a notice version changes a purpose's wording substantially, the consents given under earlier
/// versions need renewing. They keep counting (until the DPO's renew-by date, if any) and a new <c>given</c> renews them.</summary>
public sealed class ConsentRenewals(DatawardDbContext db, Shredding.SubjectKeys subjectKeys, EmailOutbox outbox, IConfiguration configuration)
{
    /// <summary>Marks the affected consents and queues one message per person, in the caller's transaction. Set-based, so
    /// it does not load the affected rows into memory except to address the messages.</summary>
    public async Task<IReadOnlyList<RenewalCount>> RequestAsync(int version, IReadOnlyList<string> purposes, DateTimeOffset? renewBy,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var versionText = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        object requestedAt = db.Database.IsSqlite() ? now.UtcTicks : now;
        foreach (var purpose in purposes)
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO consent_renewals (notice_version, purpose, subject_hash, requested_at)
                SELECT {version}, purpose, subject_hash, {requestedAt} FROM consent_states
                WHERE purpose = {purpose} AND latest_action = {ConsentActions.Given} AND pending_parent = {false}
                  AND (notice_version IS NULL OR notice_version <> {versionText})
                """, cancellationToken);
            await db.Set<ConsentStateRecord>()
                .Where(s => s.Purpose == purpose && db.Set<ConsentRenewalRecord>()
                    .Any(r => r.NoticeVersion == version && r.Purpose == s.Purpose && r.SubjectHash == s.SubjectHash))
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.RenewalRequired, true).SetProperty(s => s.RenewBy, renewBy), cancellationToken);
        }
        await NotifyAsync(version, renewBy, cancellationToken);
        return await CountsAsync(version, cancellationToken);
    }

    /// <summary>Renewed and total per purpose for one notice version.</summary>
    public async Task<IReadOnlyList<RenewalCount>> CountsAsync(int version, CancellationToken cancellationToken = default) =>
        (await db.Set<ConsentRenewalRecord>().AsNoTracking().Where(r => r.NoticeVersion == version)
            .GroupBy(r => r.Purpose)
            .Select(g => new { g.Key, Renewed = g.Count(r => r.RenewedAt != null), Total = g.Count() })
            .ToListAsync(cancellationToken))
        .OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new RenewalCount(c.Key, c.Renewed, c.Total)).ToList();

    /// <summary>Renewed and total per purpose for every substantial version, for the notices page.</summary>
    public async Task<IReadOnlyDictionary<int, IReadOnlyList<RenewalCount>>> AllCountsAsync(CancellationToken cancellationToken = default) =>
        (await db.Set<ConsentRenewalRecord>().AsNoTracking()
            .GroupBy(r => new { r.NoticeVersion, r.Purpose })
            .Select(g => new { g.Key.NoticeVersion, g.Key.Purpose, Renewed = g.Count(r => r.RenewedAt != null), Total = g.Count() })
            .ToListAsync(cancellationToken))
        .GroupBy(c => c.NoticeVersion)
        .ToDictionary(g => g.Key, g => (IReadOnlyList<RenewalCount>)g.OrderBy(c => c.Purpose, StringComparer.Ordinal)
            .Select(c => new RenewalCount(c.Purpose, c.Renewed, c.Total)).ToList());

    /// <summary>One message per person, naming every purpose that needs renewing; people known only by a customer id, or
    /// whose identifier was erased, get none.</summary>
    private async Task NotifyAsync(int version, DateTimeOffset? renewBy, CancellationToken cancellationToken)
    {
        var rows = await (from r in db.Set<ConsentRenewalRecord>().AsNoTracking()
                          where r.NoticeVersion == version
                          join s in db.Set<ConsentStateRecord>().AsNoTracking() on new { r.SubjectHash, r.Purpose } equals new { s.SubjectHash, s.Purpose }
                          join e in db.Set<ConsentEvent>().AsNoTracking() on s.EventId equals e.EventId
                          join p in db.Set<ConsentPurposeRecord>().AsNoTracking() on r.Purpose equals p.Key
                          where e.SubjectEncrypted != null
                          select new { r.SubjectHash, e.SubjectEncrypted, p.Title }).ToListAsync(cancellationToken);
        var site = (configuration["PublicUrl"] ?? Platform.Web.DatawardApp.DefaultUrl).TrimEnd('/');
        foreach (var person in rows.GroupBy(r => r.SubjectHash))
        {
            var address = await subjectKeys.DecryptOrNullAsync(person.First().SubjectEncrypted!, ConsentService.SubjectHashPurpose, cancellationToken);
            if (address is null || !address.Contains('@'))
            {
                continue;
            }
            var titles = string.Join("\n", person.Select(p => $"- {p.Title}").Distinct());
            var until = renewBy is { } by ? $"Your earlier consent counts until {by:d MMMM yyyy}; after that we will stop unless you renew it." : "";
            outbox.Enqueue(address, "We have changed our privacy notice: please check your choices", $"""
                We have changed what we tell you about how we use your data for:
                {titles}

                Please read the new notice and tell us whether you still agree. {until}
                You can agree again, or withdraw, in one step at our privacy centre:
                {site}/privacy/preferences

                If you do nothing, we will not assume you agree to anything new.
                """, "consent.renewal");
        }
    }
}
