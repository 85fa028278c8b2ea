using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Domain;
using Dataward.Domain.Requests;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Requests;

/// <summary>What a member of staff checked to prove a request's identity (DSR008) or an agent's authority (DSR009):
/// the kind, the method, the outcome, who and when, and their description of the check, encrypted. Never a copy of a
/// document: there is nowhere to keep one.</summary>
public sealed class IdentityCheckRecord
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid RequestId { get; set; }
    /// <summary><see cref="IdentityProof.Identity"/> or <see cref="IdentityProof.Authority"/>.</summary>
    public required string Kind { get; set; }
    /// <summary>A key of <see cref="IdentityProof.IdentityMethods"/> or <see cref="IdentityProof.AuthorityMethods"/>.</summary>
    public required string Method { get; set; }
    public required string DescriptionEncrypted { get; set; }
    /// <summary><see cref="IdentityProof.Passed"/> or <see cref="IdentityProof.Failed"/>.</summary>
    public required string Outcome { get; set; }
    public required string CheckedBy { get; set; }
    public DateTimeOffset CheckedAt { get; set; }

    internal static void Configure(ModelBuilder builder) => builder.Entity<IdentityCheckRecord>(e =>
    {
        e.ToTable("request_identity_checks");
        e.HasKey(x => x.Id);
        e.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
        e.Property(x => x.RequestId).HasColumnName("request_id");
        e.Property(x => x.Kind).HasColumnName("kind").HasMaxLength(20);
        e.Property(x => x.Method).HasColumnName("method").HasMaxLength(40);
        e.Property(x => x.DescriptionEncrypted).HasColumnName("description_encrypted");
        e.Property(x => x.Outcome).HasColumnName("outcome").HasMaxLength(10);
        e.Property(x => x.CheckedBy).HasColumnName("checked_by").HasMaxLength(120);
        e.Property(x => x.CheckedAt).HasColumnName("checked_at");
        e.HasIndex(x => new { x.RequestId, x.CheckedAt });
        e.HasOne<SubjectRequest>().WithMany().HasForeignKey(x => x.RequestId).OnDelete(DeleteBehavior.Restrict);
    });
}

/// <summary>A check as staff see it, with its description.</summary>
public sealed record IdentityCheckView(string Kind, string Method, string MethodLabel, string Description, string Outcome, string CheckedBy,
    DateTimeOffset CheckedAt);

/// <summary>DSR008: staff asked for more proof than the code, and told the person what and why.</summary>
public sealed record ProofRequirementView(string Reason, DateTimeOffset RequiredAt, string RequiredBy);

/// <summary>DSR009: who acts for the person.</summary>
public sealed record AgentView(string Name, string? Contact, string? Relationship);

public sealed record RequireProofRequest(string Reason);

/// <param name="Kind"><c>identity</c> (DSR008) or <c>authority</c> (DSR009).</param>
/// <param name="Method">How it was checked: a key of the methods for that kind.</param>
/// <param name="Description">What was seen and checked, in words; never a document's copy or number.</param>
/// <param name="Outcome"><c>passed</c> or <c>failed</c>.</param>
public sealed record IdentityCheckRequest(string Kind, string Method, string Description, string Outcome);

public sealed partial class RequestService
{
    private sealed record AgentDetails(string ActingFor, string? Contact, string? Relationship, string? Authority);

