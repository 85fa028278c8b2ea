using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Domain.Complaints;
using Dataward.Domain.Requests;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Register;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dataward.Complaints;

/// <summary>Who complained and how to reach them; at least one way to reply.</summary>
public sealed record Complainant(string? Name = null, string? Email = null, string? Phone = null, string? Address = null);

/// <summary>A complaint staff log (e-mail, letter, call, in person): <c>channel</c> email, post, phone or staffLogged;
/// <c>receivedAt</c> defaults to now.</summary>
public sealed record NewComplaint(string? Channel = null, Complainant? Complainant = null, string? Subject = null, string? Details = null,
    DateTimeOffset? ReceivedAt = null, Guid? RelatedRequestId = null, Guid? RelatedBreachId = null);

/// <summary>The acknowledgement: by e-mail through the outbox (the default when an address is known, sent now), or a
/// letter or call already made, with when.</summary>
public sealed record AcknowledgeRequest(string? Method = null, DateTimeOffset? At = null);

/// <summary>A progress update (s. 164A(4)), e-mailed to the person when <c>sendToComplainant</c> is true.</summary>
public sealed record ComplaintUpdateRequest(string? Text = null, bool? SendToComplainant = null);

/// <summary>The outcome: <c>result</c> upheld, partlyUpheld or notUpheld, the explanation, and how it goes (e-mail by default).</summary>
public sealed record RespondRequest(string? Outcome = null, string? Result = null, string? Method = null);

/// <summary>Closing: after the outcome, or earlier with a reason (the person withdrew it, say).</summary>
public sealed record CloseComplaintRequest(string? Reason = null);

public sealed record ComplaintTimelineEntry(DateTimeOffset At, string Actor, string Kind, string Text, bool SentToComplainant);

/// <summary>A complaint as staff see it, with its clocks: <c>ackDueAt</c> (ACC014) and the organisation's
/// <c>replyDueAt</c>; <c>outcome</c> is the text as sent, with the right to complain to the ICO.</summary>
public sealed record ComplaintView(Guid Id, string Reference, string Channel, string Status, DateTimeOffset ReceivedAt, Complainant Complainant,
    string Subject, string Details, Guid? RelatedRequestId, Guid? RelatedBreachId, DateTimeOffset AckDueAt, bool AckOverdue,
    DateTimeOffset? AcknowledgedAt, string? AcknowledgementMethod, bool? AcknowledgedOnTime, DateTimeOffset ReplyDueAt, bool ReplyOverdue,
    string? Result, string? Outcome, DateTimeOffset? OutcomeSentAt, string? OutcomeMethod, bool IcoRightMentioned, DateTimeOffset? ClosedAt,
    string? ClosedReason, IReadOnlyList<ComplaintTimelineEntry> Updates, IReadOnlyList<ComplaintTimelineEntry> Timeline);

public sealed record ComplaintSummary(Guid Id, string Reference, string Channel, string Status, DateTimeOffset ReceivedAt, string Subject,
    DateTimeOffset AckDueAt, DateTimeOffset? AcknowledgedAt, bool AckOverdue, DateTimeOffset ReplyDueAt, DateTimeOffset? OutcomeSentAt,
    bool ReplyOverdue, bool DueSoon);

/// <summary>Counts for a period of local dates (DPA 2018 s. 164B: kept ready for a return to the ICO).</summary>
public sealed record ComplaintCounts(DateOnly From, DateOnly To, int Received, IReadOnlyDictionary<string, int> ByChannel, int Acknowledged,
    int AcknowledgedOnTime, int Responded, int RespondedByTarget, IReadOnlyDictionary<string, int> ByResult, int Open);

/// <summary>What the privacy centre tells the person once the complaint is lodged.</summary>
public sealed record LodgedComplaint(string Reference, DateOnly ReceivedOn, DateOnly ReplyBy);

public sealed record ComplaintFilter(string? Status = null, string? Due = null);

