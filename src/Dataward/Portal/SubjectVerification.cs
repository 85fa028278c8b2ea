using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Consent;
using Dataward.Domain;
using Dataward.Domain.Consent;
using Dataward.Domain.Portal;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Portal;

/// <summary>A person who proved, with a one-time code, that they control an e-mail address.</summary>
public sealed record VerifiedSubject(string Email, string SubjectHash, DateTimeOffset ExpiresAt);

/// <summary>What a code unlocks, and what its e-mail says it is for.</summary>
public static class VerificationPurposes
{
    public const string PreferenceCentre = "preference-centre";
}

/// <summary>CNS019: e-mailed one-time codes that verify a data subject without an account. Only a keyed hash of each
/// code is kept; a code works once, for ten minutes, and five wrong tries burn it. Asking for a code answers the same
/// whether or not the address is known to us: every address gets a code, since anyone may state their choices.</summary>
public sealed class SubjectVerification(DatawardDbContext db, KeyRing keys, ConsentService consent, EmailOutbox outbox, AuditTrail audit,
    TimeProvider time)
{
    public const string HashPurpose = "portal.code";

    /// <summary>Sends a fresh code to <paramref name="email"/> (superseding earlier ones for the same use); the
    /// address as it will be verified, or why it cannot be used.</summary>
    /// <param name="lifetime">How long the code works: ten minutes for the preference centre (CNS019), longer where a
    /// rule says so (data-subject requests: 15 minutes by default, DSR007).</param>
    public async Task<Outcome<string>> SendCodeAsync(string? email, string purpose, CancellationToken cancellationToken = default,
        TimeSpan? lifetime = null, string subject = "Your privacy centre code")
    {
        var validFor = lifetime ?? OneTimeCodes.Lifetime;
        if (!IsAddress(email))
        {
            return Outcome<string>.Invalid("email", "Enter your e-mail address, for example name@example.com.");
        }
        var address = ConsentRules.NormaliseSubject(email!);
        var hash = consent.HashSubject(address);
        var now = time.GetUtcNow();
        var hourAgo = now.AddHours(-1);
        var codes = db.Set<VerificationCode>().Where(c => c.SubjectHash == hash && c.Purpose == purpose);
        if (await codes.CountAsync(c => c.CreatedAt > hourAgo, cancellationToken) >= OneTimeCodes.MaxPerHour)
        {
            // Same answer as usual: the limit must not tell anyone which addresses are being asked about.
            return Outcome<string>.Success(address);
        }
        // Inside a caller's transaction (a request's intake), the code commits or rolls back with it.
        await using var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        // Older codes say nothing any check needs: they go, whoever they were for, so the table stays small.
        var stale = now - OneTimeCodes.KeptFor;
        await db.Set<VerificationCode>().Where(c => c.CreatedAt < stale).ExecuteDeleteAsync(cancellationToken);
        // Only the newest code works: one that leaked from an older message stops working once a new one is sent.
        await codes.Where(c => c.UsedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.ExpiresAt, now), cancellationToken);
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        var record = new VerificationCode
        {
            Purpose = purpose,
            SubjectHash = hash,
            CodeHash = "",
            CreatedAt = now,
            ExpiresAt = now + validFor,
        };
        record.CodeHash = HashCode(record.Id, code);
        db.Add(record);
        outbox.Enqueue(address, subject, $"""
            Your code is: {code}

            Enter it on the page where you asked for it. It works once, for {validFor.TotalMinutes:0} minutes.

            If you did not ask for a code, someone may have typed your address by mistake: ignore this message and
            nothing will change. We never ask for this code by phone or e-mail.
            """, $"portal.code.{purpose}");
        await db.SaveChangesAsync(cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return Outcome<string>.Success(address);
    }

    /// <summary>Checks a typed code against the newest live code for the address. Every comparison with a live code
    /// spends one of its tries first (atomically), so even simultaneous guesses get five in all; used, expired and
    /// burnt codes are compared only to say why they fail, never to let one through.</summary>
    public async Task<Outcome<VerifiedSubject>> VerifyAsync(string? email, string? typed, string purpose, CancellationToken cancellationToken = default)
    {
        var code = OneTimeCodes.Normalise(typed);
        if (!IsAddress(email))
        {
            return Outcome<VerifiedSubject>.Invalid("email", "Enter your e-mail address, for example name@example.com.");
        }
        if (!OneTimeCodes.IsWellFormed(code))
        {
            return Outcome<VerifiedSubject>.Invalid("code", $"Enter the {OneTimeCodes.Digits}-digit code from the e-mail we sent you.", "CNS019");
        }
        var address = ConsentRules.NormaliseSubject(email!);
        var hash = consent.HashSubject(address);
        var now = time.GetUtcNow();
        var since = now - OneTimeCodes.KeptFor;
        var set = db.Set<VerificationCode>();
        var codes = (await set.AsNoTracking().Where(c => c.SubjectHash == hash && c.Purpose == purpose && c.CreatedAt > since)
            .ToListAsync(cancellationToken)).OrderByDescending(c => c.CreatedAt).ToList();
        var live = codes.FirstOrDefault(c => c.UsedAt == null && c.ExpiresAt > now && c.FailedAttempts < OneTimeCodes.MaxAttempts);
        if (live is not null && await set.Where(c => c.Id == live.Id && c.UsedAt == null && c.FailedAttempts < OneTimeCodes.MaxAttempts)
                .ExecuteUpdateAsync(u => u.SetProperty(c => c.FailedAttempts, c => c.FailedAttempts + 1), cancellationToken) == 1)
        {
            if (Matches(live, code))
            {
                // The try was not a failure: give it back while marking the code used, in one conditional update.
                var used = await set.Where(c => c.Id == live.Id && c.UsedAt == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(c => c.UsedAt, now).SetProperty(c => c.FailedAttempts, c => c.FailedAttempts - 1),
                        cancellationToken);
                if (used == 1)
                {
                    await audit.RecordAsync(AuditActor.Anonymous, "portal.subject_verified", $"verification:{live.Id}",
                        new JsonObject { ["purpose"] = purpose }, cancellationToken);
                    return Outcome<VerifiedSubject>.Success(new VerifiedSubject(address, hash, now));
                }
                return Replayed();
            }
            var left = OneTimeCodes.AttemptsLeft(live.FailedAttempts + 1);
            return Dead(codes, code, now) ?? Outcome<VerifiedSubject>.Invalid("code", left > 0
                ? $"That code is not right. You can try {left} more {(left == 1 ? "time" : "times")}."
                : "That code is not right, and that was the last try: this code no longer works. Ask for a new code.", "CNS019");
        }
        return Dead(codes, code, now) ?? Outcome<VerifiedSubject>.Invalid("code", codes.FirstOrDefault() switch
        {
            null => "That code is not right. Ask for a new code if you need one.",
            { FailedAttempts: >= OneTimeCodes.MaxAttempts } => "Too many wrong tries: this code no longer works. Ask for a new code.",
            { UsedAt: not null } => "That code is not right. Ask for a new code if you need one.",
            _ => "Your code has expired. Ask for a new code.",
        }, "CNS019");
    }

    /// <summary>Why a typed code that matches a used or expired code fails (a replay, or a late or superseded code);
    /// null when it matches none. Burnt codes are never compared.</summary>
    private Outcome<VerifiedSubject>? Dead(IReadOnlyList<VerificationCode> codes, string code, DateTimeOffset now)
    {
        if (codes.Any(c => c.UsedAt != null && Matches(c, code)))
        {
            return Replayed();
        }
        if (codes.Any(c => c.UsedAt == null && c.ExpiresAt <= now && c.FailedAttempts < OneTimeCodes.MaxAttempts && Matches(c, code)))
        {
            return Outcome<VerifiedSubject>.Invalid("code",
                "This code has expired: codes work for a few minutes, and only the newest one you asked for works. Ask for a new code.", "CNS019");
        }
        return null;
    }

    private static Outcome<VerifiedSubject> Replayed() =>
        Outcome<VerifiedSubject>.Conflict("code", "This code has already been used. Each code works once: ask for a new code.", "CNS019");

    private bool Matches(VerificationCode record, string code) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(HashCode(record.Id, code)), Encoding.ASCII.GetBytes(record.CodeHash));

    // The row id salts the hash, so equal codes of two people never share a hash.
    private string HashCode(Guid id, string code) => keys.Hash($"{id:N}.{code}", HashPurpose);

    private static bool IsAddress(string? email) =>
        !string.IsNullOrWhiteSpace(email) && email.Length <= 320 && email.Contains('@')
        && System.Net.Mail.MailAddress.TryCreate(email.Trim(), out var parsed) && parsed.Address == email.Trim();
}
