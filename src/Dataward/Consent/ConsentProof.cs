using System.Globalization;
using System.Net;
using System.Text;
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

/// <summary>What to prove (CNS022): one person's consent (<paramref name="Subject"/>), everyone's for one purpose
/// (<paramref name="Purpose"/>, identities as keyed hashes only), or one person's for one purpose; optionally only
/// events that occurred in [<paramref name="From"/>, <paramref name="To"/>). <paramref name="Format"/> is <c>json</c>
/// (the default) or <c>html</c>.</summary>
public sealed record ConsentProofRequest(string? Subject = null, string? Purpose = null, string? Format = null, DateTimeOffset? From = null,
    DateTimeOffset? To = null);

public sealed record ProofScope(string? SubjectHash, string? Subject, string? Identity, string? Purpose, DateTimeOffset? From, DateTimeOffset? To);

public sealed record ProofPurpose(string Key, string Title, string Description, bool Explicit, bool Sensitive, bool Children, bool Retired);

/// <summary>One event with its evidence, its place in the audit trail and its signed receipt.</summary>
public sealed record ProofEvent(Guid EventId, string SubjectHash, string Purpose, string Action, string? NoticeVersion, string Method,
    DateTimeOffset OccurredAt, DateTimeOffset RecordedAt, string Actor, ConsentEvidence Evidence, string AuditHash, long? AuditSequence,
    bool Anchored, JsonObject? Receipt);

/// <summary>A notice version an event cites, with the full text the person was shown.</summary>
public sealed record ProofNotice(string Version, string Title, string Language, string Body, DateTimeOffset? EffectiveAt, DateTimeOffset? PublishedAt,
    IReadOnlyList<string> Purposes);

/// <summary>Whether the whole audit chain verified when the proof was made, and how many of the events have their entry in it.</summary>
public sealed record ProofAuditChain(bool Intact, long Entries, long? FirstBrokenSequence, string? Reason, int EventsAnchored, int Events);

/// <summary>The proof document: what was agreed, by whom (hash, and identifier where the scope is one person), when, how
/// and under which notice wording, anchored in a verified audit chain.</summary>
public sealed record ConsentProof(string Kind, DateTimeOffset GeneratedAt, string GeneratedBy, string Controller, ProofScope Scope,
    IReadOnlyList<ProofPurpose> Purposes, IReadOnlyList<ConsentSubjectState>? States, IReadOnlyList<ProofEvent> Events,
    IReadOnlyList<ProofNotice> Notices, ProofAuditChain AuditChain)
{
    /// <summary>The JSON document with a keyed signature over its canonical form (as receipts carry).</summary>
    public JsonObject ToJson(KeyRing keys)
    {
        var json = JsonSerializer.SerializeToNode(this, ConsentProofService.Json)!.AsObject();
        json["signature"] = keys.Hash(CanonicalJson.Write(json), "consent.proof");
        return json;
    }
}

