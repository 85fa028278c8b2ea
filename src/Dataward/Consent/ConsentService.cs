using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Domain.Audit;
using Dataward.Domain.Consent;
using Dataward.Notices;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Register;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Consent;

public sealed record ConsentPurposeRequest(string Key, string Title, string Description, IReadOnlyList<Guid>? Activities = null,
    bool Explicit = false, bool Sensitive = false, bool Children = false, bool SaleOrSharing = false, bool DirectMarketing = false,
    int? RefreshAfterDays = null);

public sealed record ConsentPurposeView(string Key, string Title, string Description, IReadOnlyList<Guid> Activities, bool Explicit,
    bool Sensitive, bool Children, bool SaleOrSharing, bool DirectMarketing, int? RefreshAfterDays, bool Retired);

public sealed record ConsentEventRequest(string Subject, string Purpose, string Action, string? NoticeVersion = null, string Method = "api",
    DateTimeOffset? OccurredAt = null, ConsentEvidence? Evidence = null);

/// <summary>What recording an event did: the receipt's id and the state it leaves.</summary>
public sealed record RecordedConsent(Guid EventId, string State, bool Allowed, string Receipt);

/// <summary>The answer to "may we process this person's data for this purpose?", with its basis.</summary>
public sealed record ConsentCheck(string Purpose, bool Allowed, string State, Guid? EventId, string? NoticeVersion);

public sealed record ConsentCheckItem(string Subject, string Purpose);

/// <summary>What a withdrawal link would withdraw, and whether it already has or can no longer.</summary>
public sealed record WithdrawalPreview(string PurposeTitle, string PurposeDescription, bool AlreadyWithdrawn, bool Expired);

/// <summary>One answer of a batch: the check, or why that pair could not be checked.</summary>
public sealed record ConsentCheckResult(string Subject, string Purpose, bool Allowed, string? State, Guid? EventId, string? NoticeVersion, string? Error);