/// <summary>Complaints (accountability.md §4, ACC014): lodged in the privacy centre or logged by staff, acknowledged
/// within 30 days by e-mail through the outbox (the privacy centre's at once), progress updates, the outcome with
/// the person's right to complain to the ICO, closure; counts per period.</summary>
public sealed class ComplaintService(DatawardDbContext db, KeyRing keys, AuditTrail audit, EmailOutbox outbox, RegisterService register,
    Deadlines deadlines, IOptions<ComplaintOptions> options, TimeProvider time)
{
    private const string Purpose = "complaints.complainant";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static readonly IReadOnlyList<string> StatusFilters = [.. ComplaintStatuses.All, "open"];

    public static readonly IReadOnlyList<string> DueFilters = ["overdue", "soon"];

    public TimeZoneInfo Zone => deadlines.Zone;

    /// <summary>The public form (164A(2)): no sign-in, an e-mail address for the reply; acknowledged by e-mail at once.</summary>
    public async Task<Outcome<LodgedComplaint>> LodgeAsync(string? name, string? email, string? subject, string? details,
        CancellationToken cancellationToken = default)
    {
        var outcome = await IntakeAsync(new NewComplaint(ComplaintChannels.PrivacyCentre, new Complainant(name, email), subject, details),
            AuditActor.Anonymous, acknowledgeNow: true, cancellationToken);
        return outcome.Succeeded
            ? Outcome<LodgedComplaint>.Success(new LodgedComplaint(outcome.Value!.Reference, outcome.Value.ReceivedLocalDate,
                ComplaintClock.LocalDate(outcome.Value.ReplyDueAt, Zone)))
            : Outcome<LodgedComplaint>.Fail(outcome.Failure!.Value, [.. outcome.Violations]);
    }

    /// <summary>A complaint received by e-mail, letter, call or in person, logged by staff; acknowledged separately.</summary>
    public async Task<Outcome<ComplaintView>> LogAsync(NewComplaint request, string actor, CancellationToken cancellationToken = default)
    {
        if (request.Channel is null || !ComplaintChannels.Staff.Contains(request.Channel))
        {
            return Outcome<ComplaintView>.Invalid("channel", $"Use one of {string.Join(", ", ComplaintChannels.Staff)} ({ComplaintChannels.PrivacyCentre} is the public form's).");
        }
        var outcome = await IntakeAsync(request, actor, acknowledgeNow: false, cancellationToken);
        return outcome.Succeeded
            ? Outcome<ComplaintView>.Success(await ViewAsync(outcome.Value!, cancellationToken))
            : Outcome<ComplaintView>.Fail(outcome.Failure!.Value, [.. outcome.Violations]);
    }

    private async Task<Outcome<Complaint>> IntakeAsync(NewComplaint request, string actor, bool acknowledgeNow, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var person = request.Complainant ?? new Complainant();
        var receivedAt = (request.ReceivedAt ?? now).ToUniversalTime();
        var violations = ComplaintRules.Intake(request.Channel!, person.Email, person.Phone, person.Address, request.Subject, request.Details, receivedAt, now).ToList();
        Text(violations, "complainant.name", person.Name, 200);
        Text(violations, "complainant.phone", person.Phone, 50);
        Text(violations, "complainant.address", person.Address, 1000);
        Text(violations, "subject", request.Subject, 200);
        Text(violations, "details", request.Details, 10_000);
        if (request.RelatedRequestId is { } requestId && !await db.Set<Requests.SubjectRequest>().AnyAsync(r => r.Id == requestId, cancellationToken))
        {
            violations.Add(new Violation("relatedRequestId", "No data-subject request has this id."));
        }
        if (request.RelatedBreachId is { } breachId && !await db.Set<Breaches.Breach>().AnyAsync(b => b.Id == breachId, cancellationToken))
        {
            violations.Add(new Violation("relatedBreachId", "No breach has this id."));
        }
        if (violations.Count > 0)
        {
            return Outcome<Complaint>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var clean = new Complainant(Blank(person.Name), Blank(person.Email), Blank(person.Phone), Blank(person.Address));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Outcome<Complaint>.Success(await InsertAsync(request, clean, receivedAt, actor, acknowledgeNow, now, cancellationToken));
            }
            catch (DbUpdateException e) when (attempt < 5 && DatabaseErrors.IsUniqueViolation(e))
            {
                // Two complaints took the same sequence number: the loser takes the next.
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task<Complaint> InsertAsync(NewComplaint request, Complainant person, DateTimeOffset receivedAt, string actor, bool acknowledgeNow,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var received = ComplaintClock.LocalDate(receivedAt, Zone);
        var year = received.Year;
        var sequence = (await db.Set<Complaint>().Where(c => c.Year == year).MaxAsync(c => (int?)c.Sequence, cancellationToken) ?? 0) + 1;
        var complaint = new Complaint
        {
            Reference = ComplaintReferences.Format(year, sequence),
            Year = year,
            Sequence = sequence,
            ReceivedAt = receivedAt,
            ReceivedLocalDate = received,
            Channel = request.Channel!,
            ComplainantEncrypted = keys.Encrypt(JsonSerializer.Serialize(person, Json), Purpose),
            HasEmail = person.Email is not null,
            SubjectEncrypted = keys.Encrypt(request.Subject!.Trim(), Purpose),
            DetailsEncrypted = keys.Encrypt(request.Details!.Trim(), Purpose),
            RelatedRequestId = request.RelatedRequestId,
            RelatedBreachId = request.RelatedBreachId,
            // ACC014: day 1 is the local day of receipt; the 30th day ends the acknowledgement period.
            AckDueAt = ComplaintClock.AckDueAt(receivedAt, Zone),
            ReplyDueAt = ComplaintClock.ReplyDueAt(receivedAt, options.Value.ReplyTargetDays, Zone),
            Status = ComplaintStatuses.Received,
            LoggedBy = actor,
        };
        db.Add(complaint);
        Log(complaint, actor, "received", request.Channel == ComplaintChannels.PrivacyCentre
            ? "Lodged in the privacy centre."
            : $"Received by {ChannelName(request.Channel!)}; logged by staff.", now);
        if (acknowledgeNow)
        {
            await AcknowledgeByEmailAsync(complaint, person.Email!, AuditActor.System, now, cancellationToken);
        }
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "complaints.received", $"complaint:{complaint.Id}",
            new JsonObject { ["reference"] = complaint.Reference, ["channel"] = complaint.Channel, ["acknowledged"] = acknowledgeNow }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return complaint;
    }

    /// <summary>ACC014: the acknowledgement goes through the outbox, naming the reference and the reply date.</summary>
    private async Task AcknowledgeByEmailAsync(Complaint complaint, string email, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var signature = await SignatureAsync(cancellationToken);
        outbox.Enqueue(email, $"We received your complaint {complaint.Reference}", $"""
            Thank you for telling us about your concern. We received your complaint on {Long(complaint.ReceivedLocalDate)}.
            Your reference is {complaint.Reference}: please quote it if you contact us.

            We will look into it, keep you informed, and tell you the outcome by {Long(ComplaintClock.LocalDate(complaint.ReplyDueAt, Zone))} at the latest.

            {signature}
            """, "complaints.acknowledgement");
        complaint.AcknowledgedAt = now;
        complaint.AcknowledgedBy = actor;
        complaint.AcknowledgementMethod = ComplaintReplyMethods.Email;
        complaint.Status = ComplaintStatuses.Acknowledged;
        Log(complaint, actor, "acknowledged", "Acknowledged by e-mail.", now, sent: true);
    }

    /// <summary>Staff acknowledge a complaint they logged: by e-mail now, or record a letter or call already made (ACC014).</summary>
    public Task<Outcome<ComplaintView>> AcknowledgeAsync(Guid id, AcknowledgeRequest request, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, async (complaint, person, now) =>
        {
            if (complaint.Status != ComplaintStatuses.Received)
            {
                return Outcome<bool>.Conflict("status", complaint.AcknowledgedAt is null ? $"This complaint is {complaint.Status}." : "This complaint is already acknowledged.");
            }
            var method = request.Method ?? (complaint.HasEmail ? ComplaintReplyMethods.Email : null);
            if (method is null)
            {
                return Outcome<bool>.Invalid("method", "No e-mail address is recorded: say how the person was told (post or phone).", "ACC014");
            }
            if (method == ComplaintReplyMethods.Email && request.At is not null)
            {
                return Outcome<bool>.Invalid("at", "An e-mail acknowledgement is sent now; a time is for a letter or call already made.");
            }
            var at = (request.At ?? now).ToUniversalTime();
            var violations = ComplaintRules.Reply("method", method, complaint.HasEmail, at, complaint.ReceivedAt, now).ToList();
            if (violations.Count > 0)
            {
                return Outcome<bool>.Fail(FailureKind.Invalid, [.. violations]);
            }
            if (method == ComplaintReplyMethods.Email)
            {
                await AcknowledgeByEmailAsync(complaint, person.Email!, actor, now, cancellationToken);
                complaint.AcknowledgedBy = actor;
                return Ok();
            }
            complaint.AcknowledgedAt = at;
            complaint.AcknowledgedBy = actor;
            complaint.AcknowledgementMethod = method;
            complaint.Status = ComplaintStatuses.Acknowledged;
            Log(complaint, actor, "acknowledged", $"Acknowledged by {(method == ComplaintReplyMethods.Post ? "letter" : "telephone")} on {Long(ComplaintClock.LocalDate(at, Zone))}.", now);
            return Ok();
        }, "complaints.acknowledged", cancellationToken);

    /// <summary>s. 164A(4): a progress update, e-mailed to the person when asked.</summary>
    public Task<Outcome<ComplaintView>> AddUpdateAsync(Guid id, ComplaintUpdateRequest request, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, (complaint, person, now) =>
        {
            var violations = new List<Violation>();
            if (string.IsNullOrWhiteSpace(request.Text))
            {
                violations.Add(new Violation("text", "Write the update."));
            }
            Text(violations, "text", request.Text, 4000);
            var send = request.SendToComplainant ?? false;
            if (send && !complaint.HasEmail)
            {
                violations.Add(new Violation("sendToComplainant", "No e-mail address is recorded for this person: tell them by letter or telephone."));
            }
            if (violations.Count > 0)
            {
                return Outcome<bool>.Fail(FailureKind.Invalid, [.. violations]);
            }
            if (complaint.Status == ComplaintStatuses.Closed)
            {
                return Outcome<bool>.Conflict("status", "This complaint is closed.");
            }
            var text = request.Text!.Trim();
            if (send)
            {
                outbox.Enqueue(person.Email!, $"An update on your complaint {complaint.Reference}", $"""
                    {text}

                    We will tell you the outcome by {Long(ComplaintClock.LocalDate(complaint.ReplyDueAt, Zone))} at the latest. Please quote {complaint.Reference} if you contact us.
                    """, "complaints.update");
            }
            Log(complaint, actor, "update", text, now, send);
            return Ok();
        }, "complaints.updated", cancellationToken);

    /// <summary>ACC014: the outcome, with the person's right to complain to the ICO, by e-mail through the outbox (or
    /// recorded as a letter, whose text is the same). An outcome also acknowledges a complaint not yet acknowledged.</summary>
    public async Task<Outcome<ComplaintView>> RespondAsync(Guid id, RespondRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var signature = await SignatureAsync(cancellationToken);
        return await ChangeAsync(id, actor, (complaint, person, now) =>
        {
            var violations = new List<Violation>();
            if (string.IsNullOrWhiteSpace(request.Outcome))
            {
                violations.Add(new Violation("outcome", "Explain the outcome to the person: what you found and what you have done."));
            }
            Text(violations, "outcome", request.Outcome, 10_000);
            if (request.Result is null || !ComplaintResults.All.Contains(request.Result))
            {
                violations.Add(new Violation("result", $"Use one of {string.Join(", ", ComplaintResults.All)}."));
            }
            var method = request.Method ?? (complaint.HasEmail ? ComplaintReplyMethods.Email : null);
            if (method is null)
            {
                violations.Add(new Violation("method", "No e-mail address is recorded: say how the outcome goes (post or phone).", "ACC014"));
            }
            else
            {
                violations.AddRange(ComplaintRules.Reply("method", method, complaint.HasEmail, now, complaint.ReceivedAt, now));
            }
            if (violations.Count > 0)
            {
                return Outcome<bool>.Fail(FailureKind.Invalid, [.. violations]);
            }
            if (complaint.Status is ComplaintStatuses.Responded or ComplaintStatuses.Closed)
            {
                return Outcome<bool>.Conflict("status", $"This complaint is already {complaint.Status}.");
            }
            var letter = ComplaintLetters.Outcome(complaint.Reference, request.Result!, request.Outcome!, signature);
            if (method == ComplaintReplyMethods.Email)
            {
                outbox.Enqueue(person.Email!, $"The outcome of your complaint {complaint.Reference}", letter, "complaints.outcome");
            }
            if (complaint.AcknowledgedAt is null)
            {
                complaint.AcknowledgedAt = now;
                complaint.AcknowledgedBy = actor;
                complaint.AcknowledgementMethod = method;
            }
            complaint.Result = request.Result;
            complaint.OutcomeEncrypted = keys.Encrypt(letter, Purpose);
            complaint.OutcomeSentAt = now;
            complaint.OutcomeMethod = method;
            complaint.RespondedBy = actor;
            complaint.IcoRightMentioned = ComplaintLetters.MentionsIcoRight(letter);
            complaint.Status = ComplaintStatuses.Responded;
            Log(complaint, actor, "responded", method == ComplaintReplyMethods.Email
                ? $"Outcome ({request.Result}) sent by e-mail, with the right to complain to the ICO."
                : $"Outcome ({request.Result}) recorded as sent by {(method == ComplaintReplyMethods.Post ? "letter" : "telephone")}, with the right to complain to the ICO.", now, method == ComplaintReplyMethods.Email);
            return Ok();
        }, "complaints.responded", cancellationToken);
    }

    /// <summary>Closes after the outcome, or earlier with a reason; the record stays.</summary>
    public Task<Outcome<ComplaintView>> CloseAsync(Guid id, CloseComplaintRequest request, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, actor, (complaint, _, now) =>
        {
            var violations = new List<Violation>();
            Text(violations, "reason", request.Reason, 2000);
            if (violations.Count > 0)
            {
                return Outcome<bool>.Fail(FailureKind.Invalid, [.. violations]);
            }
            if (complaint.Status == ComplaintStatuses.Closed)
            {
                return Outcome<bool>.Conflict("status", "This complaint is already closed.");
            }
            if (complaint.Status != ComplaintStatuses.Responded && string.IsNullOrWhiteSpace(request.Reason))
            {
                return Outcome<bool>.Invalid("reason", "The person has not been told an outcome: say why the complaint closes without one (for example, they withdrew it).", "ACC014");
            }
            complaint.Status = ComplaintStatuses.Closed;
            complaint.ClosedAt = now;
            complaint.ClosedBy = actor;
            complaint.ClosedReason = Blank(request.Reason);
            Log(complaint, actor, "closed", complaint.ClosedReason is null ? "Closed." : $"Closed: {complaint.ClosedReason}", now);
            return Ok();
        }, "complaints.closed", cancellationToken);

    /// <summary>One complaint with the complainant's details; each read is audited, as they are personal data.</summary>
    public async Task<ComplaintView?> GetAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        var view = await ReadAsync(id, cancellationToken);
        if (view is not null)
        {
            await audit.RecordAsync(actor, "complaints.viewed", $"complaint:{id}", new JsonObject { ["reference"] = view.Reference }, cancellationToken);
        }
        return view;
    }

    /// <summary>The complaint page renders its forms again when one is posted; the change it makes is audited itself.</summary>
    internal async Task<ComplaintView?> ReadAsync(Guid id, CancellationToken cancellationToken = default) =>
        await db.Set<Complaint>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, cancellationToken) is { } complaint
            ? await ViewAsync(complaint, cancellationToken)
            : null;

    /// <summary>Open complaints first, the nearest pending deadline first; then the newest closed ones.</summary>
    public async Task<Outcome<IReadOnlyList<ComplaintSummary>>> ListAsync(ComplaintFilter filter, CancellationToken cancellationToken = default)
    {
        var violations = new List<Violation>();
        if (filter.Status is { Length: > 0 } status && !StatusFilters.Contains(status))
        {
            violations.Add(new Violation("status", $"Use one of {string.Join(", ", StatusFilters)}, or leave it out."));
        }
        if (filter.Due is { Length: > 0 } due && !DueFilters.Contains(due))
        {
            violations.Add(new Violation("due", $"Use one of {string.Join(", ", DueFilters)}, or leave it out."));
        }
        if (violations.Count > 0)
        {
            return Outcome<IReadOnlyList<ComplaintSummary>>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var query = db.Set<Complaint>().AsNoTracking();
        query = filter.Status switch
        {
            null or "" => query,
            "open" => query.Where(c => c.Status != ComplaintStatuses.Closed),
            var s => query.Where(c => c.Status == s),
        };
        var now = time.GetUtcNow();
        var rows = (await query.ToListAsync(cancellationToken)).Select(c => Summary(c, now));
        rows = filter.Due switch
        {
            "overdue" => rows.Where(r => r.AckOverdue || r.ReplyOverdue),
            "soon" => rows.Where(r => r.DueSoon),
            _ => rows,
        };
        return Outcome<IReadOnlyList<ComplaintSummary>>.Success(rows.OrderBy(r => r.Status == ComplaintStatuses.Closed)
            .ThenBy(r => r.Status == ComplaintStatuses.Closed ? DateTimeOffset.MaxValue : NextDeadline(r))
            .ThenByDescending(r => r.ReceivedAt).ToList());
    }

    /// <summary>s. 164B: complaints received in a period of local dates (inclusive), with how they were handled.</summary>
    public async Task<Outcome<ComplaintCounts>> CountsAsync(DateOnly? from, DateOnly? to, CancellationToken cancellationToken = default)
    {
        var today = ComplaintClock.LocalDate(time.GetUtcNow(), Zone);
        var first = from ?? new DateOnly(today.Year, 1, 1);
        var last = to ?? today;
        if (last < first)
        {
            return Outcome<ComplaintCounts>.Invalid("to", "The period ends before it starts.");
        }
        var rows = await db.Set<Complaint>().AsNoTracking().Where(c => c.ReceivedLocalDate >= first && c.ReceivedLocalDate <= last)
            .Select(c => new { c.Channel, c.AcknowledgedAt, c.AckDueAt, c.OutcomeSentAt, c.ReplyDueAt, c.Result, c.Status }).ToListAsync(cancellationToken);
        return Outcome<ComplaintCounts>.Success(new ComplaintCounts(first, last, rows.Count,
            rows.GroupBy(r => r.Channel).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            rows.Count(r => r.AcknowledgedAt is not null), rows.Count(r => r.AcknowledgedAt <= r.AckDueAt),
            rows.Count(r => r.OutcomeSentAt is not null), rows.Count(r => r.OutcomeSentAt <= r.ReplyDueAt),
            rows.Where(r => r.Result is not null).GroupBy(r => r.Result!).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            rows.Count(r => r.Status != ComplaintStatuses.Closed)));
    }

    /// <summary>Runs one change on a complaint in a transaction with its audit entry; a concurrent change makes it a 409.</summary>
    private async Task<Outcome<ComplaintView>> ChangeAsync(Guid id, string actor, Func<Complaint, Complainant, DateTimeOffset, Task<Outcome<bool>>> change,
        string auditAction, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var complaint = await db.Set<Complaint>().FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (complaint is null)
        {
            return Outcome<ComplaintView>.NotFound("id", "No complaint has this id.");
        }
        var outcome = await change(complaint, Person(complaint), time.GetUtcNow());
        if (!outcome.Succeeded)
        {
            return Outcome<ComplaintView>.Fail(outcome.Failure!.Value, [.. outcome.Violations]);
        }
        complaint.Version++;
        await audit.RecordAsync(actor, auditAction, $"complaint:{complaint.Id}",
            new JsonObject { ["reference"] = complaint.Reference, ["status"] = complaint.Status }, cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Outcome<ComplaintView>.Conflict("id", "Someone else changed this complaint at the same moment: reload and try again.");
        }
        await transaction.CommitAsync(cancellationToken);
        return Outcome<ComplaintView>.Success(await ViewAsync(complaint, cancellationToken));
    }

    private Task<Outcome<ComplaintView>> ChangeAsync(Guid id, string actor, Func<Complaint, Complainant, DateTimeOffset, Outcome<bool>> change,
        string auditAction, CancellationToken cancellationToken) =>
        ChangeAsync(id, actor, (c, p, now) => Task.FromResult(change(c, p, now)), auditAction, cancellationToken);

    private async Task<ComplaintView> ViewAsync(Complaint c, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var entries = (await db.Set<ComplaintUpdate>().AsNoTracking().Where(u => u.ComplaintId == c.Id).ToListAsync(cancellationToken))
            .OrderBy(u => u.Position)
            .Select(u => new ComplaintTimelineEntry(u.At, u.Actor, u.Kind, keys.Decrypt(u.TextEncrypted, Purpose), u.SentToComplainant)).ToList();
        var summary = Summary(c, now);
        return new ComplaintView(c.Id, c.Reference, c.Channel, c.Status, c.ReceivedAt, Person(c), keys.Decrypt(c.SubjectEncrypted, Purpose),
            keys.Decrypt(c.DetailsEncrypted, Purpose), c.RelatedRequestId, c.RelatedBreachId, c.AckDueAt, summary.AckOverdue, c.AcknowledgedAt,
            c.AcknowledgementMethod, c.AcknowledgedAt is { } ack ? ack <= c.AckDueAt : null, c.ReplyDueAt, summary.ReplyOverdue, c.Result,
            c.OutcomeEncrypted is { } outcome ? keys.Decrypt(outcome, Purpose) : null, c.OutcomeSentAt, c.OutcomeMethod, c.IcoRightMentioned,
            c.ClosedAt, c.ClosedReason, entries.Where(e => e.Kind == "update").ToList(), entries);
    }

    private ComplaintSummary Summary(Complaint c, DateTimeOffset now)
    {
        var open = c.Status != ComplaintStatuses.Closed;
        var ackOverdue = open && c.AcknowledgedAt is null && now > c.AckDueAt;
        var replyOverdue = open && c.OutcomeSentAt is null && now > c.ReplyDueAt;
        var soon = now.AddDays(options.Value.DueSoonDays);
        var dueSoon = open && !ackOverdue && !replyOverdue
                      && ((c.AcknowledgedAt is null && c.AckDueAt <= soon) || (c.OutcomeSentAt is null && c.ReplyDueAt <= soon));
        return new ComplaintSummary(c.Id, c.Reference, c.Channel, c.Status, c.ReceivedAt, keys.Decrypt(c.SubjectEncrypted, Purpose), c.AckDueAt,
            c.AcknowledgedAt, ackOverdue, c.ReplyDueAt, c.OutcomeSentAt, replyOverdue, dueSoon);
    }

    private static DateTimeOffset NextDeadline(ComplaintSummary s) =>
        s.AcknowledgedAt is null && s.AckDueAt < s.ReplyDueAt ? s.AckDueAt : s.OutcomeSentAt is null ? s.ReplyDueAt : DateTimeOffset.MaxValue;

    private Complainant Person(Complaint c) => JsonSerializer.Deserialize<Complainant>(keys.Decrypt(c.ComplainantEncrypted, Purpose), Json) ?? new Complainant();

    private void Log(Complaint complaint, string actor, string kind, string text, DateTimeOffset at, bool sent = false) =>
        db.Add(new ComplaintUpdate
        {
            ComplaintId = complaint.Id,
            Position = ++complaint.EntryCount,
            At = at,
            Actor = actor,
            Kind = kind,
            TextEncrypted = keys.Encrypt(text, Purpose),
            SentToComplainant = sent,
        });

    /// <summary>The organisation's name and its DPO's contact, to sign every message to the person.</summary>
    private async Task<string> SignatureAsync(CancellationToken cancellationToken)
    {
        var organisation = await register.OrganisationAsync(cancellationToken);
        var name = string.IsNullOrWhiteSpace(organisation.Name) ? "The data protection team" : organisation.Name;
        var contact = organisation.Dpo?.Email ?? organisation.Email;
        return contact is null ? name : $"{name}\nData protection officer: {contact}";
    }

    public static string ChannelName(string channel) => channel switch
    {
        ComplaintChannels.PrivacyCentre => "the privacy centre's form",
        ComplaintChannels.Email => "e-mail",
        ComplaintChannels.Post => "post",
        ComplaintChannels.Phone => "telephone",
        _ => "staff (in person or otherwise)",
    };

    private static Outcome<bool> Ok() => Outcome<bool>.Success(true);

    private static string Long(DateOnly date) => date.ToString("dddd d MMMM yyyy", CultureInfo.InvariantCulture);

    private static void Text(List<Violation> violations, string field, string? value, int max)
    {
        if (value?.Length > max)
        {
            violations.Add(new Violation(field, $"At most {max:N0} characters."));
        }
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