    /// <summary>DSR008, DSR009: the intake's proof fields, checked before anything is stored.</summary>
    private static void ValidateProof(NewRequest request, string? email, List<Violation> violations)
    {
        if (request.ActingFor is { } agent && (string.IsNullOrWhiteSpace(agent) || agent.Length > 200))
        {
            violations.Add(new Violation("actingFor", "Name the agent acting for the person (up to 200 characters).", "DSR009"));
        }
        if (request.ActingFor is null && (request.Authority ?? request.AgentContact ?? request.AgentRelationship ?? request.AuthorityType) is not null)
        {
            violations.Add(new Violation("actingFor", "Name the agent these details are about.", "DSR009"));
        }
        if (request.AgentContact?.Length > 320)
        {
            violations.Add(new Violation("agentContact", "At most 320 characters.", "DSR009"));
        }
        if (request.AgentRelationship is { } relationship && !IdentityProof.Relationships.ContainsKey(relationship))
        {
            violations.Add(new Violation("agentRelationship", $"Use one of {string.Join(", ", IdentityProof.Relationships.Keys)}.", "DSR009"));
        }
        if (request.Authority is { } authority && (string.IsNullOrWhiteSpace(authority) || authority.Length > 1000))
        {
            violations.Add(new Violation("authority", "Describe the evidence of authority the agent showed (up to 1,000 characters).", "DSR009"));
        }
        if (request.AuthorityType is { } type && !IdentityProof.AuthorityMethods.ContainsKey(type))
        {
            violations.Add(new Violation("authorityType", $"Use one of {string.Join(", ", IdentityProof.AuthorityMethods.Keys)}.", "DSR009"));
        }
        if (request.IdentityChecked is { } checkedHow && (string.IsNullOrWhiteSpace(checkedHow) || checkedHow.Length > 1000))
        {
            violations.Add(new Violation("identityChecked", "Describe what you checked (up to 1,000 characters), not the document's number.", "DSR008"));
        }
        if (request.IdentityCheckMethod is { } method && !IdentityProof.IdentityMethods.ContainsKey(method))
        {
            violations.Add(new Violation("identityCheckMethod", $"Use one of {string.Join(", ", IdentityProof.IdentityMethods.Keys)}.", "DSR008"));
        }
        if (request.RequireProof is { } reason && (string.IsNullOrWhiteSpace(reason) || reason.Length > 2000))
        {
            violations.Add(new Violation("requireProof", "Say what further proof you need and why (up to 2,000 characters): the person is told.", "DSR008"));
        }
        if (request.RequireProof is not null && request.IdentityChecked is not null)
        {
            violations.Add(new Violation("requireProof", "You recorded an identity check already: ask for more proof, or record the check, not both.", "DSR008"));
        }
        if (email is null && request.IdentityChecked is null && request.RequireProof is null)
        {
            violations.Add(new Violation("identities.email", "Without an e-mail address we cannot send a code: record how you checked the person's identity, or ask for proof.", "DSR008"));
        }
        if (request.ReplyChannel is { } reply && !ReplyChannels.All.Contains(reply))
        {
            violations.Add(new Violation("replyChannel", $"Use one of {string.Join(", ", ReplyChannels.All)}.", "DSR024"));
        }
        if (request.ReplyChannel == ReplyChannels.Email && email is null)
        {
            violations.Add(new Violation("replyChannel", "An answer by e-mail needs the person's e-mail address.", "DSR024"));
        }
    }

    /// <summary>DSR008, DSR009: the checks staff made at intake, recorded like any other.</summary>
    private List<ProofCheck> IntakeChecks(SubjectRequest record, NewRequest request, string actor, DateTimeOffset now)
    {
        var checks = new List<ProofCheck>();
        if (request.IdentityChecked is { } checkedHow)
        {
            AddCheck(record, IdentityProof.Identity, request.IdentityCheckMethod ?? "other", checkedHow, IdentityProof.Passed, actor, now);
            checks.Add(new ProofCheck(IdentityProof.Identity, IdentityProof.Passed, now));
        }
        if (request.ActingFor is not null && request.Authority is { } authority)
        {
            AddCheck(record, IdentityProof.Authority, request.AuthorityType ?? "other", authority, IdentityProof.Passed, actor, now);
            checks.Add(new ProofCheck(IdentityProof.Authority, IdentityProof.Passed, now));
        }
        if (request.RequireProof is { } reason)
        {
            record.ProofRequiredAt = now;
            record.ProofRequiredBy = actor;
            record.ProofRequiredReason = reason.Trim();
            Log(record, actor, "proof_required", "Additional proof of identity asked for at intake (DSR008); the person is told what and why.", now);
        }
        return checks;
    }

