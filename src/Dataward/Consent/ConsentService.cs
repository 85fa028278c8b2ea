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
    DateTimeOffset? OccurredAt = null, ConsentEvidence? Evidence = null, int? Age = null, string? ParentEmail = null);

/// <summary>What recording an event did: the receipt's id and the state it leaves.</summary>
public sealed record RecordedConsent(Guid EventId, string State, bool Allowed, string Receipt);

/// <summary>The answer to "may we process this person's data for this purpose?", with its basis.</summary>
public sealed record ConsentCheck(string Purpose, bool Allowed, string State, Guid? EventId, string? NoticeVersion);

public sealed record ConsentCheckItem(string Subject, string Purpose);

/// <summary>What a withdrawal link would withdraw, and whether it already has or can no longer.</summary>
public sealed record WithdrawalPreview(string PurposeTitle, string PurposeDescription, bool AlreadyWithdrawn, bool Expired);

/// <summary>Withdrawal links for a marketing message (CNS007, CNS008).</summary>
public sealed record MarketingLinks(string WithdrawUrl, string OneClickUrl, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ExpiresAt);

/// <summary>One event in a subject's history.</summary>
public sealed record ConsentHistoryEntry(Guid EventId, string Purpose, string PurposeTitle, string Action, string? NoticeVersion, string Method,
    DateTimeOffset OccurredAt, DateTimeOffset RecordedAt, string Actor, ConsentEvidence Evidence, string AuditHash, int? Age, int? AgeThreshold,
    Guid? ParentalConfirmationId, bool EvidenceDestroyed = false);

/// <summary>Where one subject stands with one purpose.</summary>
public sealed record SubjectPurposeState(ConsentPurposeView Purpose, string State, bool Allowed, Guid? EventId, string? NoticeVersion,
    DateTimeOffset? UpdatedAt);

/// <summary>What a parental confirmation link asks (CNS016): confirmed already, overtaken by the child's later choice, or expired.</summary>
public sealed record ParentalPreview(string PurposeTitle, string PurposeDescription, int Age, int Threshold, bool Confirmed, bool Superseded, bool Expired);

/// <summary>One answer of a batch: the check, or why that pair could not be checked.</summary>
public sealed record ConsentCheckResult(string Subject, string Purpose, bool Allowed, string? State, Guid? EventId, string? NoticeVersion, string? Error);

