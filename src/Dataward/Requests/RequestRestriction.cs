using System.Text.Json.Nodes;
using Dataward.Consent;
using Dataward.Domain;
using Dataward.Domain.Consent;
using Dataward.Domain.Requests;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Requests;

/// <summary>A restriction to record: the processing named, and the Art. 18(1) ground (<c>accuracy</c>,
/// <c>unlawful</c>, <c>legal_claims</c>, <c>objection</c>).</summary>
public sealed record RestrictRequest(string Processing, string? Ground = null);

/// <summary>Why the restriction ends, told to the person first; <paramref name="NoticeGivenBy"/> when they have no
/// e-mail address on the request (e.g. "letter of 3 March").</summary>
public sealed record LiftRestrictionRequest(string Reason, string? NoticeGivenBy = null);

/// <summary>An objection (Art. 21): <c>direct_marketing</c> always succeeds (DSR019); <c>other</c> (public task or
/// legitimate interests) names the processing and, once assessed, the compelling-grounds assessment and the decision
/// (<c>uphold</c>: processing stops; <c>reject</c>: grounds override), DSR020.</summary>
public sealed record ObjectionRequest(string Kind, string? Processing = null, string? Assessment = null, string? Decision = null);

public sealed record RestrictionView(string Processing, string Ground, DateTimeOffset From, string RequestReference);

/// <summary>The answer of the restriction check: restricted subjects' data is for "store only" in the processing named.</summary>
public sealed record RestrictionCheck(bool Restricted, IReadOnlyList<RestrictionView> Restrictions);

public sealed partial class RequestExecutionService
{
    public static readonly IReadOnlyList<string> RestrictionGrounds = ["accuracy", "unlawful", "legal_claims", "objection"];
    public const string ObjectionActor = "system:objection";
    public const string ObjectionFormId = "dsr-objection";