/// <summary>CNS022: proof exports per person or per purpose, as JSON and as a self-contained HTML document; every export is
/// audited (<c>consent.proof_exported</c>, by hash or purpose, never by identifier).</summary>
public sealed class ConsentProofService(DatawardDbContext db, ConsentService consent, ConsentSubjects subjects, NoticeService notices,
    RegisterService register, AuditTrail audit, KeyRing keys, IConfiguration configuration, TimeProvider time, Shredding.SubjectKeys subjectKeys)
{
    /// <summary>The most events one export holds unless <c>Consent:MaxProofEvents</c> says otherwise: each carries its
    /// signed receipt, so an export costs a few queries per event.</summary>
    public const int DefaultMaxEvents = 2000;

    /// <summary>The most events one export holds; above it, 413 and a narrower period (<c>from</c>, <c>to</c>).</summary>
    public int MaxEvents => Math.Clamp(configuration.GetValue("Consent:MaxProofEvents", DefaultMaxEvents), 1, 100_000);
    public const string ExportedAction = "consent.proof_exported";

    /// <summary>The field of the violation that means "too many events" (the endpoint answers 413).</summary>
    public const string TooManyField = "events";

    public static readonly IReadOnlyList<string> Formats = ["json", "html"];

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The normalised format, or null when it is not one of <see cref="Formats"/>.</summary>
    public static string? FormatOf(string? format) => format is null ? "json" : Formats.FirstOrDefault(f => f.Equals(format.Trim(), StringComparison.OrdinalIgnoreCase));

    public async Task<Outcome<ConsentProof>> ExportAsync(ConsentProofRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = new List<Violation>();
        var format = FormatOf(request.Format);
        if (format is null)
        {
            violations.Add(new Violation("format", $"Use one of {string.Join(", ", Formats)}.", "CNS022"));
        }
        if (request.Subject is null && string.IsNullOrWhiteSpace(request.Purpose))
        {
            violations.Add(new Violation("subject", "Name a person (subject), a purpose, or both.", "CNS022"));
        }
        else if (request.Subject is not null && ConsentSubjects.ValidateSubject(request.Subject) is { } invalid)
        {
            violations.Add(invalid);
        }
        if (request is { From: { } from, To: { } to } && from >= to)
        {
            violations.Add(new Violation("from", "The period starts after it ends."));
        }
        var purpose = string.IsNullOrWhiteSpace(request.Purpose) ? null
            : await db.Set<ConsentPurposeRecord>().AsNoTracking().FirstOrDefaultAsync(p => p.Key == request.Purpose, cancellationToken);
        if (!string.IsNullOrWhiteSpace(request.Purpose) && purpose is null)
        {
            violations.Add(new Violation("purpose", $"There is no consent purpose '{request.Purpose}'."));
        }
        if (violations.Count > 0)
        {
            return Outcome<ConsentProof>.Fail(FailureKind.Invalid, [.. violations]);
        }

        var hash = request.Subject is null ? null : consent.HashSubject(request.Subject);
        var query = db.Set<ConsentEvent>().AsNoTracking();
        query = hash is null ? query : query.Where(e => e.SubjectHash == hash);
        query = purpose is null ? query : query.Where(e => e.Purpose == purpose.Key);
        query = request.From is { } after ? query.Where(e => e.OccurredAt >= after) : query;
        query = request.To is { } before ? query.Where(e => e.OccurredAt < before) : query;
        var count = await query.CountAsync(cancellationToken);
        if (count > MaxEvents)
        {
            return Outcome<ConsentProof>.Invalid(TooManyField,
                $"This proof would hold {count} events; one export holds at most {MaxEvents}. Narrow it with from and to.", "CNS022");
        }
        var rows = (await query.ToListAsync(cancellationToken)).OrderBy(e => e.RecordedAt).ThenBy(e => e.EventId).ToList();

        // Each event's audit entry must exist with its hash and name the event; the chain as a whole must verify.
        var hashes = rows.Select(e => e.AuditHash).Distinct().ToList();
        var entries = (await db.AuditEntries.AsNoTracking().Where(a => hashes.Contains(a.Hash))
                .Select(a => new { a.Hash, a.Sequence, a.Target }).ToListAsync(cancellationToken))
            .ToDictionary(a => a.Hash);
        var chain = await audit.VerifyAsync(cancellationToken);
        var events = new List<ProofEvent>(rows.Count);
        await subjectKeys.PrefetchAsync(rows.Select(e => e.Evidence), cancellationToken);
        foreach (var e in rows)
        {
            var entry = entries.GetValueOrDefault(e.AuditHash);
            events.Add(new ProofEvent(e.EventId, e.SubjectHash, e.Purpose, e.Action, e.NoticeVersion, e.Method, e.OccurredAt, e.RecordedAt, e.Actor,
                await consent.EvidenceAsync(e.Evidence, cancellationToken) ?? new ConsentEvidence(), e.AuditHash, entry?.Sequence, entry?.Target == $"consent:{e.EventId}",
                await consent.ReceiptAsync(e.EventId, cancellationToken)));
        }
        var cited = new List<ProofNotice>();
        foreach (var version in rows.Select(e => e.NoticeVersion).OfType<string>().Distinct().OrderBy(v => int.TryParse(v, out var n) ? n : 0))
        {
            if (await notices.PublishedAsync(version, cancellationToken) is { } notice)
            {
                cited.Add(new ProofNotice(version, notice.Title, notice.Language, notice.Body, notice.EffectiveAt, notice.PublishedAt, notice.Purposes));
            }
        }
        var keysCited = rows.Select(e => e.Purpose).Append(purpose?.Key).OfType<string>().ToHashSet();
        var purposes = (await db.Set<ConsentPurposeRecord>().AsNoTracking().Where(p => keysCited.Contains(p.Key)).OrderBy(p => p.Key).ToListAsync(cancellationToken))
            .Select(p => new ProofPurpose(p.Key, p.Title, p.Description, p.Explicit, p.Sensitive, p.Children, p.Retired)).ToList();

        ProofScope scope;
        IReadOnlyList<ConsentSubjectState>? states = null;
        if (hash is not null)
        {
            var record = await subjects.ReadAsync(hash, cancellationToken);
            states = purpose is null ? record.States : record.States.Where(s => s.Purpose == purpose.Key).ToList();
            scope = new ProofScope(hash, record.Subject, record.Identity, purpose?.Key, request.From, request.To);
        }
        else
        {
            scope = new ProofScope(null, null, null, purpose!.Key, request.From, request.To);
        }
        var organisation = await register.OrganisationAsync(cancellationToken);
        var controller = string.IsNullOrWhiteSpace(organisation.Name) ? "(the organisation record has no name yet)" : organisation.Name;
        var proof = new ConsentProof("dataward.consent-proof/1", time.GetUtcNow(), actor, controller, scope, purposes, states, events, cited,
            new ProofAuditChain(chain.Intact, chain.Count, chain.FirstBrokenSequence, chain.Reason, events.Count(e => e.Anchored), events.Count));

        await audit.RecordAsync(actor, ExportedAction, hash is null ? $"purpose:{purpose!.Key}" : ConsentSubjects.Reference(hash),
            new JsonObject { ["purpose"] = purpose?.Key, ["events"] = events.Count, ["format"] = format }, cancellationToken);
        return Outcome<ConsentProof>.Success(proof);
    }

    /// <summary>A file name that names the scope by purpose or a short hash prefix, never by identifier.</summary>
    public static string FileName(ConsentProof proof, string extension) =>
        $"consent-proof-{proof.Scope.SubjectHash?[..12] ?? proof.Scope.Purpose}{(proof.Scope.SubjectHash is not null && proof.Scope.Purpose is not null ? $"-{proof.Scope.Purpose}" : "")}-{proof.GeneratedAt:yyyyMMdd'T'HHmmss}.{extension}";

    /// <summary>A readable, self-contained HTML document (inline styles, no scripts, no external resources) of the same proof.</summary>
    public string Html(ConsentProof proof)
    {
        var json = proof.ToJson(keys);
        var html = new StringBuilder();
        var scope = proof.Scope;
        var who = scope.SubjectHash is null
            ? $"everyone who answered the purpose <code>{E(scope.Purpose)}</code> (identities as keyed hashes only)"
            : scope.Identity == SubjectIdentity.Present
                ? $"{E(scope.Subject)} (keyed hash <code>{E(scope.SubjectHash)}</code>)"
                : $"the person with keyed hash <code>{E(scope.SubjectHash)}</code> (identifier {(scope.Identity == SubjectIdentity.Erased ? "erased" : "not on record")})";
        html.Append(CultureInfo.InvariantCulture, $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Proof of consent - {E(proof.Controller)}</title>
            <style>{Style}</style>
            </head>
            <body>
            <h1>Proof of consent</h1>
            <p>Controller: <strong>{E(proof.Controller)}</strong>. This document records what was agreed or withdrawn by {who}{Period(scope)},
            with the evidence of each event, the notice text the person was shown, and each event's place in Dataward's hash-chained audit trail
            (GDPR Art. 7(1)).</p>
            <p>Generated {E(Instant(proof.GeneratedAt))} by <code>{E(proof.GeneratedBy)}</code>. Signature (keyed SHA-256 over the JSON form):
            <code>{E(json["signature"]?.GetValue<string>())}</code></p>
            <h2>Audit trail</h2>

            """);
        var chain = proof.AuditChain;
        html.Append(chain.Intact
            ? $"<p class=\"ok\">The audit chain verified intact when this proof was made ({chain.Entries} entries). "
            : $"<p class=\"bad\">The audit chain did NOT verify when this proof was made: entry {chain.FirstBrokenSequence} is broken ({E(chain.Reason)}). ");
        html.Append(CultureInfo.InvariantCulture, $"{chain.EventsAnchored} of {chain.Events} events have their entry in the chain.</p>\n");

        html.Append("<h2>Purposes</h2>\n<table><thead><tr><th scope=\"col\">Key</th><th scope=\"col\">Title</th><th scope=\"col\">Description shown</th><th scope=\"col\">Flags</th></tr></thead><tbody>\n");
        foreach (var p in proof.Purposes)
        {
            var flags = string.Join(", ", new[] { p.Explicit ? "explicit" : null, p.Sensitive ? "sensitive" : null, p.Children ? "children" : null, p.Retired ? "retired" : null }.OfType<string>());
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><code>{E(p.Key)}</code></td><td>{E(p.Title)}</td><td>{E(p.Description)}</td><td>{E(flags)}</td></tr>\n");
        }
        html.Append("</tbody></table>\n");

        if (proof.States is { } states)
        {
            html.Append("<h2>State now</h2>\n<table><thead><tr><th scope=\"col\">Purpose</th><th scope=\"col\">State</th><th scope=\"col\">Processing allowed</th><th scope=\"col\">Notice version</th></tr></thead><tbody>\n");
            foreach (var s in states)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(s.PurposeTitle)} (<code>{E(s.Purpose)}</code>)</td><td>{E(s.State)}</td><td>{(s.Allowed ? "yes" : "no")}</td><td>{E(s.NoticeVersion)}</td></tr>\n");
            }
            html.Append("</tbody></table>\n");
        }

        html.Append(CultureInfo.InvariantCulture, $"<h2>Events ({proof.Events.Count})</h2>\n<table><thead><tr><th scope=\"col\">When (UTC)</th><th scope=\"col\">Action</th><th scope=\"col\">Purpose</th><th scope=\"col\">Notice</th><th scope=\"col\">How</th><th scope=\"col\">By</th><th scope=\"col\">Evidence</th><th scope=\"col\">Audit entry</th><th scope=\"col\">Receipt</th></tr></thead><tbody>\n");
        foreach (var e in proof.Events)
        {
            var evidence = string.Join("<br>", new[]
            {
                e.Evidence.Wording is { } w ? $"Wording shown: “{E(w)}”" : null,
                e.Evidence.FormId is { } f ? $"Form: {E(f)}" : null,
                e.Evidence.Language is { } l ? $"Language: {E(l)}" : null,
                e.Evidence.DocumentRef is { } d ? $"Document: {E(d)}" : null,
                e.Evidence.PreChecked ? "Pre-checked box" : null,
            }.OfType<string>());
            var person = scope.SubjectHash is null ? $"<br>Person: <code>{E(e.SubjectHash[..16])}…</code>" : "";
            html.Append(CultureInfo.InvariantCulture, $"""
                <tr><td>{E(Instant(e.OccurredAt))}{(e.RecordedAt != e.OccurredAt ? $"<br>recorded {E(Instant(e.RecordedAt))}" : "")}</td><td>{E(e.Action)}</td><td><code>{E(e.Purpose)}</code>{person}</td><td>{E(e.NoticeVersion ?? "-")}</td><td>{E(e.Method)}</td><td><code>{E(e.Actor)}</code></td><td>{evidence}</td><td>{(e.AuditSequence is { } seq ? $"#{seq}" : "missing")}{(e.Anchored ? "" : " <span class=\"bad\">not anchored</span>")}<br><code>{E(e.AuditHash)}</code></td><td><code>{E(e.EventId.ToString())}</code><br>signature <code>{E(e.Receipt?["x-dataward"]?["signature"]?.GetValue<string>())}</code></td></tr>

                """);
        }
        html.Append("</tbody></table>\n<h2>Notice versions cited, in full</h2>\n");
        foreach (var n in proof.Notices)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h3>Version {E(n.Version)}: {E(n.Title)}</h3>\n<p>Language {E(n.Language)}; published {E(n.PublishedAt is { } p ? Instant(p) : "-")}; effective {E(n.EffectiveAt is { } at ? Instant(at) : "-")}; covers {E(string.Join(", ", n.Purposes))}.</p>\n<pre>{E(n.Body)}</pre>\n");
        }
        if (proof.Notices.Count == 0)
        {
            html.Append("<p>No event cites a notice version (withdrawals and refusals need none).</p>\n");
        }
        html.Append("<h2>Machine-readable copy</h2>\n<p>The same proof as JSON, including each event's signed receipt:</p>\n<pre>")
            .Append(E(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true })))
            .Append("</pre>\n</body>\n</html>\n");
        return html.ToString();
    }

    private const string Style = """
        body { font: 15px/1.5 system-ui, sans-serif; color: #1b1f24; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; }
        table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: .9rem; }
        th, td { border: 1px solid #c9ced6; padding: .35rem .5rem; text-align: left; vertical-align: top; }
        code { word-break: break-all; font-size: .85rem; }
        .ok { color: #1a6e35; } .bad { color: #a4161a; font-weight: 600; }
        pre { white-space: pre-wrap; background: #f5f6f8; padding: .75rem; border: 1px solid #c9ced6; }
        """;

    private static string Period(ProofScope scope) => (scope.From, scope.To) switch
    {
        ({ } from, { } to) => $", for events from {E(Instant(from))} to before {E(Instant(to))}",
        ({ } from, null) => $", for events from {E(Instant(from))}",
        (null, { } to) => $", for events before {E(Instant(to))}",
        _ => "",
    };

    private static string Instant(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
}
