using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Domain.Consent;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Register;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Consent;

/// <summary>One event of a person's consent history as staff read it, with where its two receipt views are.</summary>
public sealed record ConsentSubjectEvent(Guid EventId, string Purpose, string PurposeTitle, string Action, string? NoticeVersion, string Method,
    DateTimeOffset OccurredAt, DateTimeOffset RecordedAt, string Actor, ConsentEvidence Evidence, string AuditHash, int? Age, int? AgeThreshold,
    Guid? ParentalConfirmationId, string Receipt, string Iso27560Receipt, bool EvidenceDestroyed = false);

/// <summary>Where the person stands with one purpose now (consent.md §4).</summary>
public sealed record ConsentSubjectState(string Purpose, string PurposeTitle, bool Retired, string State, bool Allowed, Guid? EventId,
    string? NoticeVersion, DateTimeOffset? UpdatedAt);

/// <summary>A person's whole consent record for the staff who may see identifiers (CNS023). <paramref name="Identity"/> is
/// <c>present</c> (the identifier decrypted in <paramref name="Subject"/>), <c>erased</c> (CNS024: the keyed hash
/// only) or <c>none</c> (the ledger has no event for this person).</summary>
public sealed record ConsentSubjectHistory(string SubjectHash, string? Subject, string Identity, IReadOnlyList<ConsentSubjectState> States,
    IReadOnlyList<ConsentSubjectEvent> Events);

/// <summary>What an erasure did (CNS024): identifiers dropped from so many events; the events and suppression entries
/// kept, by keyed hash, as proof and so that an import cannot add the person again; the person's data keys destroyed
/// (MIN017), so the evidence sealed under them stays as unreadable ciphertext.</summary>
public sealed record ConsentErasure(string SubjectHash, int EventsErased, int EventsKept, int SuppressionsKept, IReadOnlyList<string> KeysDestroyed);

/// <summary>What can be known of one person's identity in the ledger.</summary>
public static class SubjectIdentity
{
    public const string Present = "present";
    public const string Erased = "erased";
    public const string None = "none";
}

/// <summary>The staff side of one person's consent: their record with the identifier decrypted, every opening audited
/// (CNS023), and the erasure of their identifiers (CNS024), which data-subject erasure requests call.</summary>
public sealed class ConsentSubjects(DatawardDbContext db, ConsentService consent, Shredding.SubjectKeys subjectKeys, AuditTrail audit)
{
    public const string HistoryViewedAction = "consent.history_viewed";
    public const string ErasedAction = "consent.subject_erased";

    /// <summary>How the audit trail names a person of the ledger: by keyed hash, never by identifier.</summary>
    public static string Reference(string subjectHash) => $"consent-subject:{subjectHash}";

    /// <summary>The identifier as every staff operation takes it: present and at most 320 characters.</summary>
    public static Violation? ValidateSubject(string? subject) => string.IsNullOrWhiteSpace(subject) || subject.Length > 320
        ? new Violation("subject", "Give the person's identifier (an e-mail address or customer id, up to 320 characters).")
        : null;

    /// <summary>CNS023: opens a person's record and writes who opened it (by hash) to the audit trail.</summary>
    /// <param name="via"><c>api</c> or <c>ui</c>, for the audit entry.</param>
    public async Task<Outcome<ConsentSubjectHistory>> OpenAsync(string? subject, string actor, string via, CancellationToken cancellationToken = default)
    {
        if (ValidateSubject(subject) is { } invalid)
        {
            return Outcome<ConsentSubjectHistory>.Fail(FailureKind.Invalid, invalid);
        }
        var history = await ReadAsync(consent.HashSubject(subject!), cancellationToken);
        await audit.RecordAsync(actor, HistoryViewedAction, Reference(history.SubjectHash),
            new JsonObject { ["events"] = history.Events.Count, ["via"] = via }, cancellationToken);
        return Outcome<ConsentSubjectHistory>.Success(history);
    }

    /// <summary>The record by keyed hash, unaudited: for callers that audit their own use of it (proof exports).</summary>
    internal async Task<ConsentSubjectHistory> ReadAsync(string subjectHash, CancellationToken cancellationToken)
    {
        var events = (await consent.HistoryAsync(subjectHash, cancellationToken)).Select(e => new ConsentSubjectEvent(e.EventId, e.Purpose,
                e.PurposeTitle, e.Action, e.NoticeVersion, e.Method, e.OccurredAt, e.RecordedAt, e.Actor, e.Evidence, e.AuditHash, e.Age,
                e.AgeThreshold, e.ParentalConfirmationId, $"/api/consent/receipts/{e.EventId}", $"/api/consent/receipts/{e.EventId}?format=iso-27560",
                e.EvidenceDestroyed))
            .ToList();
        var states = (await consent.SubjectStatesAsync(subjectHash, cancellationToken)).Select(s => new ConsentSubjectState(s.Purpose.Key,
            s.Purpose.Title, s.Purpose.Retired, s.State, s.Allowed, s.EventId, s.NoticeVersion, s.UpdatedAt)).ToList();
        var (identity, subject) = events.Count == 0 ? (SubjectIdentity.None, null) : await IdentityAsync(subjectHash, cancellationToken);
        return new ConsentSubjectHistory(subjectHash, subject, identity, states, events);
    }