    /// <summary>DSR021: flags the subject's data for "store only" in the processing named (Art. 18). A restriction
    /// request is then answered; for a contested rectification or a pending objection the request goes on.</summary>
    public async Task<Outcome<RequestView>> RestrictAsync(Guid id, RestrictRequest body, string actor, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(body.Processing) || body.Processing.Length > 500)
        {
            return Outcome<RequestView>.Invalid("processing", "Name the processing that is restricted (e.g. \"marketing analytics\", or \"all processing\"), up to 500 characters.", "DSR021");
        }
        if (body.Ground is not null && !RestrictionGrounds.Contains(body.Ground))
        {
            return Outcome<RequestView>.Invalid("ground", $"Use one of {string.Join(", ", RestrictionGrounds)} (Art. 18(1)).", "DSR021");
        }
        return await requests.ChangeRequestAsync(id, actor, async (record, now) =>
        {
            if (record.Type is not (RequestTypes.Restriction or RequestTypes.Rectification or RequestTypes.Objection))
            {
                return Outcome<bool>.Conflict("type", $"A {record.Type} request does not restrict processing.", "DSR021");
            }
            if (!RequestStates.IsVerified(record.State) || !RequestStates.IsOpen(record.State))
            {
                return Outcome<bool>.Conflict("state", $"Only an open, verified request restricts processing; this one is {record.State}.", "DSR006");
            }
            var ground = body.Ground ?? record.Type switch
            {
                RequestTypes.Rectification => "accuracy",
                RequestTypes.Objection => "objection",
                _ => null,
            };
            if (ground is null)
            {
                return Outcome<bool>.Invalid("ground", $"Say which Art. 18(1) ground applies: {string.Join(", ", RestrictionGrounds)}.", "DSR021");
            }
            await AddRestrictionAsync(record, body.Processing.Trim(), ground, actor, now, cancellationToken);
            if (record.Type == RequestTypes.Restriction)
            {
                var recipients = await RecipientsForSubjectAsync(record, cancellationToken);
                await FinishAsync(record, now, "Your restriction request", $"""
                    We have restricted the use of your data for: {body.Processing.Trim()}.
                    From now on we only store this data for that purpose, unless you agree otherwise, or it is needed for legal claims,
                    to protect another person's rights, or for an important public interest (Art. 18(2)).

                    We will tell you before we lift this restriction.
                    {(recipients.Count == 0 ? "" : $"\nWe disclosed your data to: {string.Join(", ", recipients)}. We are telling each of them of the restriction (Art. 19).\n")}
                    {await requests.ComplaintRightsTextAsync(cancellationToken)}
                    """, cancellationToken);
            }
            return Outcome<bool>.Success(true);
        }, "requests.restricted", cancellationToken);
    }

    private async Task AddRestrictionAsync(SubjectRequest record, string processing, string ground, string actor, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (await db.Set<RestrictionRecord>().AnyAsync(r => r.RequestId == record.Id && r.Processing == processing && r.LiftedAt == null, cancellationToken))
        {
            return;
        }
        db.Add(new RestrictionRecord { SubjectHash = record.SubjectHash, RequestId = record.Id, Processing = processing, Ground = ground, From = now });
        requests.Note(record, actor, "restricted", $"Processing restricted to storage only: {processing} (Art. 18(1), ground: {ground}).", now);
        await audit.RecordAsync(actor, "requests.restriction_applied", $"request:{record.Id}",
            new JsonObject { ["reference"] = record.Reference, ["processing"] = processing, ["ground"] = ground }, cancellationToken);
    }

    /// <summary>DSR021: the person is told before a restriction ends; the notice and the lifting are both recorded.</summary>
    public async Task<Outcome<RequestView>> LiftRestrictionAsync(Guid id, LiftRestrictionRequest body, string actor, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(body.Reason) || body.Reason.Length > 2000)
        {
            return Outcome<RequestView>.Invalid("reason", "Say why the restriction ends: the person is told before it does.", "DSR021");
        }
        if (body.NoticeGivenBy?.Length > 500)
        {
            return Outcome<RequestView>.Invalid("noticeGivenBy", "At most 500 characters.");
        }
        var complaint = await requests.ComplaintRightsTextAsync(cancellationToken);
        var record = await db.Set<SubjectRequest>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<RequestView>.NotFound("id", "No request has this id.");
        }
        var active = await db.Set<RestrictionRecord>().Where(r => r.RequestId == id && r.LiftedAt == null).ToListAsync(cancellationToken);
        if (active.Count == 0)
        {
            return Outcome<RequestView>.Conflict("id", "This request has no restriction in force.", "DSR021");
        }
        var email = requests.EmailOf(record);
        if (email is null && string.IsNullOrWhiteSpace(body.NoticeGivenBy))
        {
            return Outcome<RequestView>.Conflict("noticeGivenBy", "The person must be told before the restriction is lifted: there is no e-mail address, so record how they were told.", "DSR021");
        }
        var now = time.GetUtcNow();
        var processing = string.Join("; ", active.Select(r => r.Processing));
        // Told first: the notice is queued and recorded before the restriction ends.
        if (email is not null)
        {
            outbox.Enqueue(email, $"Your request {record.Reference}: we are lifting a restriction", $"""
                You asked us to restrict the use of your data for: {processing}.
                We are lifting this restriction, because: {body.Reason.Trim()}

                {complaint}
                """, "requests.restriction_lift_notice");
        }
        foreach (var restriction in active)
        {
            restriction.LiftNoticeSentAt = now;
        }
        await db.SaveChangesAsync(cancellationToken);
        return await requests.ChangeRequestAsync(id, actor, (request, at) =>
        {
            requests.Note(request, actor, "lift_notice_sent", email is null ? $"The person was told the restriction ends: {body.NoticeGivenBy!.Trim()}." : "The person was told by e-mail that the restriction ends, and why.", now);
            foreach (var restriction in active)
            {
                restriction.LiftedAt = at;
            }
            requests.Note(request, actor, "restriction_lifted", $"Restriction lifted: {processing}.", at);
            return Task.FromResult(Outcome<bool>.Success(true));
        }, "requests.restriction_lifted", cancellationToken);
    }

    /// <summary>DSR021: whether a person's data is restricted, and for which processing; by the same identifier as the
    /// consent check.</summary>
    public async Task<Outcome<RestrictionCheck>> CheckRestrictionAsync(string? subject, CancellationToken cancellationToken = default)
    {
        if (ConsentSubjects.ValidateSubject(subject) is { } invalid)
        {
            return Outcome<RestrictionCheck>.Fail(FailureKind.Invalid, invalid);
        }
        var hash = consent.HashSubject(subject!);
        var rows = await (from r in db.Set<RestrictionRecord>().AsNoTracking()
                          where r.SubjectHash == hash && r.LiftedAt == null
                          join q in db.Set<SubjectRequest>().AsNoTracking() on r.RequestId equals q.Id
                          select new { r.Processing, r.Ground, r.From, q.Reference }).ToListAsync(cancellationToken);
        return Outcome<RestrictionCheck>.Success(new RestrictionCheck(rows.Count > 0,
            [.. rows.OrderBy(r => r.From).Select(r => new RestrictionView(r.Processing, r.Ground, r.From, r.Reference))]));
    }

    /// <summary>DSR019: an objection to direct marketing withdraws every direct-marketing purpose (suppressing the
    /// person) and is answered. DSR020: any other objection restricts the processing while the compelling-grounds
    /// assessment is pending; the decision, with its reasons, answers it.</summary>
    public async Task<Outcome<RequestView>> ObjectAsync(Guid id, ObjectionRequest body, string actor, CancellationToken cancellationToken = default)
    {
        if (body.Kind is not ("direct_marketing" or "other"))
        {
            return Outcome<RequestView>.Invalid("kind", "Use direct_marketing (Art. 21(2)) or other (public task or legitimate interests, Art. 21(1)).", "DSR019");
        }
        var record = await db.Set<SubjectRequest>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<RequestView>.NotFound("id", "No request has this id.");
        }
        if (record.Type != RequestTypes.Objection)
        {
            return Outcome<RequestView>.Conflict("type", $"This is a {record.Type} request, not an objection.", "DSR019");
        }
        if (!RequestStates.IsVerified(record.State) || !RequestStates.IsOpen(record.State))
        {
            return Outcome<RequestView>.Conflict("state", $"Only an open, verified objection is acted on; this one is {record.State}.", "DSR006");
        }
        return body.Kind == "direct_marketing"
            ? await ObjectToMarketingAsync(record, actor, cancellationToken)
            : await ObjectOtherAsync(record, body, actor, cancellationToken);
    }

    private async Task<Outcome<RequestView>> ObjectToMarketingAsync(SubjectRequest record, string actor, CancellationToken cancellationToken)
    {
        var subject = requests.EmailOf(record) ?? requests.IdentitiesOf(record).Values.First();
        var purposes = (await consent.ListPurposesAsync(cancellationToken)).Where(p => p.DirectMarketing && !p.Retired).ToList();
        var withdrawn = new List<string>();
        foreach (var purpose in purposes)
        {
            // Recorded as a withdrawal; the ledger suppresses the person with the reason "objection" (CNS020).
            var recorded = await consent.RecordAsync(new ConsentEventRequest(subject, purpose.Key, ConsentActions.Withdrawn, Method: "api",
                Evidence: new ConsentEvidence(ObjectionFormId, $"Objection to direct marketing, request {record.Reference} (Art. 21(2))")), ObjectionActor, cancellationToken);
            if (!recorded.Succeeded)
            {
                return Outcome<RequestView>.Fail(recorded.Failure!.Value, [.. recorded.Violations]);
            }
            withdrawn.Add(purpose.Title);
        }
        return await requests.ChangeRequestAsync(record.Id, actor, async (request, now) =>
        {
            requests.Note(request, actor, "objection_upheld", withdrawn.Count == 0
                ? "Objection to direct marketing: no direct-marketing purpose is registered; nothing to withdraw."
                : $"Objection to direct marketing upheld without balancing (Art. 21(3)): withdrew {string.Join(", ", withdrawn)}; the person is suppressed.", now);
            await audit.RecordAsync(actor, "requests.objection_direct_marketing", $"request:{request.Id}",
                new JsonObject { ["reference"] = request.Reference, ["purposesWithdrawn"] = new JsonArray([.. purposes.Select(p => (JsonNode?)p.Key)]) }, cancellationToken);
            await FinishAsync(request, now, "Your objection", $"""
                You objected to direct marketing. We have stopped: we no longer use your data for direct marketing or related profiling (Art. 21(3)).
                {(withdrawn.Count == 0 ? "" : $"Withdrawn: {string.Join(", ", withdrawn)}.")}
                We keep a note that you objected, so that you are not added again.

                {await requests.ComplaintRightsTextAsync(cancellationToken)}
                """, cancellationToken);
            return Outcome<bool>.Success(true);
        }, "requests.objection_decided", cancellationToken);
    }

    private async Task<Outcome<RequestView>> ObjectOtherAsync(SubjectRequest record, ObjectionRequest body, string actor, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(body.Processing) || body.Processing.Length > 500)
        {
            return Outcome<RequestView>.Invalid("processing", "Name the processing objected to (up to 500 characters).", "DSR020");
        }
        if (body.Decision is not (null or "uphold" or "reject"))
        {
            return Outcome<RequestView>.Invalid("decision", "Leave empty while the assessment is pending; then uphold (processing stops) or reject (compelling grounds override).", "DSR020");
        }
        if (body.Decision is not null && (string.IsNullOrWhiteSpace(body.Assessment) || body.Assessment.Length > 4000))
        {
            return Outcome<RequestView>.Invalid("assessment", "Record the compelling-grounds assessment: the organisation's grounds weighed against the person's interests, rights and freedoms (Art. 21(1)).", "DSR020");
        }
        var processing = body.Processing.Trim();
        var complaint = await requests.ComplaintRightsTextAsync(cancellationToken);
        return await requests.ChangeRequestAsync(record.Id, actor, async (request, now) =>
        {
            if (body.Decision is null)
            {
                // DSR020: restricted while the balance is assessed (Art. 18(1)(d)).
                requests.Note(request, actor, "objection_received", $"Objection to {processing}: compelling-grounds assessment pending; processing restricted meanwhile.", now);
                await AddRestrictionAsync(request, processing, "objection", actor, now, cancellationToken);
                return Outcome<bool>.Success(true);
            }
            var assessment = body.Assessment!.Trim();
            requests.Note(request, actor, "objection_decided", $"Objection to {processing} {(body.Decision == "uphold" ? "upheld: the processing stops" : "rejected: compelling legitimate grounds override")}. Assessment: {Trim(assessment, 1500)}", now);
            await audit.RecordAsync(actor, "requests.objection_assessed", $"request:{request.Id}", new JsonObject
            {
                ["reference"] = request.Reference,
                ["processing"] = processing,
                ["decision"] = body.Decision,
                ["assessment"] = assessment,
            }, cancellationToken);
            var pending = await db.Set<RestrictionRecord>().Where(r => r.RequestId == request.Id && r.LiftedAt == null && r.Ground == "objection").ToListAsync(cancellationToken);
            if (body.Decision == "uphold")
            {
                // The processing stops for this person: the flag stays, now as the outcome rather than an interim measure.
                await AddRestrictionAsync(request, processing, "objection", actor, now, cancellationToken);
            }
            else
            {
                foreach (var restriction in pending)
                {
                    restriction.LiftNoticeSentAt = now;
                    restriction.LiftedAt = now;
                }
                if (pending.Count > 0)
                {
                    requests.Note(request, actor, "restriction_lifted", "Interim restriction lifted; the person is told in the answer, sent first.", now);
                }
            }
            await FinishAsync(request, now, "Your objection", body.Decision == "uphold"
                ? $"""
                  You objected to: {processing}. We have stopped this processing of your data.

                  {complaint}
                  """
                : $"""
                  You objected to: {processing}. We have considered your objection and decided that we have compelling legitimate grounds
                  to continue, which override your interests, rights and freedoms (Art. 21(1)). Our reasons:

                  {assessment}

                  {(pending.Count > 0 ? "The restriction we applied while we considered your objection therefore ends." : "")}
                  {complaint}
                  You may also seek a judicial remedy through the courts.
                  """, cancellationToken);
            return Outcome<bool>.Success(true);
        }, body.Decision is null ? "requests.objection_received" : "requests.objection_decided", cancellationToken);
    }

    /// <summary>Recipients of the activities holding any connected dataset (a restriction concerns all of the person's data).</summary>
    private async Task<IReadOnlyList<string>> RecipientsForSubjectAsync(SubjectRequest record, CancellationToken cancellationToken)
    {
        await using var connected = await connections.ConnectAsync(cancellationToken);
        return await RecipientsAsync(record, [.. connected.Datasets.Select(d => d.FidesKey)],
            [.. connected.Datasets.SelectMany(d => d.AllFields()).SelectMany(f => f.Field.DataCategories ?? []).Distinct()], cancellationToken);
    }
}