/// <summary>The consent ledger: purposes, append-only events with receipts anchored in the audit trail, and checks
/// answered from a per-(subject, purpose) projection updated in the same transaction as each event.</summary>
public sealed class ConsentService(DatawardDbContext db, NoticeService notices, RegisterService register, KeyRing keys, AuditTrail audit,
    Platform.Email.EmailOutbox outbox, WithdrawalLinks links, IConfiguration configuration, TimeProvider time)
{
    public const string SubjectHashPurpose = "consent.subject";
    public const int MaxBatch = 1000;

    // CNS012: the purpose (its refresh period; an unknown one is a 404) and the subject's state by primary key, in one
    // statement on a plain pooled connection: through EF it cost several times the lookup (docs/benchmarks.md, ADR 0001).
    private const string CheckSql = "SELECT p.refresh_after_days, s.latest_action, s.ever_given, s.given_at, s.event_id, s.notice_version " +
        "FROM consent_purposes p LEFT JOIN consent_states s ON s.purpose = p.key AND s.subject_hash = @hash WHERE p.key = @purpose";

    public string HashSubject(string subject) => keys.Hash(ConsentRules.NormaliseSubject(subject), SubjectHashPurpose);

    public async Task<IReadOnlyList<ConsentPurposeView>> ListPurposesAsync(CancellationToken cancellationToken = default) =>
        (await db.Set<ConsentPurposeRecord>().AsNoTracking().OrderBy(p => p.Key).ToListAsync(cancellationToken)).Select(View).ToList();

    /// <summary>How many people currently consent to each purpose (the latest event is <c>given</c>).</summary>
    public async Task<IReadOnlyDictionary<string, int>> GivenCountsAsync(CancellationToken cancellationToken = default) =>
        await db.Set<ConsentStateRecord>().AsNoTracking().Where(s => s.LatestAction == ConsentActions.Given)
            .GroupBy(s => s.Purpose).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);

    public async Task<ConsentPurposeView?> GetPurposeAsync(string key, CancellationToken cancellationToken = default) =>
        await db.Set<ConsentPurposeRecord>().AsNoTracking().FirstOrDefaultAsync(p => p.Key == key, cancellationToken) is { } p ? View(p) : null;

    public async Task<Outcome<ConsentPurposeView>> CreatePurposeAsync(ConsentPurposeRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = await ValidatePurposeAsync(request, cancellationToken);
        if (!ConsentRules.IsPurposeKey(request.Key))
        {
            violations.Insert(0, new Violation("key", "Use 2 to 64 lower-case letters, digits and hyphens, e.g. newsletter.", "CNS002")); // CNS002
        }
        if (violations.Count > 0)
        {
            return Outcome<ConsentPurposeView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.Set<ConsentPurposeRecord>().AnyAsync(p => p.Key == request.Key, cancellationToken))
        {
            return Outcome<ConsentPurposeView>.Conflict("key", $"A purpose '{request.Key}' already exists.");
        }
        var now = time.GetUtcNow();
        var record = new ConsentPurposeRecord { Key = request.Key, Title = "", Description = "", CreatedAt = now };
        Apply(record, request, now);
        db.Add(record);
        await audit.RecordAsync(actor, "consent.purpose_created", $"purpose:{record.Key}", null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<ConsentPurposeView>.Success(View(record));
    }

    public async Task<Outcome<ConsentPurposeView>> UpdatePurposeAsync(string key, ConsentPurposeRequest request, string actor, CancellationToken cancellationToken = default)
    {
        if (request.Key != key)
        {
            return Outcome<ConsentPurposeView>.Invalid("key", "A purpose's key never changes; create a new purpose instead.", "CNS002");
        }
        var violations = await ValidatePurposeAsync(request, cancellationToken);
        if (violations.Count > 0)
        {
            return Outcome<ConsentPurposeView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Set<ConsentPurposeRecord>().FirstOrDefaultAsync(p => p.Key == key, cancellationToken);
        if (record is null)
        {
            return Outcome<ConsentPurposeView>.NotFound("key", "No purpose has this key.");
        }
        Apply(record, request, time.GetUtcNow());
        await audit.RecordAsync(actor, "consent.purpose_updated", $"purpose:{key}", null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<ConsentPurposeView>.Success(View(record));
    }

    /// <summary>A retired purpose takes withdrawals but no new consent.</summary>
    public async Task<Outcome<ConsentPurposeView>> RetirePurposeAsync(string key, string actor, CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Set<ConsentPurposeRecord>().FirstOrDefaultAsync(p => p.Key == key, cancellationToken);
        if (record is null)
        {
            return Outcome<ConsentPurposeView>.NotFound("key", "No purpose has this key.");
        }
        record.Retired = true;
        record.UpdatedAt = time.GetUtcNow();
        await audit.RecordAsync(actor, "consent.purpose_retired", $"purpose:{key}", null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<ConsentPurposeView>.Success(View(record));
    }

    /// <summary>CNS002: a purpose that consent records point at can be retired, never deleted.</summary>
    public async Task<Outcome<string>> DeletePurposeAsync(string key, string actor, CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Set<ConsentPurposeRecord>().FirstOrDefaultAsync(p => p.Key == key, cancellationToken);
        if (record is null)
        {
            return Outcome<string>.NotFound("key", "No purpose has this key.");
        }
        if (await db.Set<ConsentEvent>().AnyAsync(e => e.Purpose == key, cancellationToken))
        {
            return Outcome<string>.Conflict("key", "Consent records point at this purpose: retire it instead.", "CNS002");
        }
        db.Remove(record);
        await audit.RecordAsync(actor, "consent.purpose_deleted", $"purpose:{key}", null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<string>.Success(key);
    }

    /// <summary>Appends one event (CNS001, CNS005), updates the projection and writes the audit entry the receipt is
    /// anchored to, all in one transaction.</summary>
    public async Task<Outcome<RecordedConsent>> RecordAsync(ConsentEventRequest request, string actor, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(request.Subject) || request.Subject.Length > 320)
        {
            return Outcome<RecordedConsent>.Invalid("subject", "Give the person's identifier (an e-mail address or customer id, up to 320 characters).");
        }
        var purpose = await db.Set<ConsentPurposeRecord>().AsNoTracking().FirstOrDefaultAsync(p => p.Key == request.Purpose, cancellationToken);
        if (purpose is null)
        {
            return Outcome<RecordedConsent>.Invalid("purpose", $"There is no consent purpose '{request.Purpose}'.", "CNS003");
        }
        var now = time.GetUtcNow();
        var notice = request.Action == ConsentActions.Given ? await notices.PublishedAsync(request.NoticeVersion, cancellationToken) : null;
        var violations = ConsentRules.ValidateEvent(request.Action, request.Method, purpose.Retired, purpose.Explicit, request.NoticeVersion,
            notice is null ? null : notice.Purposes.Contains(purpose.Key), request.Evidence, request.OccurredAt, now);
        if (violations.Count > 0)
        {
            return Outcome<RecordedConsent>.Fail(FailureKind.Invalid, [.. violations]);
        }
        // Two first events for the same subject and purpose may race to create the projection row; the loser retries.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AppendAsync(request, purpose, now, actor, cancellationToken);
            }
            catch (DbUpdateException e) when (attempt < 3 && IsDuplicateKey(e))
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    private static bool IsDuplicateKey(DbUpdateException e) => e.InnerException switch
    {
        Npgsql.PostgresException pg => pg.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteExtendedErrorCode is 1555 or 2067,
        _ => false,
    };

    private async Task<Outcome<RecordedConsent>> AppendAsync(ConsentEventRequest request, ConsentPurposeRecord purpose, DateTimeOffset now,
        string actor, CancellationToken cancellationToken)
    {
        var hash = HashSubject(request.Subject);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var consent = new ConsentEvent
        {
            SubjectHash = hash,
            SubjectEncrypted = keys.Encrypt(ConsentRules.NormaliseSubject(request.Subject), SubjectHashPurpose),
            Purpose = purpose.Key,
            Action = request.Action,
            NoticeVersion = request.NoticeVersion,
            Method = request.Method,
            OccurredAt = request.OccurredAt ?? now,
            RecordedAt = now,
            Evidence = JsonSerializer.Serialize(request.Evidence ?? new ConsentEvidence(), RegisterService.Json),
            Actor = actor,
            AuditHash = "",
        };
        // The audit entry names the event and purpose, never the person.
        var entry = await audit.RecordAsync(actor, $"consent.{request.Action}", $"consent:{consent.EventId}",
            new JsonObject { ["purpose"] = purpose.Key, ["method"] = request.Method, ["noticeVersion"] = request.NoticeVersion }, cancellationToken);
        consent.AuditHash = entry.Hash;
        db.Add(consent);
        var state = await db.Set<ConsentStateRecord>().FirstOrDefaultAsync(s => s.SubjectHash == hash && s.Purpose == purpose.Key, cancellationToken);
        if (state is null)
        {
            state = new ConsentStateRecord { SubjectHash = hash, Purpose = purpose.Key, LatestAction = request.Action };
            db.Add(state);
        }
        state.LatestAction = request.Action;
        state.EventId = consent.EventId;
        state.NoticeVersion = request.Action == ConsentActions.Given ? request.NoticeVersion : state.NoticeVersion;
        state.EverGiven |= request.Action == ConsentActions.Given;
        state.GivenAt = request.Action == ConsentActions.Given ? consent.OccurredAt : state.GivenAt;
        state.UpdatedAt = now;
        if (request.Action == ConsentActions.Given && ConsentRules.NormaliseSubject(request.Subject) is var address && address.Contains('@'))
        {
            // CNS007: the person gets a copy, with a link that withdraws this consent in one click.
            outbox.Enqueue(address, $"Your consent: {purpose.Title}", ReceiptMessage(purpose, consent, links.Create(consent.EventId, hash, purpose.Key)),
                "consent.receipt");
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var (derived, allowed) = ConsentRules.StateOf(state.LatestAction, state.EverGiven, state.GivenAt, purpose.RefreshAfterDays, now);
        return Outcome<RecordedConsent>.Success(new RecordedConsent(consent.EventId, derived, allowed, $"/api/consent/receipts/{consent.EventId}"));
    }

    private string ReceiptMessage(ConsentPurposeRecord purpose, ConsentEvent consent, string token)
    {
        var site = (configuration["PublicUrl"] ?? Platform.Web.DatawardApp.DefaultUrl).TrimEnd('/');
        return $"""
            You agreed to: {purpose.Title}
            {purpose.Description}

            When: {consent.OccurredAt:yyyy-MM-dd HH:mm} UTC, under privacy notice version {consent.NoticeVersion}.
            Receipt: {consent.EventId}

            You can withdraw this consent at any time, as easily as you gave it. One click:
            {site}/privacy/withdraw?t={token}

            Withdrawing does not affect what was done before, and costs you nothing.
            """;
    }

    /// <summary>What a withdrawal link would withdraw, for the page that shows its single button.</summary>
    public async Task<Outcome<WithdrawalPreview>> PreviewWithdrawalAsync(string? token, CancellationToken cancellationToken = default)
    {
        var (link, consent, failure) = await ReadLinkAsync(token, cancellationToken);
        if (link is null)
        {
            return Outcome<WithdrawalPreview>.Fail(FailureKind.Invalid, failure!);
        }
        var purpose = await db.Set<ConsentPurposeRecord>().AsNoTracking().FirstAsync(p => p.Key == link.Purpose, cancellationToken);
        var state = await db.Set<ConsentStateRecord>().AsNoTracking()
            .FirstOrDefaultAsync(s => s.SubjectHash == consent!.SubjectHash && s.Purpose == link.Purpose, cancellationToken);
        return Outcome<WithdrawalPreview>.Success(new WithdrawalPreview(purpose.Title, purpose.Description,
            state?.LatestAction == ConsentActions.Withdrawn, links.HasExpired(link)));
    }

    /// <summary>CNS008-CNS010: the link's POST withdraws, once; using it again changes nothing (CNS009).</summary>
    public async Task<Outcome<WithdrawalPreview>> WithdrawByLinkAsync(string? token, CancellationToken cancellationToken = default)
    {
        var preview = await PreviewWithdrawalAsync(token, cancellationToken);
        if (!preview.Succeeded || preview.Value!.AlreadyWithdrawn)
        {
            return preview;
        }
        if (preview.Value.Expired)
        {
            return Outcome<WithdrawalPreview>.Conflict("t", "This link has expired. Your consent is unchanged: use the privacy centre, or reply to the e-mail, to withdraw it.", "CNS009");
        }
        var (link, consent, _) = await ReadLinkAsync(token, cancellationToken);
        var recorded = await RecordAsync(new ConsentEventRequest(keys.Decrypt(consent!.SubjectEncrypted, SubjectHashPurpose), link!.Purpose,
            ConsentActions.Withdrawn, Method: "email-link", Evidence: new ConsentEvidence(FormId: "withdrawal-link")), "subject", cancellationToken);
        return recorded.Succeeded
            ? Outcome<WithdrawalPreview>.Success(preview.Value with { AlreadyWithdrawn = true })
            : Outcome<WithdrawalPreview>.Fail(recorded.Failure!.Value, [.. recorded.Violations]);
    }

    private async Task<(WithdrawalLink? Link, ConsentEvent? Event, Violation? Failure)> ReadLinkAsync(string? token, CancellationToken cancellationToken)
    {
        var tampered = new Violation("t", "This withdrawal link is not valid: it may have been cut short or changed. Nothing was recorded.", "CNS009");
        var first = (token ?? "").Split('.')[0];
        if (!Guid.TryParseExact(first, "N", out var eventId))
        {
            return (null, null, tampered);
        }
        var consent = await db.Set<ConsentEvent>().AsNoTracking().FirstOrDefaultAsync(e => e.EventId == eventId, cancellationToken);
        var link = consent is null ? null : links.Read(token, _ => consent.SubjectHash);
        return link is null || link.Purpose != consent!.Purpose ? (null, null, tampered) : (link, consent, null);
    }

    /// <summary>CNS012: one indexed lookup by (subject hash, purpose). Unknown subjects are denied; unknown purposes are 404.
    /// CNS013: nothing is cached, so a committed withdrawal denies the very next check.</summary>
    public async Task<Outcome<ConsentCheck>> CheckAsync(string subject, string purpose, CancellationToken cancellationToken = default)
    {
        await using var connection = db.CreatePlainConnection();
        await connection.OpenAsync(cancellationToken);
        await using var select = CheckCommand(connection);
        return await CheckAsync(select, subject, purpose, cancellationToken);
    }

    /// <summary>Checks many pairs on one connection; each answer stands alone (an unknown purpose fails that item only).</summary>
    public async Task<Outcome<IReadOnlyList<ConsentCheckResult>>> CheckBatchAsync(IReadOnlyList<ConsentCheckItem> items, CancellationToken cancellationToken = default)
    {
        if (items.Count > MaxBatch)
        {
            return Outcome<IReadOnlyList<ConsentCheckResult>>.Invalid("items", $"At most {MaxBatch} checks per batch; this one has {items.Count}.", "CNS014");
        }
        await using var connection = db.CreatePlainConnection();
        await connection.OpenAsync(cancellationToken);
        await using var select = CheckCommand(connection);
        var results = new List<ConsentCheckResult>(items.Count);
        foreach (var item in items)
        {
            var check = await CheckAsync(select, item.Subject ?? "", item.Purpose ?? "", cancellationToken);
            results.Add(check.Succeeded
                ? new ConsentCheckResult(item.Subject ?? "", item.Purpose ?? "", check.Value!.Allowed, check.Value.State, check.Value.EventId, check.Value.NoticeVersion, null)
                : new ConsentCheckResult(item.Subject ?? "", item.Purpose ?? "", false, null, null, null, check.Describe()));
        }
        return Outcome<IReadOnlyList<ConsentCheckResult>>.Success(results);
    }

    private static DbCommand CheckCommand(DbConnection connection)
    {
        var select = connection.CreateCommand();
        select.CommandText = CheckSql;
        foreach (var name in new[] { "@hash", "@purpose" })
        {
            var parameter = select.CreateParameter();
            parameter.ParameterName = name;
            select.Parameters.Add(parameter);
        }
        return select;
    }

    private async Task<Outcome<ConsentCheck>> CheckAsync(DbCommand select, string subject, string purpose, CancellationToken cancellationToken)
    {
        select.Parameters[0].Value = HashSubject(subject);
        select.Parameters[1].Value = purpose;
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return Outcome<ConsentCheck>.NotFound("purpose", $"There is no consent purpose '{purpose}'.");
        }
        int? refreshAfterDays = reader.IsDBNull(0) ? null : reader.GetInt32(0);
        // No state row: the subject never gave or refused this consent.
        var known = !reader.IsDBNull(1);
        var latestAction = known ? reader.GetString(1) : null;
        var everGiven = known && reader.GetBoolean(2);
        // The SQLite context stores instants as UTC ticks (SqliteDatawardDbContext); PostgreSQL as timestamptz.
        DateTimeOffset? givenAt = !known || reader.IsDBNull(3) ? null
            : db.Database.IsNpgsql() ? reader.GetFieldValue<DateTimeOffset>(3) : new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero);
        Guid? eventId = known ? reader.GetGuid(4) : null;
        var noticeVersion = known && !reader.IsDBNull(5) ? reader.GetString(5) : null;
        var (state, allowed) = ConsentRules.StateOf(latestAction, everGiven, givenAt, refreshAfterDays, time.GetUtcNow());
        return Outcome<ConsentCheck>.Success(new ConsentCheck(purpose, allowed, state, eventId, allowed ? noticeVersion : null));
    }

    /// <summary>CNS006: the event's receipt in the Kantara Consent Receipt v1.1 shape, with Dataward's evidence and the
    /// audit hash under <c>x-dataward</c>, and a keyed signature over the whole.</summary>
    public async Task<JsonObject?> ReceiptAsync(Guid eventId, CancellationToken cancellationToken = default)
    {
        var consent = await db.Set<ConsentEvent>().AsNoTracking().FirstOrDefaultAsync(e => e.EventId == eventId, cancellationToken);
        if (consent is null)
        {
            return null;
        }
        var purpose = await db.Set<ConsentPurposeRecord>().AsNoTracking().FirstAsync(p => p.Key == consent.Purpose, cancellationToken);
        var organisation = await register.OrganisationAsync(cancellationToken);
        var evidence = JsonNode.Parse(consent.Evidence)!.AsObject();
        var receipt = new JsonObject
        {
            ["version"] = "KI-CR-v1.1.0",
            ["jurisdiction"] = string.Join(", ", organisation.Jurisdictions),
            ["consentTimestamp"] = consent.OccurredAt.ToUnixTimeSeconds(),
            ["collectionMethod"] = consent.Method,
            ["consentReceiptID"] = consent.EventId.ToString(),
            ["language"] = evidence["language"]?.DeepClone() ?? "en",
            // A pseudonymous id: the keyed hash, never the address (consent.md §3.4).
            ["piiPrincipalId"] = consent.SubjectHash,
            ["piiControllers"] = new JsonArray(new JsonObject
            {
                ["piiController"] = organisation.Name,
                ["contact"] = organisation.Dpo?.Name,
                ["address"] = organisation.Address,
                ["email"] = organisation.Dpo?.Email ?? organisation.Email,
                ["phone"] = organisation.Phone,
            }),
            ["policyUrl"] = consent.NoticeVersion is null ? null : $"/api/notices/versions/{consent.NoticeVersion}",
            ["services"] = new JsonArray(new JsonObject
            {
                ["service"] = organisation.Name,
                ["purposes"] = new JsonArray(new JsonObject
                {
                    ["purpose"] = purpose.Title,
                    ["purposeCategory"] = new JsonArray(purpose.Key),
                    ["consentType"] = purpose.Explicit ? "EXPLICIT" : "EXPRESSED",
                    ["piiCategory"] = new JsonArray(),
                    ["primaryPurpose"] = true,
                    ["termination"] = purpose.RefreshAfterDays is { } days ? $"P{days}D or withdrawal" : "withdrawal",
                    ["thirdPartyDisclosure"] = purpose.SaleOrSharing,
                }),
            }),
            ["sensitive"] = purpose.Sensitive,
            ["spiCat"] = new JsonArray(),
            ["x-dataward"] = new JsonObject
            {
                ["action"] = consent.Action,
                ["actor"] = consent.Actor,
                ["noticeVersion"] = consent.NoticeVersion,
                ["recordedAt"] = consent.RecordedAt.ToString("O"),
                ["evidence"] = evidence,
                ["auditHash"] = consent.AuditHash,
            },
        };
        receipt["x-dataward"]!["signature"] = keys.Hash(CanonicalJson.Write(receipt), "consent.receipt");
        return receipt;
    }

    private async Task<List<Violation>> ValidatePurposeAsync(ConsentPurposeRequest request, CancellationToken cancellationToken)
    {
        var violations = new List<Violation>();
        if (string.IsNullOrWhiteSpace(request.Title) || request.Title.Length > 200)
        {
            violations.Add(new Violation("title", "Give the purpose a title people understand, up to 200 characters.", "CNS002"));
        }
        if (string.IsNullOrWhiteSpace(request.Description) || request.Description.Length > 4000)
        {
            violations.Add(new Violation("description", "Describe what the consent is for, as people will read it.", "CNS002"));
        }
        if (request.RefreshAfterDays is < 1 or > 3650)
        {
            violations.Add(new Violation("refreshAfterDays", "Between 1 and 3,650 days, or leave it out."));
        }
        var activities = request.Activities ?? [];
        if (activities.Count > 0)
        {
            var known = (await register.ListAsync(new ActivityFilter(), cancellationToken)).Select(a => a.Id).ToHashSet();
            violations.AddRange(activities.Where(a => !known.Contains(a)).Select(a => new Violation("activities", $"There is no register activity {a}.")));
        }
        return violations;
    }

    private static void Apply(ConsentPurposeRecord record, ConsentPurposeRequest request, DateTimeOffset now)
    {
        record.Title = request.Title.Trim();
        record.Description = request.Description.Trim();
        record.Activities = JsonSerializer.Serialize(request.Activities ?? []);
        record.Explicit = request.Explicit;
        record.Sensitive = request.Sensitive;
        record.Children = request.Children;
        record.SaleOrSharing = request.SaleOrSharing;
        record.DirectMarketing = request.DirectMarketing;
        record.RefreshAfterDays = request.RefreshAfterDays;
        record.UpdatedAt = now;
    }

    private static ConsentPurposeView View(ConsentPurposeRecord p) => new(p.Key, p.Title, p.Description,
        JsonSerializer.Deserialize<List<Guid>>(p.Activities) ?? [], p.Explicit, p.Sensitive, p.Children, p.SaleOrSharing, p.DirectMarketing,
        p.RefreshAfterDays, p.Retired);
}