/// <summary>The consent ledger: purposes, append-only events with receipts anchored in the audit trail, and checks
/// answered from a per-(subject, purpose) projection updated in the same transaction as each event.</summary>
public sealed class ConsentService(DatawardDbContext db, NoticeService notices, RegisterService register, KeyRing keys, AuditTrail audit,
    Platform.Email.EmailOutbox outbox, WithdrawalLinks links, IConfiguration configuration, TimeProvider time, ConsentChecks checks,
    Shredding.SubjectKeys subjectKeys)
{
    public const string SubjectHashPurpose = "consent.subject";
    public const string EvidencePurpose = "consent.evidence";
    public const int MaxBatch = 1000;


    public string HashSubject(string subject) => keys.Hash(ConsentRules.NormaliseSubject(subject), SubjectHashPurpose);

    public async Task<IReadOnlyList<ConsentPurposeView>> ListPurposesAsync(CancellationToken cancellationToken = default) =>
        (await db.Set<ConsentPurposeRecord>().AsNoTracking().OrderBy(p => p.Key).ToListAsync(cancellationToken)).Select(View).ToList();

    /// <summary>How many people currently consent to each purpose (the latest event is <c>given</c>).</summary>
    public async Task<IReadOnlyDictionary<string, int>> GivenCountsAsync(CancellationToken cancellationToken = default) =>
        await db.Set<ConsentStateRecord>().AsNoTracking().Where(s => s.LatestAction == ConsentActions.Given && !s.PendingParent)
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
            notice is null ? null : notice.Purposes.Contains(purpose.Key), request.Evidence, request.OccurredAt, now).ToList();
        var child = await ChildConsentAsync(request, purpose, violations, cancellationToken);
        if (violations.Count > 0)
        {
            return Outcome<RecordedConsent>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var subject = ConsentRules.NormaliseSubject(request.Subject);
        var hash = HashSubject(subject);
        if (request.Action == ConsentActions.Given && request.Method == "import"
            && await db.Set<ConsentSuppressionRecord>().AnyAsync(x => x.SubjectHash == hash && x.Purpose == purpose.Key, cancellationToken))
        {
            // consent.md §4, CNS020: someone who withdrew or objected is not re-added by an import.
            return Outcome<RecordedConsent>.Conflict("subject", "This person withdrew or objected to this purpose: an import cannot give consent for them again; only the person can.", "CNS020");
        }
        // MIN017: the identifier, a parent's address and the evidence are sealed under the person's own data key.
        var append = new Append(hash, await subjectKeys.EncryptForAsync(hash, subject, SubjectHashPurpose, cancellationToken), subject, request, child);
        return await AppendWithRetryAsync(append, purpose, now, actor, cancellationToken);
    }

    /// <summary>CNS016: for a purpose offered to children, the age is required; under the threshold, a parent's address
    /// too, and the consent waits for the parent.</summary>
    private async Task<ChildConsent?> ChildConsentAsync(ConsentEventRequest request, ConsentPurposeRecord purpose, List<Violation> violations,
        CancellationToken cancellationToken)
    {
        if (!purpose.Children || request.Action != ConsentActions.Given)
        {
            return null;
        }
        if (request.Age is not { } age || age is < 1 or > 130)
        {
            violations.Add(new Violation("age", "This purpose is offered to children: give the person's age in years.", "CNS016"));
            return null;
        }
        var threshold = await DigitalConsentAgeAsync(cancellationToken);
        if (age >= threshold)
        {
            return new ChildConsent(age, threshold, null);
        }
        var parent = request.ParentEmail?.Trim();
        if (parent is null || !System.Net.Mail.MailAddress.TryCreate(parent, out _) || parent.Length > 320)
        {
            violations.Add(new Violation("parentEmail", $"Under {threshold}, a parent or guardian must confirm: give their e-mail address.", "CNS016"));
            return null;
        }
        return new ChildConsent(age, threshold, parent.ToLowerInvariant());
    }

    /// <summary>The age of digital consent applied now: configured (13 to 16), else from the organisation's jurisdictions.</summary>
    public async Task<int> DigitalConsentAgeAsync(CancellationToken cancellationToken = default) =>
        configuration.GetValue<int?>("Consent:DigitalConsentAge") is { } configured
            ? Math.Clamp(configured, 13, 16)
            : ConsentRules.DigitalConsentAge((await register.OrganisationAsync(cancellationToken)).Jurisdictions);

    private sealed record ChildConsent(int Age, int Threshold, string? ParentEmail, Guid? ConfirmsEventId = null, DateTimeOffset? ChildGivenAt = null);

    private sealed record Append(string Hash, string? SubjectEncrypted, string? Address, ConsentEventRequest Request, ChildConsent? Child);

    private async Task<Outcome<RecordedConsent>> AppendWithRetryAsync(Append append, ConsentPurposeRecord purpose, DateTimeOffset now, string actor,
        CancellationToken cancellationToken)
    {
        // Two first events for the same subject and purpose may race to create the projection row; the loser retries.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AppendAsync(append, purpose, now, actor, cancellationToken);
            }
            catch (DbUpdateException e) when (attempt < 3 && DatabaseErrors.IsUniqueViolation(e))
            {
                db.ChangeTracker.Clear();
            }
        }
    }


    private async Task<Outcome<RecordedConsent>> AppendAsync(Append append, ConsentPurposeRecord purpose, DateTimeOffset now, string actor,
        CancellationToken cancellationToken)
    {
        var (hash, request, child) = (append.Hash, append.Request, append.Child);
        var given = request.Action == ConsentActions.Given;
        var pendingParent = child?.ParentEmail is not null;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var evidence = JsonSerializer.Serialize(request.Evidence ?? new ConsentEvidence(), RegisterService.Json);
        var consent = new ConsentEvent
        {
            SubjectHash = hash,
            SubjectEncrypted = append.SubjectEncrypted,
            Purpose = purpose.Key,
            Action = request.Action,
            NoticeVersion = request.NoticeVersion,
            Method = request.Method,
            OccurredAt = request.OccurredAt ?? now,
            RecordedAt = now,
            Evidence = await subjectKeys.EncryptForAsync(hash, evidence, EvidencePurpose, cancellationToken),
            Actor = actor,
            AuditHash = "",
            Age = child?.Age,
            AgeThreshold = child?.Threshold,
            ParentalConfirmationId = child?.ConfirmsEventId,
            ParentEncrypted = pendingParent ? await subjectKeys.EncryptForAsync(hash, child!.ParentEmail!, SubjectHashPurpose, cancellationToken) : null,
        };
        // The audit entry names the event and purpose, never the person.
        var entry = await audit.RecordAsync(actor, $"consent.{request.Action}", $"consent:{consent.EventId}",
            new JsonObject { ["purpose"] = purpose.Key, ["method"] = request.Method, ["noticeVersion"] = request.NoticeVersion }, cancellationToken);
        consent.AuditHash = entry.Hash;
        var state = await db.Set<ConsentStateRecord>().FirstOrDefaultAsync(s => s.SubjectHash == hash && s.Purpose == purpose.Key, cancellationToken);
        if (state is null)
        {
            state = new ConsentStateRecord { SubjectHash = hash, Purpose = purpose.Key, LatestAction = request.Action };
            db.Add(state);
        }
        var countedBefore = state.EventId != Guid.Empty && state.LatestAction == ConsentActions.Given && !state.PendingParent;
        state.LatestAction = request.Action;
        state.EventId = consent.EventId;
        state.NoticeVersion = given ? request.NoticeVersion : state.NoticeVersion;
        state.EverGiven |= given;
        state.GivenAt = given ? child?.ChildGivenAt ?? consent.OccurredAt : state.GivenAt;
        state.PendingParent = given && pendingParent;
        // CNS016: consent a parent gave for a child is refreshed when the child reaches the threshold age.
        state.RefreshDueAt = given ? child is { ConfirmsEventId: not null } c ? c.ChildGivenAt!.Value.AddYears(c.Threshold - c.Age) : null : state.RefreshDueAt;
        state.UpdatedAt = now;
        consent.CountChange = (given && !state.PendingParent ? 1 : 0) - (countedBefore ? 1 : 0);
        db.Add(consent);
        if (given)
        {
            await RenewAsync(state, request.NoticeVersion, now, cancellationToken);
            // Only a person's own choice lifts a suppression; an import never does (see RecordAsync).
            await db.Set<ConsentSuppressionRecord>().Where(x => x.SubjectHash == hash && x.Purpose == purpose.Key).ExecuteDeleteAsync(cancellationToken);
        }
        else
        {
            state.RenewalRequired = false;
            await SuppressAsync(hash, purpose, consent.EventId, now, cancellationToken);
        }
        if (pendingParent)
        {
            // CNS016: the parent confirms by a signed link; until then the check denies.
            outbox.Enqueue(child!.ParentEmail!, $"Please confirm: {purpose.Title}",
                ParentalMessage(purpose, consent, child, links.Create(consent.EventId, hash, purpose.Key, WithdrawalLinks.ParentalUse)), "consent.parental");
        }
        else if (given && append.Address is { } address && address.Contains('@'))
        {
            // CNS007: the person gets a copy, with a link that withdraws this consent in one click.
            outbox.Enqueue(address, $"Your consent: {purpose.Title}", ReceiptMessage(purpose, consent, links.Create(consent.EventId, hash, purpose.Key)),
                "consent.receipt");
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var (derived, allowed) = ConsentRules.StateOf(Facts(state), purpose.RefreshAfterDays, now);
        return Outcome<RecordedConsent>.Success(new RecordedConsent(consent.EventId, derived, allowed, $"/api/consent/receipts/{consent.EventId}"));
    }

    /// <summary>CNS018: a new consent answers the renewal requests of notices up to the version it was given under.</summary>
    private async Task RenewAsync(ConsentStateRecord state, string? noticeVersion, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var version = int.TryParse(noticeVersion, out var v) ? v : 0;
        var open = await db.Set<ConsentRenewalRecord>()
            .Where(r => r.SubjectHash == state.SubjectHash && r.Purpose == state.Purpose && r.RenewedAt == null).ToListAsync(cancellationToken);
        foreach (var renewal in open.Where(r => r.NoticeVersion <= version))
        {
            renewal.RenewedAt = now;
        }
        state.RenewalRequired = open.Any(r => r.NoticeVersion > version);
        state.RenewBy = state.RenewalRequired ? state.RenewBy : null;
    }

    /// <summary>consent.md §4 and CNS020: a withdrawal leaves a suppression entry (hash and purpose only), an objection to
    /// direct marketing is recorded as such.</summary>
    private async Task SuppressAsync(string hash, ConsentPurposeRecord purpose, Guid eventId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reason = purpose.DirectMarketing ? "objection" : "withdrawal";
        var existing = await db.Set<ConsentSuppressionRecord>().FirstOrDefaultAsync(x => x.SubjectHash == hash && x.Purpose == purpose.Key, cancellationToken);
        if (existing is null)
        {
            db.Add(new ConsentSuppressionRecord { SubjectHash = hash, Purpose = purpose.Key, Reason = reason, EventId = eventId, CreatedAt = now });
        }
    }

    /// <summary>Whether the person is on the suppression list for this purpose.</summary>
    public Task<bool> IsSuppressedAsync(string subject, string purpose, CancellationToken cancellationToken = default)
    {
        var hash = HashSubject(subject);
        return db.Set<ConsentSuppressionRecord>().AnyAsync(x => x.SubjectHash == hash && x.Purpose == purpose, cancellationToken);
    }

    private string ParentalMessage(ConsentPurposeRecord purpose, ConsentEvent consent, ChildConsent child, string token) => $"""
        Someone aged {child.Age} asked to agree to the following and gave your address as their parent or guardian:

        {purpose.Title}
        {purpose.Description}

        Under {child.Threshold}, the law needs a parent or guardian to agree (UK GDPR / GDPR Art. 8). Nothing is done with
        their data for this until you confirm. If you do not recognise this, ignore this message: nothing will happen.

        To read the details and confirm, open:
        {Site}/privacy/parental-consent?t={token}

        Reference: {consent.EventId}
        """;

    private string Site => (configuration["PublicUrl"] ?? Platform.Web.DatawardApp.DefaultUrl).TrimEnd('/');

    private string ReceiptMessage(ConsentPurposeRecord purpose, ConsentEvent consent, string token)
    {
        var site = Site;
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

    /// <summary>CNS007, CNS008: the withdrawal links another system puts in its marketing e-mail to this person about this
    /// purpose: the page link, the RFC 8058 one-click address and the headers that carry it.</summary>
    public async Task<Outcome<MarketingLinks>> MarketingLinksAsync(string subject, string purpose, CancellationToken cancellationToken = default)
    {
        var hash = HashSubject(subject ?? "");
        var state = await db.Set<ConsentStateRecord>().AsNoTracking().FirstOrDefaultAsync(s => s.SubjectHash == hash && s.Purpose == purpose, cancellationToken);
        if (state is null)
        {
            return Outcome<MarketingLinks>.NotFound("subject", "No consent is recorded for this person and purpose: there is nothing to link to.");
        }
        var token = links.Create(state.EventId, hash, purpose);
        var page = $"{Site}/privacy/withdraw?t={token}";
        var oneClick = $"{Site}/privacy/unsubscribe?t={token}";
        return Outcome<MarketingLinks>.Success(new MarketingLinks(page, oneClick, new Dictionary<string, string>
        {
            ["List-Unsubscribe"] = $"<{oneClick}>",
            ["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click",
        }, time.GetUtcNow().Add(WithdrawalLinks.Lifetime)));
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
        var recorded = await RecordForHashAsync(consent!, new ConsentEventRequest("", link!.Purpose, ConsentActions.Withdrawn, Method: "email-link",
            Evidence: new ConsentEvidence(FormId: "withdrawal-link")), null, "subject", cancellationToken);
        return recorded.Succeeded
            ? Outcome<WithdrawalPreview>.Success(preview.Value with { AlreadyWithdrawn = true })
            : Outcome<WithdrawalPreview>.Fail(recorded.Failure!.Value, [.. recorded.Violations]);
    }

    /// <summary>Records an event for the subject of an earlier one, by its hash: works after erasure too (CNS024), when
    /// the identifier is gone. No receipt e-mail goes out for these.</summary>
    private async Task<Outcome<RecordedConsent>> RecordForHashAsync(ConsentEvent earlier, ConsentEventRequest request, ChildConsent? child,
        string actor, CancellationToken cancellationToken)
    {
        var purpose = await db.Set<ConsentPurposeRecord>().AsNoTracking().FirstAsync(p => p.Key == request.Purpose, cancellationToken);
        return await AppendWithRetryAsync(new Append(earlier.SubjectHash, earlier.SubjectEncrypted, null, request, child), purpose,
            time.GetUtcNow(), actor, cancellationToken);
    }

    /// <summary>What a parental confirmation link asks the parent to confirm (CNS016).</summary>
    public async Task<Outcome<ParentalPreview>> PreviewParentalAsync(string? token, CancellationToken cancellationToken = default)
    {
        var (link, consent, failure) = await ReadLinkAsync(token, cancellationToken, WithdrawalLinks.ParentalUse);
        if (link is null)
        {
            return Outcome<ParentalPreview>.Fail(FailureKind.Invalid, failure!);
        }
        var purpose = await db.Set<ConsentPurposeRecord>().AsNoTracking().FirstAsync(p => p.Key == link.Purpose, cancellationToken);
        var state = await db.Set<ConsentStateRecord>().AsNoTracking()
            .FirstOrDefaultAsync(s => s.SubjectHash == consent!.SubjectHash && s.Purpose == link.Purpose, cancellationToken);
        var confirmed = await db.Set<ConsentEvent>().AnyAsync(e => e.ParentalConfirmationId == consent!.EventId, cancellationToken);
        var stillPending = state is { PendingParent: true } && state.EventId == consent!.EventId;
        return Outcome<ParentalPreview>.Success(new ParentalPreview(purpose.Title, purpose.Description, consent!.Age ?? 0, consent.AgeThreshold ?? 0,
            confirmed, !confirmed && !stillPending, links.HasExpired(link)));
    }

    /// <summary>CNS016: the parent's POST confirms the child's pending consent, once; the child's later choices stand.</summary>
    public async Task<Outcome<ParentalPreview>> ConfirmParentalAsync(string? token, CancellationToken cancellationToken = default)
    {
        var preview = await PreviewParentalAsync(token, cancellationToken);
        if (!preview.Succeeded || preview.Value!.Confirmed)
        {
            return preview;
        }
        if (preview.Value.Superseded || preview.Value.Expired)
        {
            return Outcome<ParentalPreview>.Conflict("t", preview.Value.Expired
                ? "This confirmation link has expired; nothing was recorded. Your child can ask again."
                : "Your child has changed this choice since; nothing was recorded.", "CNS016");
        }
        var (_, pending, _) = await ReadLinkAsync(token, cancellationToken, WithdrawalLinks.ParentalUse);
        var recorded = await RecordForHashAsync(pending!, new ConsentEventRequest("", pending!.Purpose, ConsentActions.Given, pending.NoticeVersion,
                "email-link", Evidence: new ConsentEvidence(FormId: "parental-confirmation")),
            new ChildConsent(pending.Age!.Value, pending.AgeThreshold!.Value, null, pending.EventId, pending.OccurredAt), "parent", cancellationToken);
        return recorded.Succeeded
            ? Outcome<ParentalPreview>.Success(preview.Value with { Confirmed = true })
            : Outcome<ParentalPreview>.Fail(recorded.Failure!.Value, [.. recorded.Violations]);
    }

    private async Task<(WithdrawalLink? Link, ConsentEvent? Event, Violation? Failure)> ReadLinkAsync(string? token, CancellationToken cancellationToken,
        string use = WithdrawalLinks.WithdrawUse)
    {
        var tampered = new Violation("t", "This withdrawal link is not valid: it may have been cut short or changed. Nothing was recorded.", "CNS009");
        var first = (token ?? "").Split('.')[0];
        if (!Guid.TryParseExact(first, "N", out var eventId))
        {
            return (null, null, tampered);
        }
        var consent = await db.Set<ConsentEvent>().AsNoTracking().FirstOrDefaultAsync(e => e.EventId == eventId, cancellationToken);
        var link = consent is null ? null : links.Read(token, _ => consent.SubjectHash, use);
        return link is null || link.Purpose != consent!.Purpose ? (null, null, tampered) : (link, consent, null);
    }

    /// <summary>CNS012: one indexed lookup by (subject hash, purpose), answered by <see cref="ConsentChecks"/>. Unknown
    /// subjects are denied; unknown purposes are 404. CNS013: nothing is cached, so a committed withdrawal denies the very next check.</summary>
    public Task<Outcome<ConsentCheck>> CheckAsync(string subject, string purpose, CancellationToken cancellationToken = default) =>
        checks.CheckAsync(subject, purpose, cancellationToken);

    /// <summary>Checks many pairs on one connection (on PostgreSQL in one statement); each answer stands alone (an unknown purpose fails that item only).</summary>
    public async Task<Outcome<IReadOnlyList<ConsentCheckResult>>> CheckBatchAsync(IReadOnlyList<ConsentCheckItem> items, CancellationToken cancellationToken = default) =>
        items.Count > MaxBatch
            ? Outcome<IReadOnlyList<ConsentCheckResult>>.Invalid("items", $"At most {MaxBatch} checks per batch; this one has {items.Count}.", "CNS014")
            : Outcome<IReadOnlyList<ConsentCheckResult>>.Success(await checks.CheckAllAsync(items, cancellationToken));

    /// <summary>Every event of one subject (by keyed hash), newest first: the history the preference centre, the staff
    /// UI (CNS023) and proof exports (CNS022) show.</summary>
    public async Task<IReadOnlyList<ConsentHistoryEntry>> HistoryAsync(string subjectHash, CancellationToken cancellationToken = default)
    {
        var rows = await (from e in db.Set<ConsentEvent>().AsNoTracking()
                          where e.SubjectHash == subjectHash
                          join p in db.Set<ConsentPurposeRecord>().AsNoTracking() on e.Purpose equals p.Key
                          select new { Event = e, p.Title }).ToListAsync(cancellationToken);
        await subjectKeys.PrefetchAsync(rows.Select(r => r.Event.Evidence), cancellationToken);
        var entries = new List<ConsentHistoryEntry>(rows.Count);
        foreach (var r in rows.OrderByDescending(r => r.Event.RecordedAt).ThenByDescending(r => r.Event.EventId))
        {
            var evidence = await EvidenceAsync(r.Event.Evidence, cancellationToken);
            entries.Add(new ConsentHistoryEntry(r.Event.EventId, r.Event.Purpose, r.Title, r.Event.Action, r.Event.NoticeVersion, r.Event.Method,
                r.Event.OccurredAt, r.Event.RecordedAt, r.Event.Actor, evidence ?? new ConsentEvidence(), r.Event.AuditHash,
                r.Event.Age, r.Event.AgeThreshold, r.Event.ParentalConfirmationId, evidence is null));
        }
        return entries;
    }

    /// <summary>An event's evidence: clear JSON written before crypto-shredding, or sealed under the person's key; null
    /// when that key was destroyed (MIN017).</summary>
    internal async Task<ConsentEvidence?> EvidenceAsync(string stored, CancellationToken cancellationToken) =>
        await EvidenceJsonAsync(stored, cancellationToken) is { } json
            ? JsonSerializer.Deserialize<ConsentEvidence>(json, RegisterService.Json) ?? new ConsentEvidence()
            : null;

    private async Task<string?> EvidenceJsonAsync(string stored, CancellationToken cancellationToken) =>
        Shredding.SubjectCipher.IsSealed(stored) ? await subjectKeys.DecryptOrNullAsync(stored, EvidencePurpose, cancellationToken) : stored;

    /// <summary>One subject's current state for every purpose: the live ones, and retired ones they had a say in.</summary>
    public async Task<IReadOnlyList<SubjectPurposeState>> SubjectStatesAsync(string subjectHash, CancellationToken cancellationToken = default)
    {
        var purposes = await db.Set<ConsentPurposeRecord>().AsNoTracking().OrderBy(p => p.Key).ToListAsync(cancellationToken);
        var states = await db.Set<ConsentStateRecord>().AsNoTracking().Where(s => s.SubjectHash == subjectHash)
            .ToDictionaryAsync(s => s.Purpose, cancellationToken);
        var now = time.GetUtcNow();
        return purposes.Where(p => !p.Retired || states.ContainsKey(p.Key)).Select(p =>
        {
            var state = states.GetValueOrDefault(p.Key);
            var (derived, allowed) = ConsentRules.StateOf(state is null ? null : Facts(state), p.RefreshAfterDays, now);
            return new SubjectPurposeState(View(p), derived, allowed, state?.EventId, state?.NoticeVersion, state?.UpdatedAt);
        }).ToList();
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
        // MIN017: once the person's key is destroyed, the receipt says so instead of showing the evidence.
        var evidence = await EvidenceJsonAsync(consent.Evidence, cancellationToken) is { } json
            ? JsonNode.Parse(json)!.AsObject()
            : new JsonObject { ["status"] = "key destroyed" };
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

    internal static ConsentFacts Facts(ConsentStateRecord s) =>
        new(s.LatestAction, s.EverGiven, s.GivenAt, s.PendingParent, s.RenewalRequired, s.RenewBy, s.RefreshDueAt);

    private static ConsentPurposeView View(ConsentPurposeRecord p) => new(p.Key, p.Title, p.Description,
        JsonSerializer.Deserialize<List<Guid>>(p.Activities) ?? [], p.Explicit, p.Sensitive, p.Children, p.SaleOrSharing, p.DirectMarketing,
        p.RefreshAfterDays, p.Retired);
}