    /// <summary>CNS023: the identifier decrypted from the newest event that still holds it (someone who returns after an
    /// erasure is known again by what they gave then), or <c>erased</c> when no event does.</summary>
    internal async Task<(string Identity, string? Subject)> IdentityAsync(string subjectHash, CancellationToken cancellationToken)
    {
        var encrypted = await db.Set<ConsentEvent>().AsNoTracking()
            .Where(e => e.SubjectHash == subjectHash && e.SubjectEncrypted != null)
            .OrderByDescending(e => e.RecordedAt).Select(e => e.SubjectEncrypted).FirstOrDefaultAsync(cancellationToken);
        // MIN017: an identifier sealed under a destroyed key is as erased as a dropped one.
        var subject = encrypted is null ? null : await subjectKeys.DecryptOrNullAsync(encrypted, ConsentService.SubjectHashPurpose, cancellationToken);
        return subject is null ? (SubjectIdentity.Erased, null) : (SubjectIdentity.Present, subject);
    }

    /// <summary>CNS024 (Art. 17(3)(e)): drops the encrypted identifier and any parent's address from every event of the
    /// person, keeping the events, their hashes and the suppression entries as proof. The database refuses any other
    /// change to an event. Erasing twice is harmless; the second erases nothing. Inside a caller's transaction (an
    /// erasure request erasing several stores) the erasure commits with it, and on SQLite the write-ahead log is left
    /// to SQLite's own checkpoints instead of being emptied here.</summary>
    public async Task<Outcome<ConsentErasure>> EraseSubjectAsync(string? subject, string actor, CancellationToken cancellationToken = default)
    {
        if (ValidateSubject(subject) is { } invalid)
        {
            return Outcome<ConsentErasure>.Fail(FailureKind.Invalid, invalid);
        }
        var hash = consent.HashSubject(subject!);
        var sqlite = db.Database.IsSqlite();
        var own = db.Database.CurrentTransaction is null;
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            if (sqlite)
            {
                // Zero the freed bytes of the rewritten rows instead of leaving the ciphertext in free space of the file.
                await db.Database.ExecuteSqlRawAsync("PRAGMA secure_delete = ON;", cancellationToken);
            }
            var transaction = own ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
            ConsentErasure erasure;
            try
            {
                var erased = await db.Set<ConsentEvent>()
                    .Where(e => e.SubjectHash == hash && (e.SubjectEncrypted != null || e.ParentEncrypted != null))
                    .ExecuteUpdateAsync(u => u.SetProperty(e => e.SubjectEncrypted, (string?)null).SetProperty(e => e.ParentEncrypted, (string?)null),
                        cancellationToken);
                var kept = await db.Set<ConsentEvent>().CountAsync(e => e.SubjectHash == hash, cancellationToken);
                var suppressions = await db.Set<ConsentSuppressionRecord>().CountAsync(s => s.SubjectHash == hash, cancellationToken);
                // MIN017: the person's data key goes too, so the evidence sealed under it, and every backup copy, is unreadable.
                var shredded = await subjectKeys.DestroyByHashAsync(hash, actor, "Erasure of the person's identifiers (CNS024).", cancellationToken);
                erasure = new ConsentErasure(hash, erased, kept, suppressions, shredded.KeysDestroyed);
                await audit.RecordAsync(actor, ErasedAction, Reference(hash),
                    new JsonObject { ["eventsErased"] = erased, ["eventsKept"] = kept, ["suppressionsKept"] = suppressions }, cancellationToken);
                if (transaction is not null)
                {
                    await transaction.CommitAsync(cancellationToken);
                }
            }
            finally
            {
                if (transaction is not null)
                {
                    await transaction.DisposeAsync();
                }
            }
            if (sqlite)
            {
                // The freed bytes were zeroed as the rows were rewritten; later writes need not pay for it.
                await db.Database.ExecuteSqlRawAsync("PRAGMA secure_delete = OFF;", cancellationToken);
            }
            if (sqlite && own)
            {
                // The write-ahead log still holds page images from before the erasure: copy them back and empty it.
                await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);", cancellationToken);
            }
            return Outcome<ConsentErasure>.Success(erasure);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
