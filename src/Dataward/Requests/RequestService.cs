using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Consent;
using Dataward.Domain;
using Dataward.Domain.Consent;
using Dataward.Domain.Requests;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Portal;
using Dataward.Register;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Requests;

/// <summary>A new request, from the privacy centre, the API or staff logging a letter or call (DSR001).</summary>
/// <param name="Identities">e-mail plus any other identity kinds the datasets know (<c>phone_number</c>, <c>customer_id</c>...).</param>
/// <param name="IdentityChecked">Staff who have already checked identity (in person, say) record what they checked (DSR008).</param>
/// <param name="ActingFor">The agent (solicitor, relative...) making the request for the person (DSR009).</param>
/// <param name="Authority">The evidence of authority the agent showed; without it the request waits for it (DSR009).</param>
/// <param name="RequireProof">Ask at intake for more proof than the code, saying what and why (DSR008).</param>
/// <param name="ReplyChannel">How the person wants the answer; by default the way the request came (DSR024).</param>
public sealed record NewRequest(string Type, IReadOnlyDictionary<string, string>? Identities, string Channel = "web", string? Details = null,
    DateTimeOffset? ReceivedAt = null, string? IdentityChecked = null, string? ActingFor = null, string? Authority = null,
    string? IdentityCheckMethod = null, string? AuthorityType = null, string? AgentContact = null, string? AgentRelationship = null,
    string? RequireProof = null, string? ReplyChannel = null);

public sealed record RequestTimelineEntry(DateTimeOffset At, string Actor, string Kind, string Summary);

/// <summary>A request as staff and the API see it. Dates are the organisation's local calendar dates.</summary>
public sealed record RequestView(Guid Id, string Reference, string Type, string Channel, string State, IReadOnlyDictionary<string, string> Identities,
    string? Details, DateTimeOffset ReceivedAt, DateOnly ClockStartDate, string? ClockPausedReason, DateOnly? DueAt, DateOnly? OriginalDueAt,
    DateOnly? ExtendedDueAt, string? ExtensionReason, DateOnly? TargetAt, bool Overdue, DateTimeOffset? VerifiedAt, string? VerificationMethod,
    DateTimeOffset? ApprovedAt, string? RefusalGround, string? RefusalReason, DateTimeOffset? ClosedAt, string? ActingFor,
    IReadOnlyList<RequestTimelineEntry> Timeline, string ResponseChannel, DateTimeOffset? ResponseSentAt, AgentView? Agent,
    ProofRequirementView? ProofRequired, IReadOnlyList<IdentityCheckView> IdentityChecks, IReadOnlyList<string> AwaitingProof, RequestRunView? Run);

public sealed record RequestSummary(Guid Id, string Reference, string Type, string Channel, string State, DateTimeOffset ReceivedAt, DateOnly? DueAt,
    bool Overdue, bool DueSoon);

public sealed record RequestFilter(string? State = null, string? Type = null, string? Due = null);

