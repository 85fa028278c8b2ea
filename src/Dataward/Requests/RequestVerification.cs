using Dataward.Domain;
using Dataward.Domain.Requests;
using Dataward.Portal;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Requests;

/// <summary>What the person learns on verifying: only their own reference and what happens next (DSR006).</summary>
public sealed record RequestVerified(string Reference, string State, DateOnly? DueAt);

public sealed partial class RequestService
{
    /// <summary>The codes of one request are its own: a code for another request or the preference centre does not verify it.</summary>
    private static string CodePurpose(Guid id) => $"request:{id:N}";

    private async Task SendCodeAsync(SubjectRequest record, string email, string actor, CancellationToken cancellationToken)
    {
        var lifetime = TimeSpan.FromMinutes(Math.Clamp(configuration.GetValue("Requests:CodeMinutes", 15), 5, 60));
        var sent = await verification.SendCodeAsync(email, CodePurpose(record.Id), cancellationToken, lifetime, $"Your code for request {record.Reference}");
        Log(record, actor, "code_sent", sent.Succeeded ? "Identity code e-mailed to the person." : "No code sent: " + sent.Describe(), time.GetUtcNow());
    }

    /// <summary>DSR007: the e-mailed code (hashed, single use, expiring, five tries) proves the identity; the clock then
    /// restarts from today (DSR005). Wrong codes say nothing about the request (DSR006).</summary>
    public async Task<Outcome<RequestVerified>> VerifyAsync(Guid id, string? code, string actor, CancellationToken cancellationToken = default)
    {
        var record = await db.Set<SubjectRequest>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        var email = record is null ? null : Email(record);
        if (record is null || email is null)
        {
            return Outcome<RequestVerified>.Invalid("code", "That code is not right. Ask for a new code if you need one.", "DSR007");
        }
        if (RequestStates.IsVerified(record.State) || (record.State == RequestStates.IdentityPending && record.CodeConfirmedAt is not null))
        {
            return Outcome<RequestVerified>.Success(new RequestVerified(record.Reference, record.State, record.EffectiveDueDate));
        }
        if (record.State != RequestStates.IdentityPending)
        {
            return Outcome<RequestVerified>.Conflict("code", "This request is closed.", "DSR007");
        }
        var verified = await verification.VerifyAsync(email, code, CodePurpose(id), cancellationToken);
        if (!verified.Succeeded)
        {
            await LogFailedCodeAsync(record, verified.Describe(), cancellationToken);
            return Outcome<RequestVerified>.Fail(verified.Failure!.Value, [.. verified.Violations.Select(v => v with { RuleId = "DSR007" })]);
        }
        var checks = await db.Set<IdentityCheckRecord>().AsNoTracking().Where(c => c.RequestId == id).ToListAsync(cancellationToken);
        var complete = IdentityProof.Outstanding(true, record.ProofRequiredAt, record.AgentEncrypted is not null, Proofs(record, checks)).Count == 0;
        var changed = await ChangeAsync(id, actor, (r, now) =>
        {
            if (r.State != RequestStates.IdentityPending)
            {
                return Task.FromResult(Outcome<bool>.Success(true));
            }
            r.CodeConfirmedAt = now;
            // DSR008, DSR009: the code may not be all that is needed: more proof, or an agent's authority.
            var outstanding = IdentityProof.Outstanding(true, r.ProofRequiredAt, r.AgentEncrypted is not null, Proofs(r, checks));
            if (outstanding.Count > 0)
            {
                Log(r, actor, "code_confirmed", $"The person entered the right code; still waiting for {string.Join(" and ", outstanding.Select(IdentityProof.Describe))}.", now);
                return Task.FromResult(Outcome<bool>.Success(true));
            }
            r.State = RequestStates.Verified;
            r.VerifiedAt = now;
            r.VerificationMethod = Trim(VerificationSummary(true, checks.Where(c => c.Outcome == IdentityProof.Passed).Select(c => (c.Kind, c.Method))), 500);
            r.VerifiedBy = "subject";
            Log(r, actor, "verified", "Identity confirmed with the e-mailed code.", now);
            Restart(r, now, actor, "Identity confirmed; the clock restarts from today.");
            AfterVerified(r, actor, now);
            return Task.FromResult(Outcome<bool>.Success(true));
        }, complete ? "requests.verified" : "requests.code_confirmed", cancellationToken);
        return changed.Succeeded
            ? Outcome<RequestVerified>.Success(new RequestVerified(changed.Value!.Reference, changed.Value.State, changed.Value.DueAt))
            : Outcome<RequestVerified>.Fail(changed.Failure!.Value, [.. changed.Violations]);
    }

    /// <summary>DSR007: every failed try, and the lockout, is in the request's timeline.</summary>
    private async Task LogFailedCodeAsync(SubjectRequest record, string why, CancellationToken cancellationToken)
    {
        Log(record, "anonymous", "code_failed", why.Contains("no longer works", StringComparison.Ordinal) || why.Contains("Too many", StringComparison.Ordinal)
            ? "A wrong code was entered; the code is now locked." : "A wrong, expired or reused code was entered.", time.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>A new code for a request still waiting for identity proof; the previous one stops working.</summary>
    public async Task<Outcome<RequestView>> ResendCodeAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        var record = await db.Set<SubjectRequest>().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<RequestView>.NotFound("id", "No request has this id.");
        }
        if (record.State != RequestStates.IdentityPending || Email(record) is not { } email)
        {
            return Outcome<RequestView>.Conflict("state", "Only a request waiting for identity proof by e-mail gets a new code.", "DSR007");
        }
        await SendCodeAsync(record, email, actor, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<RequestView>.Success(await ViewAsync(record, cancellationToken));
    }
}