    private void AddCheck(SubjectRequest record, string kind, string method, string description, string outcome, string actor, DateTimeOffset now)
    {
        db.Add(new IdentityCheckRecord
        {
            RequestId = record.Id,
            Kind = kind,
            Method = method,
            DescriptionEncrypted = keys.Encrypt(description.Trim(), IdentityPurpose),
            Outcome = outcome,
            CheckedBy = actor,
            CheckedAt = now,
        });
        var what = kind == IdentityProof.Identity ? "Identity" : "The agent's authority";
        Log(record, actor, kind == IdentityProof.Identity ? "identity_checked" : "authority_checked",
            $"{what} checked by staff: {IdentityProof.MethodsFor(kind)![method]}; {outcome}.", now);
    }

    /// <summary>DSR008: staff ask for more proof than the e-mailed code before anything is done; the person is told
    /// what and why, the request waits in <c>identity_pending</c> and the clock stops (DSR005). A verified request
    /// that nothing has been done for yet (not read, not approved for erasure) goes back to waiting.</summary>
    public async Task<Outcome<RequestView>> RequireProofAsync(Guid id, string? reason, string actor, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 2000)
        {
            return Outcome<RequestView>.Invalid("reason", "Say what further proof you need and why (up to 2,000 characters): the person is told.", "DSR008");
        }
        var acted = await db.Set<RequestAccessRecord>().AnyAsync(a => a.RequestId == id, cancellationToken)
            || await db.Set<RequestExecution>().AnyAsync(e => e.RequestId == id, cancellationToken);
        return await ChangeAsync(id, actor, (record, now) =>
        {
            var waiting = record.State is RequestStates.Received or RequestStates.IdentityPending;
            var untouched = record.State is RequestStates.Verified or RequestStates.AwaitingApproval && !acted && record.ExtendedDueDate is null;
            if (!waiting && !untouched)
            {
                return Task.FromResult(Outcome<bool>.Conflict("state", $"More proof can be asked for only before anything is done for the request; this one is {record.State}.", "DSR008"));
            }
            if (waiting && record.ProofRequiredAt is { } since)
            {
                return Task.FromResult(Outcome<bool>.Conflict("state", $"More proof was already asked for on {since:yyyy-MM-dd}: record what was checked.", "DSR008"));
            }
            if (untouched)
            {
                record.State = RequestStates.IdentityPending;
                record.VerifiedAt = null;
                record.VerifiedBy = null;
                record.VerificationMethod = null;
                Apply(record, deadlines.Pause(ClockOf(record), ClockPause.Identity, deadlines.LocalDate(now)));
                Log(record, actor, "clock_paused", "Clock paused: the request waits for the additional proof of identity (DSR005).", now);
            }
            else if (record.ClockPausedReason is null)
            {
                Apply(record, deadlines.Pause(ClockOf(record), ClockPause.Identity, deadlines.LocalDate(now)));
            }
            record.State = RequestStates.IdentityPending;
            record.ProofRequiredAt = now;
            record.ProofRequiredBy = actor;
            record.ProofRequiredReason = reason.Trim();
            Log(record, actor, "proof_required", "Additional proof of identity asked for (DSR008); the person was told what and why.", now);
            if (Email(record) is { } email)
            {
                AskForProof(record, email);
            }
            return Task.FromResult(Outcome<bool>.Success(true));
        }, "requests.proof_required", cancellationToken);
    }

    private void AskForProof(SubjectRequest record, string email) =>
        outbox.Enqueue(email, $"Your request {record.Reference}: we need more proof of your identity", $"""
            Before we act on your {Describe(record.Type)} request {record.Reference}, we need to be sure it is really you.

            {record.ProofRequiredReason}

            We only check what we need and we do not keep copies of documents: we record what we checked.
            We will answer within one month of receiving this proof.
            """, "requests.proof_requested");

    /// <summary>DSR008, DSR009: staff record what they checked (never a copy): the request is verified once nothing
    /// else is outstanding, and the clock restarts (DSR005). A failed check leaves it waiting; staff may then refuse it
    /// as <c>identity_not_proven</c>.</summary>
    public async Task<Outcome<RequestView>> RecordCheckAsync(Guid id, IdentityCheckRequest body, string actor, CancellationToken cancellationToken = default)
    {
        var violations = new List<Violation>();
        var methods = IdentityProof.MethodsFor(body.Kind);
        if (methods is null)
        {
            violations.Add(new Violation("kind", $"Use one of {string.Join(", ", IdentityProof.Kinds)}.", "DSR008"));
        }
        else if (body.Method is null || !methods.ContainsKey(body.Method))
        {
            violations.Add(new Violation("method", $"Use one of {string.Join(", ", methods.Keys)}.", body.Kind == IdentityProof.Authority ? "DSR009" : "DSR008"));
        }
        if (string.IsNullOrWhiteSpace(body.Description) || body.Description.Length > 1000)
        {
            violations.Add(new Violation("description", "Describe what you checked (up to 1,000 characters): what was seen, not a copy or the document's number.", "DSR008"));
        }
        if (body.Outcome is null || !IdentityProof.Outcomes.Contains(body.Outcome))
        {
            violations.Add(new Violation("outcome", $"Use one of {string.Join(", ", IdentityProof.Outcomes)}.", "DSR008"));
        }
        if (violations.Count > 0)
        {
            return Outcome<RequestView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var (kind, method, outcome) = (body.Kind, body.Method!, body.Outcome!);
        var earlier = await db.Set<IdentityCheckRecord>().AsNoTracking().Where(c => c.RequestId == id).ToListAsync(cancellationToken);
        return await ChangeAsync(id, actor, (record, now) =>
        {
            if (record.State is not (RequestStates.Received or RequestStates.IdentityPending))
            {
                return Task.FromResult(Outcome<bool>.Conflict("state", $"Checks are recorded while a request waits for identity proof; this one is {record.State}.", "DSR008"));
            }
            if (kind == IdentityProof.Authority && record.AgentEncrypted is null)
            {
                return Task.FromResult(Outcome<bool>.Conflict("kind", "No agent acts for the person on this request.", "DSR009"));
            }
            AddCheck(record, kind, method, body.Description, outcome, actor, now);
            var checks = Proofs(record, earlier).Append(new ProofCheck(kind, outcome, now));
            var outstanding = IdentityProof.Outstanding(record.CodeConfirmedAt is not null, record.ProofRequiredAt, record.AgentEncrypted is not null, checks);
            if (outstanding.Count == 0)
            {
                var passed = earlier.Where(c => c.Outcome == IdentityProof.Passed).Select(c => (c.Kind, c.Method)).Append((kind, method));
                MarkVerified(record, actor, now, passed, "Identity proven");
            }
            else if (outcome == IdentityProof.Passed)
            {
                Log(record, actor, "awaiting_proof", $"Still waiting for {string.Join(" and ", outstanding.Select(IdentityProof.Describe))}.", now);
            }
            return Task.FromResult(Outcome<bool>.Success(true));
        }, body.Kind == IdentityProof.Authority ? "requests.authority_checked" : "requests.identity_checked", cancellationToken,
            new JsonObject { ["kind"] = body.Kind, ["method"] = body.Method, ["outcome"] = body.Outcome });
    }

    /// <summary>DSR006: the identity is proven; the clock restarts from today (DSR005) and an erasure goes to the DPO.</summary>
    private void MarkVerified(SubjectRequest record, string actor, DateTimeOffset now, IEnumerable<(string Kind, string Method)> passed, string why)
    {
        record.State = RequestStates.Verified;
        record.VerifiedAt = now;
        record.VerifiedBy = actor;
        record.VerificationMethod = Trim(VerificationSummary(record.CodeConfirmedAt is not null && record.ProofRequiredAt is null, passed), 500);
        Log(record, actor, "verified", $"{why}: {record.VerificationMethod}.", now);
        Restart(record, now, actor, "Identity proven; the clock restarts from today.");
        AfterVerified(record, actor, now);
    }

    private static string VerificationSummary(bool code, IEnumerable<(string Kind, string Method)> passed)
    {
        var parts = new List<string>();
        if (code)
        {
            parts.Add("one-time code to the e-mail address on the request");
        }
        foreach (var (kind, method) in passed.Distinct())
        {
            parts.Add(kind == IdentityProof.Identity ? $"staff check: {IdentityProof.IdentityMethods[method]}" : $"agent's authority: {IdentityProof.AuthorityMethods[method]}");
        }
        return string.Join("; ", parts);
    }

    private string AgentJson(NewRequest request) => keys.Encrypt(JsonSerializer.Serialize(
        new AgentDetails(request.ActingFor!.Trim(), string.IsNullOrWhiteSpace(request.AgentContact) ? null : request.AgentContact.Trim(), request.AgentRelationship, null)),
        IdentityPurpose);

    private AgentDetails? AgentOf(SubjectRequest record) => record.AgentEncrypted is null
        ? null
        : JsonSerializer.Deserialize<AgentDetails>(keys.Decrypt(record.AgentEncrypted, IdentityPurpose), ViewJson);

    /// <summary>The checks as the rules count them. Requests logged before authority was a check of its own carry the
    /// authority shown at intake in the agent record.</summary>
    private IEnumerable<ProofCheck> Proofs(SubjectRequest record, IEnumerable<IdentityCheckRecord> rows)
    {
        var proofs = rows.Select(c => new ProofCheck(c.Kind, c.Outcome, c.CheckedAt));
        return AgentOf(record)?.Authority is null ? proofs : proofs.Append(new ProofCheck(IdentityProof.Authority, IdentityProof.Passed, record.ReceivedAt));
    }

    private static readonly JsonSerializerOptions ViewJson = new(JsonSerializerDefaults.Web);

    /// <summary>What the request page and the API show of the proof: the agent, the step-up, the checks, and what
    /// verification still waits for.</summary>
    private async Task<(AgentView? Agent, ProofRequirementView? Required, IReadOnlyList<IdentityCheckView> Checks, IReadOnlyList<string> Outstanding)>
        ProofOfAsync(SubjectRequest r, CancellationToken cancellationToken)
    {
        var rows = await db.Set<IdentityCheckRecord>().AsNoTracking().Where(c => c.RequestId == r.Id).ToListAsync(cancellationToken);
        var agent = AgentOf(r);
        var checks = rows.OrderBy(c => c.CheckedAt).ThenBy(c => c.Id).Select(c => new IdentityCheckView(c.Kind, c.Method,
            IdentityProof.MethodsFor(c.Kind)?.GetValueOrDefault(c.Method) ?? c.Method, keys.Decrypt(c.DescriptionEncrypted, IdentityPurpose), c.Outcome,
            c.CheckedBy, c.CheckedAt)).ToList();
        var outstanding = r.State is RequestStates.Received or RequestStates.IdentityPending
            ? IdentityProof.Outstanding(r.CodeConfirmedAt is not null, r.ProofRequiredAt, agent is not null, Proofs(r, rows))
            : [];
        return (agent is null ? null : new AgentView(agent.ActingFor, agent.Contact, agent.Relationship),
            r.ProofRequiredAt is { } at ? new ProofRequirementView(r.ProofRequiredReason ?? "", at, r.ProofRequiredBy ?? "") : null, checks, outstanding);
    }
}