/// <summary>Data-subject requests from intake to answer: references, acknowledgements, identity proof, the legal clock
/// (requests.md §2) and the states of §6.1. Execution against connected databases lives in the request engine.</summary>
public sealed partial class RequestService(DatawardDbContext db, KeyRing keys, AuditTrail audit, EmailOutbox outbox, ConsentService consent,
    RegisterService register, Deadlines deadlines, SubjectVerification verification, IConfiguration configuration, TimeProvider time)
{
    private const string IdentityPurpose = "requests.identities";
    public const int DueSoonDays = 7;

    public async Task<Outcome<RequestView>> CreateAsync(NewRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = new List<Violation>();
        if (!RequestTypes.All.Contains(request.Type))
        {
            violations.Add(new Violation("type", $"Use one of {string.Join(", ", RequestTypes.All)}."));
        }
        if (!RequestChannels.All.Contains(request.Channel))
        {
            violations.Add(new Violation("channel", $"Use one of {string.Join(", ", RequestChannels.All)}.", "DSR001"));
        }
        var identities = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (kind, value) in request.Identities ?? new Dictionary<string, string>())
        {
            if (!IdentityKind().IsMatch(kind ?? "") || string.IsNullOrWhiteSpace(value) || value.Length > 320)
            {
                violations.Add(new Violation($"identities.{kind}", "Give each identity as a short name (e.g. email, phone_number) and a value of up to 320 characters."));
                continue;
            }
            identities[kind!] = ConsentRules.NormaliseSubject(value);
        }
        if (identities.Count == 0)
        {
            violations.Add(new Violation("identities", "Give at least one way to identify the person, normally their e-mail address."));
        }
        if (identities.TryGetValue("email", out var email) && !System.Net.Mail.MailAddress.TryCreate(email, out _))
        {
            violations.Add(new Violation("identities.email", "This is not an e-mail address."));
        }
        if (request.Details?.Length > 10_000)
        {
            violations.Add(new Violation("details", "At most 10,000 characters."));
        }
        var now = time.GetUtcNow();
        if (request.ReceivedAt is { } given && (given > now.AddMinutes(5) || given < now.AddYears(-1)))
        {
            violations.Add(new Violation("receivedAt", "When the request arrived: not in the future, not more than a year ago."));
        }
        ValidateProof(request, email, violations);
        if (violations.Count > 0)
        {
            return Outcome<RequestView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var receivedAt = request.ReceivedAt ?? now;
        var received = deadlines.LocalDate(receivedAt);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Outcome<RequestView>.Success(await InsertAsync(request, identities, email, receivedAt, received, actor, now, cancellationToken));
            }
            catch (DbUpdateException e) when (attempt < 5 && DatabaseErrors.IsUniqueViolation(e))
            {
                // Two intakes took the same sequence number: the loser takes the next.
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task<RequestView> InsertAsync(NewRequest request, IReadOnlyDictionary<string, string> identities, string? email,
        DateTimeOffset receivedAt, DateOnly received, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var year = received.Year;
        var sequence = (await db.Set<SubjectRequest>().Where(r => r.Year == year).MaxAsync(r => (int?)r.Sequence, cancellationToken) ?? 0) + 1;
        var record = new SubjectRequest
        {
            Reference = RequestReferences.Format(year, sequence),
            Year = year,
            Sequence = sequence,
            Type = request.Type,
            Channel = request.Channel,
            State = RequestStates.Received,
            SubjectHash = consent.HashSubject(email ?? identities.First().Value),
            IdentitiesEncrypted = keys.Encrypt(JsonSerializer.Serialize(identities), IdentityPurpose),
            DetailsEncrypted = string.IsNullOrWhiteSpace(request.Details) ? null : keys.Encrypt(request.Details.Trim(), IdentityPurpose),
            AgentEncrypted = request.ActingFor is null ? null : AgentJson(request),
            ResponseChannel = request.ReplyChannel ?? ReplyChannels.DefaultFor(request.Channel, email is not null),
            ReceivedAt = receivedAt,
            ReceivedLocalDate = received,
            ClockStartDate = received,
        };
        db.Add(record);
        Log(record, actor, "received", $"Received {Via(request.Channel)} as {(Describe(request.Type)[0] is 'a' or 'e' or 'o' ? "an" : "a")} {Describe(request.Type)} request; the answer goes by {record.ResponseChannel.Replace('_', ' ')} (DSR024).", now);
        // DSR008, DSR009: staff record what they checked, never a copy of the document.
        var checks = IntakeChecks(record, request, actor, now);
        var outstanding = IdentityProof.Outstanding(false, record.ProofRequiredAt, request.ActingFor is not null, checks);
        if (outstanding.Count == 0)
        {
            record.State = RequestStates.Verified;
            record.VerifiedAt = now;
            record.VerificationMethod = Trim(VerificationSummary(false, checks.Select(c => (c.Kind, c.Kind == IdentityProof.Identity
                ? request.IdentityCheckMethod ?? "other" : request.AuthorityType ?? "other"))), 500);
            record.VerifiedBy = actor;
            record.DueDate = deadlines.Due(received);
            Log(record, actor, "verified", $"Identity proven at intake: {record.VerificationMethod}.", now);
            AfterVerified(record, actor, now);
        }
        else
        {
            // DSR005: the clock waits for the identity proof, asked for at intake (requests.md §2.2).
            record.State = RequestStates.IdentityPending;
            record.ClockPausedReason = ClockPause.Identity;
            record.ClockPausedOn = received;
            Log(record, actor, "clock_paused", $"Clock paused until we have {string.Join(" and ", outstanding.Select(IdentityProof.Describe))}.", now);
        }
        await db.SaveChangesAsync(cancellationToken);
        if (email is not null)
        {
            var codeNeeded = outstanding.Contains(IdentityProof.AwaitingCode);
            Acknowledge(record, email, codeNeeded);
            if (codeNeeded)
            {
                await SendCodeAsync(record, email, actor, cancellationToken);
            }
            if (record.ProofRequiredAt is not null)
            {
                AskForProof(record, email);
            }
        }
        await audit.RecordAsync(actor, "requests.received", $"request:{record.Id}",
            new JsonObject { ["reference"] = record.Reference, ["type"] = record.Type, ["channel"] = record.Channel }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await ViewAsync(record, cancellationToken);
    }

    /// <summary>DSR002: the acknowledgement names the reference and the due date, or how it will be set.</summary>
    private void Acknowledge(SubjectRequest record, string email, bool codeSent)
    {
        var due = record.DueDate is { } date
            ? $"We will answer by {Long(date)} at the latest."
            : $"We will answer within one month of the day you confirm your identity: if you confirm today, by {Long(deadlines.Due(deadlines.LocalDate(time.GetUtcNow())))}.";
        outbox.Enqueue(email, $"We received your request {record.Reference}", $"""
            Thank you. We received your {Describe(record.Type)} request on {Long(record.ReceivedLocalDate)}.
            Your reference is {record.Reference}: please quote it if you contact us.

            {due}
            {(codeSent ? "We have sent you a separate e-mail with a code to confirm it is really you. We do not reveal, change or delete anything until you do."
                : record.DueDate is null ? "Before we act on it we need to confirm who you are; we will tell you what we need. We do not reveal, change or delete anything until then." : "")}

            There is no charge. If you did not make this request, please tell us by replying to this message.
            """, "requests.acknowledgement");
    }

    public async Task<RequestView?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        await db.Set<SubjectRequest>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken) is { } record
            ? await ViewAsync(record, cancellationToken)
            : null;

    /// <summary>DSR025: the queue, with overdue and due-soon (default 7 days) filters.</summary>
    public async Task<IReadOnlyList<RequestSummary>> ListAsync(RequestFilter filter, CancellationToken cancellationToken = default)
    {
        var query = db.Set<SubjectRequest>().AsNoTracking();
        if (filter.State is { Length: > 0 } state)
        {
            query = query.Where(r => r.State == state);
        }
        if (filter.Type is { Length: > 0 } type)
        {
            query = query.Where(r => r.Type == type);
        }
        var today = deadlines.LocalDate(time.GetUtcNow());
        var rows = (await query.ToListAsync(cancellationToken)).Select(r => Summarise(r, today));
        rows = filter.Due switch
        {
            "overdue" => rows.Where(r => r.Overdue),
            "soon" => rows.Where(r => r.DueSoon),
            _ => rows,
        };
        return rows.OrderBy(r => r.DueAt ?? DateOnly.MaxValue).ThenBy(r => r.ReceivedAt).ToList();
    }

    private static RequestSummary Summarise(SubjectRequest r, DateOnly today)
    {
        var due = r.EffectiveDueDate;
        var open = RequestStates.IsOpen(r.State);
        return new RequestSummary(r.Id, r.Reference, r.Type, r.Channel, r.State, r.ReceivedAt, due, open && due < today,
            open && due >= today && due <= today.AddDays(DueSoonDays));
    }

    /// <summary>DSR004: up to two further months from the original start, only before the original due date, with the
    /// reasons told to the person.</summary>
    public async Task<Outcome<RequestView>> ExtendAsync(Guid id, int months, string? reason, string actor, CancellationToken cancellationToken = default)
    {
        if (months is not (1 or 2))
        {
            return Outcome<RequestView>.Invalid("months", "An extension is one or two further months (Art. 12(3)).", "DSR004");
        }
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 2000)
        {
            return Outcome<RequestView>.Invalid("reason", "Say why the request is complex or why there are many (the person is told).", "DSR004");
        }
        return await ChangeAsync(id, actor, async (record, now) =>
        {
            if (!RequestStates.IsOpen(record.State) || record.DueDate is null)
            {
                return Outcome<bool>.Conflict("state", "Only an open request whose clock is running can be extended.", "DSR004");
            }
            if (record.ExtendedDueDate is not null)
            {
                return Outcome<bool>.Conflict("months", $"Already extended to {record.ExtendedDueDate:yyyy-MM-dd}; the law allows no more.", "DSR004");
            }
            if (deadlines.LocalDate(now) > record.DueDate)
            {
                return Outcome<bool>.Conflict("months", $"The original deadline ({record.DueDate:yyyy-MM-dd}) has passed: an extension must be decided and told within the first month.", "DSR004");
            }
            record.ExtendedDueDate = deadlines.Extended(record.ClockDaysCredited == 0 ? record.ClockStartDate : record.ClockStartDate.AddDays(-record.ClockDaysCredited), months);
            record.ExtensionReason = reason.Trim();
            record.ExtensionNoticeSentAt = now;
            if (record.State != RequestStates.AwaitingApproval)
            {
                record.State = RequestStates.Extended;
            }
            if (Email(record) is { } email)
            {
                outbox.Enqueue(email, $"Your request {record.Reference}: we need more time", $"""
                    We are extending the time to answer your request {record.Reference} by {months} {(months == 1 ? "month" : "months")}, as the law
                    allows for complex or numerous requests (Art. 12(3)). We will answer by {Long(record.ExtendedDueDate.Value)} at the latest.

                    Why: {record.ExtensionReason}

                    {await ComplaintRightsAsync(cancellationToken)}
                    """, "requests.extension");
            }
            Log(record, actor, "extended", $"Extended by {months} {(months == 1 ? "month" : "months")} to {record.ExtendedDueDate:yyyy-MM-dd}; the person was told why.", now);
            return Outcome<bool>.Success(true);
        }, "requests.extended", cancellationToken);
    }

    /// <summary>DSR005: stop the clock while a fee or a clarification is awaited (identity pauses at intake).</summary>
    public Task<Outcome<RequestView>> PauseAsync(Guid id, string? reason, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, (record, now) =>
        {
            if (reason is not (ClockPause.Fee or ClockPause.Clarification))
            {
                return Task.FromResult(Outcome<bool>.Invalid("reason", "Pause for a fee or a clarification.", "DSR005"));
            }
            if (!RequestStates.IsOpen(record.State) || record.ClockPausedReason is not null)
            {
                return Task.FromResult(Outcome<bool>.Conflict("state", "The clock is not running for this request.", "DSR005"));
            }
            var clock = deadlines.Pause(ClockOf(record), reason, deadlines.LocalDate(now));
            Apply(record, clock);
            Log(record, actor, "clock_paused", $"Clock paused: waiting for a {reason}.", now);
            return Task.FromResult(Outcome<bool>.Success(true));
        }, "requests.clock_paused", cancellationToken);

    /// <summary>DSR005: what was awaited arrived; the clock restarts from today.</summary>
    public Task<Outcome<RequestView>> ResumeAsync(Guid id, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, (record, now) =>
        {
            if (record.ClockPausedReason is null or ClockPause.Identity)
            {
                return Task.FromResult(Outcome<bool>.Conflict("state", "The clock is not paused for a fee or clarification.", "DSR005"));
            }
            Restart(record, now, actor, $"Received the awaited {record.ClockPausedReason}; the clock restarts.");
            return Task.FromResult(Outcome<bool>.Success(true));
        }, "requests.clock_restarted", cancellationToken);

    /// <summary>DSR010, DSR023: a refusal names its ground and reasons; the letter tells the person of their right to
    /// complain and to a judicial remedy. Manifestly unfounded or excessive needs the DPO.</summary>
    public async Task<Outcome<RequestView>> RejectAsync(Guid id, string? ground, string? reason, string actor, bool actorIsDpo,
        CancellationToken cancellationToken = default)
    {
        if (ground is null || !RefusalGrounds.All.ContainsKey(ground))
        {
            return Outcome<RequestView>.Invalid("ground", $"Use one of {string.Join(", ", RefusalGrounds.All.Keys)}.", "DSR023");
        }
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 4000)
        {
            return Outcome<RequestView>.Invalid("reason", "Explain the refusal in plain words: the person receives it.", "DSR023");
        }
        if (RefusalGrounds.NeedsDpo(ground) && !actorIsDpo)
        {
            return Outcome<RequestView>.Fail(FailureKind.Forbidden, new Violation("ground", "Refusing a request as manifestly unfounded or excessive needs the DPO's sign-off.", "DSR010"));
        }
        var complaint = await ComplaintRightsAsync(cancellationToken);
        return await ChangeAsync(id, actor, (record, now) =>
        {
            if (!RequestStates.CanMove(record.State, RequestStates.Rejected))
            {
                return Task.FromResult(Outcome<bool>.Conflict("state", $"A request that is {record.State} cannot be refused."));
            }
            record.State = RequestStates.Rejected;
            record.RefusalGround = ground;
            record.RefusalReason = reason.Trim();
            record.ClosedAt = now;
            Log(record, actor, "refused", $"Refused: {RefusalGrounds.All[ground]}.", now);
            Reply(record, actor, $"Your request {record.Reference}: our answer", $"""
                We have decided not to act on your {Describe(record.Type)} request {record.Reference}, because {RefusalGrounds.All[ground]}.

                {record.RefusalReason}

                {complaint}
                You may also seek a judicial remedy through the courts.
                """, "requests.refusal", now);
            return Task.FromResult(Outcome<bool>.Success(true));
        }, "requests.refused", cancellationToken);
    }

    public Task<Outcome<RequestView>> CancelAsync(Guid id, string? reason, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, (record, now) =>
        {
            if (!RequestStates.CanMove(record.State, RequestStates.Cancelled))
            {
                return Task.FromResult(Outcome<bool>.Conflict("state", $"A request that is {record.State} cannot be cancelled."));
            }
            record.State = RequestStates.Cancelled;
            record.ClosedAt = now;
            Log(record, actor, "cancelled", string.IsNullOrWhiteSpace(reason) ? "Cancelled." : $"Cancelled: {Trim(reason, 500)}", now);
            return Task.FromResult(Outcome<bool>.Success(true));
        }, "requests.cancelled", cancellationToken);

    /// <summary>Runs one change on a request in a transaction with its audit entry; a concurrent change makes it a 409.</summary>
    private async Task<Outcome<RequestView>> ChangeAsync(Guid id, string actor, Func<SubjectRequest, DateTimeOffset, Task<Outcome<bool>>> change,
        string auditAction, CancellationToken cancellationToken, JsonObject? details = null)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Set<SubjectRequest>().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<RequestView>.NotFound("id", "No request has this id.");
        }
        var now = time.GetUtcNow();
        var outcome = await change(record, now);
        if (!outcome.Succeeded)
        {
            return Outcome<RequestView>.Fail(outcome.Failure!.Value, [.. outcome.Violations]);
        }
        record.Version++;
        var entry = new JsonObject { ["reference"] = record.Reference, ["state"] = record.State };
        foreach (var (name, value) in details ?? [])
        {
            entry[name] = value?.DeepClone();
        }
        await audit.RecordAsync(actor, auditAction, $"request:{record.Id}", entry, cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Outcome<RequestView>.Conflict("id", "Someone else changed this request at the same moment: reload and try again.");
        }
        await transaction.CommitAsync(cancellationToken);
        return Outcome<RequestView>.Success(await ViewAsync(record, cancellationToken));
    }

    private void Restart(SubjectRequest record, DateTimeOffset now, string actor, string summary)
    {
        var clock = deadlines.Resume(ClockOf(record), deadlines.LocalDate(now));
        Apply(record, clock);
        Log(record, actor, "clock_restarted", $"{summary} Due {record.DueDate:yyyy-MM-dd}.", now);
    }

    private static RequestClock ClockOf(SubjectRequest r) => new(r.ClockStartDate, r.ClockPausedReason, r.ClockPausedOn, r.ClockDaysCredited);

    private void Apply(SubjectRequest record, RequestClock clock)
    {
        record.ClockStartDate = clock.StartDate;
        record.ClockPausedReason = clock.PausedReason;
        record.ClockPausedOn = clock.PausedOn;
        record.ClockDaysCredited = clock.DaysCreditedBeforePause;
        record.DueDate = deadlines.Due(clock);
    }

    private void Log(SubjectRequest record, string actor, string kind, string summary, DateTimeOffset at) =>
        db.Add(new SubjectRequestEvent { RequestId = record.Id, At = at, Actor = actor, Kind = kind, Summary = summary });

    private IReadOnlyDictionary<string, string> Identities(SubjectRequest record) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(keys.Decrypt(record.IdentitiesEncrypted, IdentityPurpose)) ?? [];

    private string? Email(SubjectRequest record) => Identities(record).GetValueOrDefault("email");

    private async Task<RequestView> ViewAsync(SubjectRequest r, CancellationToken cancellationToken)
    {
        var timeline = await db.Set<SubjectRequestEvent>().AsNoTracking().Where(e => e.RequestId == r.Id).ToListAsync(cancellationToken);
        var proof = await ProofOfAsync(r, cancellationToken);
        var run = await RunOfAsync(r, cancellationToken);
        var today = deadlines.LocalDate(time.GetUtcNow());
        return new RequestView(r.Id, r.Reference, r.Type, r.Channel, r.State, Identities(r),
            r.DetailsEncrypted is null ? null : keys.Decrypt(r.DetailsEncrypted, IdentityPurpose), r.ReceivedAt, r.ClockStartDate, r.ClockPausedReason,
            r.EffectiveDueDate, r.DueDate, r.ExtendedDueDate, r.ExtensionReason, r.DueDate is { } due ? Deadlines.Target(r.ClockStartDate) : null,
            RequestStates.IsOpen(r.State) && r.EffectiveDueDate < today, r.VerifiedAt, r.VerificationMethod, r.ApprovedAt, r.RefusalGround,
            r.RefusalReason, r.ClosedAt, proof.Agent?.Name,
            timeline.OrderBy(e => e.At).ThenBy(e => e.Id).Select(e => new RequestTimelineEntry(e.At, e.Actor, e.Kind, e.Summary)).ToList(),
            r.ResponseChannel, r.ResponseSentAt, proof.Agent, proof.Required, proof.Checks, proof.Outstanding, run);
    }

    /// <summary>DSR023: the right to complain to the supervisory authority, named for the organisation's jurisdiction.</summary>
    private async Task<string> ComplaintRightsAsync(CancellationToken cancellationToken)
    {
        var organisation = await register.OrganisationAsync(cancellationToken);
        var dpo = organisation.Dpo?.Email ?? organisation.Email;
        var authority = organisation.IsUk
            ? "the Information Commissioner's Office (ico.org.uk/make-a-complaint, 0303 123 1113)"
            : "the data protection supervisory authority where you live or work, or where you think the law was broken";
        return $"If you are unhappy with how we handled your request, you can contact our data protection officer{(dpo is null ? "" : $" at {dpo}")}, and you have the right to complain to {authority}.";
    }

    private static string Describe(string type) => type switch
    {
        RequestTypes.Access => "access (a copy of your data)",
        RequestTypes.Rectification => "rectification (correcting your data)",
        RequestTypes.Erasure => "erasure (deleting your data)",
        RequestTypes.Restriction => "restriction (limiting how we use your data)",
        RequestTypes.Objection => "objection",
        RequestTypes.Portability => "data portability",
        _ => "automated-decision review",
    };

    /// <summary>DSR001: how the request reached us, in words.</summary>
    private static string Via(string channel) => channel switch
    {
        "web" => "through the privacy centre",
        "email" => "by e-mail",
        "in_person" => "in person",
        "other" => "by another channel",
        _ => $"by {channel}",
    };

    private static string Long(DateOnly date) => date.ToString("dddd d MMMM yyyy", CultureInfo.InvariantCulture);

    private static string Trim(string value, int max) => value.Length > max ? value[..max] : value.Trim();


    [System.Text.RegularExpressions.GeneratedRegex("^[a-z][a-z0-9_]{0,39}$")]
    private static partial System.Text.RegularExpressions.Regex IdentityKind();
}
