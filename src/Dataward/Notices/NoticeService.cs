using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Notices;

/// <summary>A notice as the API and the privacy centre show it.</summary>
public sealed record NoticeView(Guid Id, string? Version, string Language, string Title, string Body, bool Substantial,
    IReadOnlyList<string> Purposes, DateTimeOffset? EffectiveAt, DateTimeOffset? PublishedAt, IReadOnlyList<string> ChangedPurposes,
    DateTimeOffset? RenewBy, IReadOnlyList<Consent.RenewalCount>? Renewals = null);

/// <summary>A draft notice. For a substantial change, <paramref name="ChangedPurposes"/> names the purposes whose wording
/// changed (all it covers when left out) and <paramref name="RenewBy"/> optionally ends earlier consents (CNS018).</summary>
public sealed record NoticeRequest(string Language, string Title, string Body, bool Substantial = false, IReadOnlyList<string>? Purposes = null,
    DateTimeOffset? EffectiveAt = null, IReadOnlyList<string>? ChangedPurposes = null, DateTimeOffset? RenewBy = null);


/// <summary>Privacy notices: drafts, then published versions that never change (their wording is evidence of
/// what people agreed to).</summary>
public sealed class NoticeService(DatawardDbContext db, AuditTrail audit, Consent.ConsentRenewals renewals, TimeProvider time)
{
    public async Task<IReadOnlyList<NoticeView>> ListAsync(CancellationToken cancellationToken = default) =>
        (await db.Set<NoticeRecord>().AsNoTracking().ToListAsync(cancellationToken))
            .OrderByDescending(n => n.Version ?? int.MaxValue).ThenByDescending(n => n.CreatedAt).Select(View).ToList();

    public async Task<NoticeView?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        await db.Set<NoticeRecord>().AsNoTracking().FirstOrDefaultAsync(n => n.Id == id, cancellationToken) is { } n ? View(n) : null;

    /// <summary>The published notice with this version, or null.</summary>
    public async Task<NoticeView?> PublishedAsync(string? version, CancellationToken cancellationToken = default) =>
        int.TryParse(version, out var number)
            && await db.Set<NoticeRecord>().AsNoTracking().FirstOrDefaultAsync(n => n.Version == number, cancellationToken) is { } n
            ? View(n)
            : null;

    public async Task<Outcome<NoticeView>> CreateAsync(NoticeRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var purposes = request.Purposes ?? [];
        var violations = new List<Violation>();
        if (string.IsNullOrWhiteSpace(request.Language) || request.Language.Length > 20)
        {
            violations.Add(new Violation("language", "Give the notice's language, e.g. en or en-GB."));
        }
        if (string.IsNullOrWhiteSpace(request.Title) || request.Title.Length > 300)
        {
            violations.Add(new Violation("title", "Give the notice a title of up to 300 characters."));
        }
        if (string.IsNullOrWhiteSpace(request.Body))
        {
            violations.Add(new Violation("body", "The notice needs its text (Markdown)."));
        }
        var known = await db.Set<Consent.ConsentPurposeRecord>().Select(p => p.Key).ToListAsync(cancellationToken);
        violations.AddRange(purposes.Where(p => !known.Contains(p)).Select(p => new Violation("purposes", $"There is no consent purpose '{p}'.")));
        var changed = request.ChangedPurposes ?? [];
        violations.AddRange(changed.Where(p => !purposes.Contains(p))
            .Select(p => new Violation("changedPurposes", $"'{p}' is not among the purposes this notice covers.", "CNS018")));
        if (!request.Substantial && (changed.Count > 0 || request.RenewBy is not null))
        {
            violations.Add(new Violation("substantial", "Only a substantial change asks people to renew consent: mark it substantial, or leave out changedPurposes and renewBy.", "CNS018"));
        }
        if (violations.Count > 0)
        {
            return Outcome<NoticeView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var record = new NoticeRecord
        {
            Language = request.Language.Trim(),
            Title = request.Title.Trim(),
            Body = request.Body,
            Substantial = request.Substantial,
            Purposes = JsonSerializer.Serialize(purposes.Distinct().Order()),
            EffectiveAt = request.EffectiveAt,
            ChangedPurposes = request.Substantial ? JsonSerializer.Serialize((request.ChangedPurposes ?? purposes).Distinct().Order()) : null,
            RenewBy = request.RenewBy,
            CreatedAt = time.GetUtcNow(),
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Add(record);
        await audit.RecordAsync(actor, "notices.drafted", $"notice:{record.Id}", null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<NoticeView>.Success(View(record));
    }

    /// <summary>Publishes a draft as the next version; from then on it cannot change. A substantial version asks the
    /// people whose consent rests on earlier wording to renew it (CNS018), in the same transaction.</summary>
    public async Task<Outcome<NoticeView>> PublishAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Set<NoticeRecord>().FirstOrDefaultAsync(n => n.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<NoticeView>.NotFound("id", "No notice has this id.");
        }
        if (record.Version is not null)
        {
            return Outcome<NoticeView>.Conflict("id", $"This notice is already published as version {record.Version}; published notices never change.");
        }
        var now = time.GetUtcNow();
        record.Version = (await db.Set<NoticeRecord>().MaxAsync(n => n.Version, cancellationToken) ?? 0) + 1;
        record.PublishedAt = now;
        record.EffectiveAt ??= now;
        await db.SaveChangesAsync(cancellationToken);
        var asked = record.Substantial
            ? await renewals.RequestAsync(record.Version.Value, JsonSerializer.Deserialize<List<string>>(record.ChangedPurposes ?? record.Purposes) ?? [],
                record.RenewBy, now, cancellationToken)
            : [];
        await audit.RecordAsync(actor, "notices.published", $"notice:{record.Id}", new JsonObject
        {
            ["version"] = record.Version,
            ["substantial"] = record.Substantial,
            ["renewalsRequested"] = asked.Sum(r => r.Total),
        }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<NoticeView>.Success(View(record) with { Renewals = asked });
    }

    /// <summary>CNS018: renewed and total per purpose for a published substantial version.</summary>
    public async Task<IReadOnlyList<Consent.RenewalCount>?> RenewalsAsync(Guid id, CancellationToken cancellationToken = default) =>
        await db.Set<NoticeRecord>().AsNoTracking().FirstOrDefaultAsync(n => n.Id == id, cancellationToken) is { } notice
            ? notice.Version is { } version ? await renewals.CountsAsync(version, cancellationToken) : []
            : null;

    private static NoticeView View(NoticeRecord n) => new(n.Id, n.Version?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        n.Language, n.Title, n.Body, n.Substantial, JsonSerializer.Deserialize<List<string>>(n.Purposes) ?? [], n.EffectiveAt, n.PublishedAt,
        n.ChangedPurposes is null ? [] : JsonSerializer.Deserialize<List<string>>(n.ChangedPurposes) ?? [], n.RenewBy);
}
