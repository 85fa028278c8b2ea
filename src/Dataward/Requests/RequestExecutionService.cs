using System.Data.Common;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Connections;
using Dataward.Connectors.Datasets;
using Dataward.Connectors.Execution;
using Dataward.Connectors.Masking;
using Dataward.Connectors.Planning;
using Dataward.Connectors.Stores;
using Dataward.Consent;
using Dataward.Domain;
using Dataward.Domain.Requests;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Register;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Requests;

/// <summary>The erasure plan as the DPO reviews it before approving (DSR014): per collection what will be masked or
/// deleted and what is kept with why, the collections the identities cannot reach, the exemptions in force, and any
/// problem reaching the connected databases.</summary>
public sealed record ErasurePlanView(string Reference, string State, IReadOnlyList<CollectionErasure> Collections,
    IReadOnlyList<UnreachableCollection> Unreachable, IReadOnlyList<ErasureExemptionDocument> Exemptions, IReadOnlyList<string> Problems);

/// <summary>Where a request's execution stands: the erasure's status, attempts and last error, its proofs (no values)
/// and the fields kept; the recipients to notify (Art. 19) and what became of each notification.</summary>
public sealed record RequestExecutionView(string Reference, string? Status, int Attempts, string? LastError, DateTimeOffset? NextAttemptAt,
    DateTimeOffset? CompletedAt, ErasureSummary? Erasure, IReadOnlyList<RecipientView> Recipients);

public sealed record RecipientView(string Name, string Kind, string? Country, IReadOnlyList<string> Activities, string? Outcome, string? Note,
    DateTimeOffset? RecordedAt);

/// <summary>What an erasure did, kept after the data is gone: the proofs, the exempt categories kept with their legal
/// reason (DSR015), the other fields kept and why, and the consent-ledger identifiers erased (CNS024).</summary>
public sealed record ErasureSummary(IReadOnlyList<CollectionProof> Proofs, IReadOnlyList<ExemptionApplied> Exempt, IReadOnlyList<FieldKeptView> OtherKept,
    int ConsentEventsErased, string Signature);

public sealed record ExemptionApplied(string DataCategory, string Reason, string? RetentionEnds, IReadOnlyList<string> Fields);

public sealed record FieldKeptView(string Field, string Reason, string Message);

public sealed record NotifiedRequest(string Outcome, string? Note = null);

/// <summary>A seam on every saved erasure checkpoint, after it is stored: tests stop a run there to prove it resumes.</summary>
public sealed class ErasureCheckpointHooks
{
    public Func<ErasureProgress, CancellationToken, Task>? AfterSave { get; set; }
}

/// <summary>Carries out what a verified request asks against the organisation's connected databases: erasure after
/// the DPO's approval as a durable, resumable job with proofs (DSR014-DSR017), rectification with old-value
/// fingerprints (DSR022), restriction and objection (DSR019-DSR021).</summary>
public sealed partial class RequestExecutionService(DatawardDbContext db, RequestService requests, ErasurePolicyService policies,
    ConnectionService connections, ConsentSubjects consentSubjects, ConsentService consent, RegisterService register, KeyRing keys, AuditTrail audit,
    EmailOutbox outbox, ErasureCheckpointHooks hooks, TimeProvider time, ILogger<RequestExecutionService> logger)
{
    private const string SaltPurpose = "requests.erasure.salt";
    private const string ProgressPurpose = "requests.erasure.progress";
    private const string ProofPurpose = "requests.erasure.proof";
    public const string SystemActor = "system:request-execution";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(15);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static Dictionary<string, object> Scope(SubjectRequest record) => new() { ["RequestReference"] = record.Reference };

    /// <summary>DSR014: the plan, shown before approval. It reads the connected databases' structure, never a row.</summary>
    public async Task<Outcome<ErasurePlanView>> PreviewAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var record = await db.Set<SubjectRequest>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<ErasurePlanView>.NotFound("id", "No request has this id.");
        }
        if (record.Type != RequestTypes.Erasure)
        {
            return Outcome<ErasurePlanView>.Conflict("type", "Only an erasure request has an erasure plan.", "DSR014");
        }
        var document = await db.Set<RequestExecution>().AsNoTracking().Where(e => e.RequestId == id).Select(e => e.PolicyDocument)
            .FirstOrDefaultAsync(cancellationToken) is { } approved ? ErasurePolicyService.Parse(approved) : await policies.CurrentAsync(cancellationToken);
        await using var connected = await connections.ConnectAsync(cancellationToken);
        var plan = connected.Plan(requests.IdentitiesOf(record).Keys);
        IReadOnlyList<CollectionErasure> collections = [];
        var problems = new List<string>();
        try
        {
            collections = (await new ErasureRunner(connected.Datasets, connected.Stores).PreviewAsync(plan, document.ToPolicy(), cancellationToken)).Collections;
        }
        catch (Exception e) when (Unreachable(e) is { } why)
        {
            problems.Add(why);
        }
        if (connected.Datasets.Count == 0)
        {
            problems.Add("No database is connected: connect the organisation's databases (POST /api/connections) before erasing.");
        }
        return Outcome<ErasurePlanView>.Success(new ErasurePlanView(record.Reference, record.State, collections, plan.Unreachable,
            document.Exemptions ?? [], problems));
    }

    /// <summary>DSR014: the DPO approves a verified erasure; it then runs as a durable job under the policy in force now,
    /// with a masking salt of its own (kept encrypted, so a resumed run writes the same values).</summary>
    public async Task<Outcome<RequestView>> ApproveAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        var policy = await policies.CurrentAsync(cancellationToken);
        return await requests.ChangeRequestAsync(id, actor, async (record, now) =>
        {
            if (record.Type != RequestTypes.Erasure)
            {
                return Outcome<bool>.Conflict("type", $"A {record.Type} request does not need approval to run.", "DSR014");
            }
            if (!RequestStates.IsVerified(record.State))
            {
                return Outcome<bool>.Conflict("state", "Erasure runs only after the person's identity is verified (and then the DPO approves).", "DSR014");
            }
            if (!RequestStates.IsOpen(record.State) || await db.Set<RequestExecution>().AnyAsync(e => e.RequestId == id, cancellationToken))
            {
                return Outcome<bool>.Conflict("state", $"This erasure is {record.State}: it was approved already or is closed.", "DSR014");
            }
            record.State = RequestStates.InProgress;
            record.ApprovedAt = now;
            record.ApprovedBy = actor;
            db.Add(new RequestExecution
            {
                RequestId = record.Id,
                Status = ExecutionStatus.Pending,
                PolicyDocument = JsonSerializer.Serialize(policy, ErasurePolicyService.Json),
                SecretsEncrypted = keys.Encrypt(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), SaltPurpose),
                NextAttemptAt = now,
                CreatedAt = now,
                UpdatedAt = now,
            });
            var exempt = (policy.Exemptions ?? []).Select(e => e.DataCategory).ToList();
            requests.Note(record, actor, "approved", exempt.Count == 0
                ? "Erasure approved; it runs in the background and resumes by itself if interrupted."
                : $"Erasure approved; it runs in the background and resumes by itself if interrupted. Kept under exemptions: {string.Join(", ", exempt)}.", now);
            return Outcome<bool>.Success(true);
        }, "requests.approved", cancellationToken);
    }

    /// <summary>Runs every erasure that is due: new, paused after an error and due again, or left running by a process
    /// that died (its lease expired). The background job calls this every minute and at start-up. Returns how many
    /// completed.</summary>
    public async Task<int> RunPendingAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var due = await db.Set<RequestExecution>().AsNoTracking()
            .Where(e => ((e.Status == ExecutionStatus.Pending || e.Status == ExecutionStatus.Paused) && e.NextAttemptAt <= now)
                        || (e.Status == ExecutionStatus.Running && e.LeaseUntil < now))
            .Select(e => e.RequestId).ToListAsync(cancellationToken);
        var completed = 0;
        foreach (var id in due)
        {
            db.ChangeTracker.Clear();
            if (await ClaimAsync(id, cancellationToken) is { } execution && await RunAsync(execution, cancellationToken))
            {
                completed++;
            }
        }
        return completed;
    }

    // Several instances may look at once: the version check lets one of them take the execution.
    private async Task<RequestExecution?> ClaimAsync(Guid id, CancellationToken cancellationToken)
    {
        var execution = await db.Set<RequestExecution>().FirstOrDefaultAsync(e => e.RequestId == id, cancellationToken);
        if (execution is null || execution.Status == ExecutionStatus.Completed)
        {
            return null;
        }
        var now = time.GetUtcNow();
        execution.Status = ExecutionStatus.Running;
        execution.LeaseUntil = now + Lease;
        execution.Attempts++;
        execution.UpdatedAt = now;
        execution.Version++;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return execution;
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return null;
        }
    }

    private async Task<bool> RunAsync(RequestExecution execution, CancellationToken cancellationToken)
    {
        var record = await db.Set<SubjectRequest>().FirstAsync(r => r.Id == execution.RequestId, cancellationToken);
        using var _ = logger.BeginScope(Scope(record));
        LogRunning(logger, execution.Attempts);
        try
        {
            var identities = requests.IdentitiesOf(record);
            await using var connected = await connections.ConnectAsync(cancellationToken);
            if (connected.Datasets.Count == 0)
            {
                throw new ExecutionStoppedException("No database is connected: connect the organisation's databases, and the erasure resumes.");
            }
            var plan = connected.Plan(identities.Keys);
            var document = ErasurePolicyService.Parse(execution.PolicyDocument);
            var secrets = new MaskingSecrets(Convert.FromBase64String(keys.Decrypt(execution.SecretsEncrypted, SaltPurpose)),
                OrganisationKey("requests.erasure.hmac"), OrganisationKey("requests.erasure.fingerprint"));
            var progress = execution.ProgressEncrypted is null
                ? null
                : JsonSerializer.Deserialize(keys.Decrypt(execution.ProgressEncrypted, ProgressPurpose), ErasureProgressJson.Default.ErasureProgress);
            var checkpoint = new ExecutionCheckpoint(SaveProgress(record, execution, progress?.Completed.Count ?? 0));
            var result = await new ErasureRunner(connected.Datasets, connected.Stores)
                .RunAsync(plan, identities, document.ToPolicy(), secrets, checkpoint, progress, cancellationToken);
            await CompleteAsync(record, execution, result, document, connected.Datasets, identities, cancellationToken);
            LogCompleted(logger, result.Proofs.Count);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await PauseAsync(execution.RequestId, e, cancellationToken);
            return false;
        }
    }

    /// <summary>A key the organisation holds for one use, derived from the key ring (the same on every instance).</summary>
    private byte[] OrganisationKey(string purpose) => Convert.FromHexString(keys.Hash("erasure", purpose));

    private sealed class ExecutionCheckpoint(Func<ErasureProgress, CancellationToken, Task> save) : IErasureCheckpoint
    {
        public Task SaveAsync(ErasureProgress progress, CancellationToken cancellationToken) => save(progress, cancellationToken);
    }

    /// <summary>Stores the progress (encrypted) after every change the engine makes, and writes each finished collection
    /// to the request's timeline with its row count.</summary>
    private Func<ErasureProgress, CancellationToken, Task> SaveProgress(SubjectRequest record, RequestExecution execution, int completedBefore)
    {
        var completed = completedBefore;
        return async (progress, cancellationToken) =>
        {
            var now = time.GetUtcNow();
            execution.ProgressEncrypted = keys.Encrypt(JsonSerializer.Serialize(progress, ErasureProgressJson.Default.ErasureProgress), ProgressPurpose);
            execution.LeaseUntil = now + Lease;
            execution.UpdatedAt = now;
            foreach (var proof in progress.Completed.Skip(completed))
            {
                requests.Note(record, SystemActor, "collection_erased", proof.Action == "deleted"
                    ? $"{proof.Collection}: {proof.Rows} row(s) deleted."
                    : $"{proof.Collection}: {proof.Rows} row(s) masked ({string.Join(", ", proof.Fields.Select(f => $"{f.Field} by {f.Strategy}"))}).", now);
            }
            completed = progress.Completed.Count;
            await db.SaveChangesAsync(cancellationToken);
            if (hooks.AfterSave is { } hook)
            {
                await hook(progress, cancellationToken);
            }
        };
    }

    /// <summary>A connection that drops, a store that no longer matches its dataset: the request pauses with the reason
    /// in its timeline and is tried again later, from its last checkpoint.</summary>
    private async Task PauseAsync(Guid id, Exception error, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var execution = await db.Set<RequestExecution>().FirstAsync(e => e.RequestId == id, cancellationToken);
        var record = await db.Set<SubjectRequest>().FirstAsync(r => r.Id == id, cancellationToken);
        var now = time.GetUtcNow();
        var why = Unreachable(error) ?? $"An unexpected error stopped the erasure ({error.GetType().Name}).";
        var wait = TimeSpan.FromMinutes(Math.Min(60, Math.Pow(2, Math.Max(0, execution.Attempts - 1))));
        execution.Status = ExecutionStatus.Paused;
        execution.LastError = why.Length > 2000 ? why[..2000] : why;
        execution.NextAttemptAt = now + wait;
        execution.LeaseUntil = null;
        execution.UpdatedAt = now;
        requests.Note(record, SystemActor, "execution_paused",
            $"Erasure paused: {execution.LastError} Nothing is lost: it resumes from its last checkpoint by itself (next try in {wait.TotalMinutes:0} min, attempt {execution.Attempts + 1}).", now);
        await audit.RecordAsync(SystemActor, "requests.execution_paused", $"request:{id}",
            new JsonObject { ["reference"] = record.Reference, ["attempts"] = execution.Attempts, ["error"] = execution.LastError }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        LogPaused(logger, execution.Attempts, error.GetType().Name, error);
    }

    /// <summary>A readable reason for errors that come from the connected databases, or null for anything else.</summary>
    private static string? Unreachable(Exception e) => e switch
    {
        PlanCheckException check => $"The connected databases do not match their datasets: {string.Join(" ", check.Problems)}",
        ExecutionStoppedException stopped => stopped.Message,
        DbException or TimeoutException or IOException or System.Net.Sockets.SocketException or InvalidOperationException { InnerException: DbException }
            => $"A connected database could not be reached or stopped answering: {Trim(e.Message, 300)}",
        UnknownStoreObjectException unknown => $"A connected database does not have what its dataset describes: {Trim(unknown.Message, 300)}",
        _ => null,
    };

    private static string Trim(string text, int max) => text.Length > max ? text[..max] : text;

    private async Task CompleteAsync(SubjectRequest record, RequestExecution execution, ErasureResult result, ErasurePolicyDocument document,
        IReadOnlyList<Dataset> datasets, IReadOnlyDictionary<string, string> identities, CancellationToken cancellationToken)
    {
        // CNS024: the consent ledger forgets the person's identifiers too (its events stay, by keyed hash, as proof).
        var consentErased = 0;
        foreach (var value in identities.Values.Distinct(StringComparer.Ordinal))
        {
            var erased = await consentSubjects.EraseSubjectAsync(value, SystemActor, cancellationToken);
            consentErased += erased.Value?.EventsErased ?? 0;
        }
        var policy = document.ToPolicy();
        var exempt = new Dictionary<ErasureExemption, List<string>>();
        var otherKept = new List<FieldKeptView>();
        foreach (var collection in result.Preview.Collections)
        {
            var fields = datasets.First(d => d.FidesKey == collection.Collection.Dataset).Collections.First(c => c.Name == collection.Collection.Collection).Fields;
            foreach (var kept in collection.Kept)
            {
                var name = $"{collection.Collection}.{kept.Field}";
                if (kept.Reason == KeptReason.Exempt && policy.ExemptionFor(fields.First(f => f.Name == kept.Field).DataCategories ?? []) is { } exemption)
                {
                    (exempt.TryGetValue(exemption, out var list) ? list : exempt[exemption] = []).Add(name);
                }
                else
                {
                    otherKept.Add(new FieldKeptView(name, kept.Reason.ToString(), kept.Message));
                }
            }
        }
        var proof = new JsonObject
        {
            ["reference"] = record.Reference,
            ["collections"] = JsonSerializer.SerializeToNode(result.Proofs, Json),
            ["exempt"] = new JsonArray([.. exempt.Select(e => (JsonNode?)new JsonObject
            {
                ["dataCategory"] = e.Key.DataCategory, ["reason"] = e.Key.Reason, ["retentionEnds"] = e.Key.RetentionEnds,
                ["fields"] = new JsonArray([.. e.Value.Select(f => (JsonNode?)f)]),
            })]),
            ["consentEventsErased"] = consentErased,
        };
        // Keyed with the organisation's key: whoever holds the key ring can show the proof was not altered.
        var signature = keys.Hash(proof.ToJsonString(), ProofPurpose);
        proof["signature"] = signature;
        var summary = new ErasureSummary(result.Proofs,
            [.. exempt.Select(e => new ExemptionApplied(e.Key.DataCategory, e.Key.Reason, e.Key.RetentionEnds, e.Value))], otherKept, consentErased, signature);

        var categories = result.Proofs.Where(p => p.Rows > 0).SelectMany(p => CategoriesOf(datasets, p.Collection)).Distinct().ToList();
        var recipients = await RecipientsAsync(record, [.. result.Proofs.Where(p => p.Rows > 0).Select(p => p.Collection.Split(':')[0]).Distinct()], categories,
            cancellationToken);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        execution.Status = ExecutionStatus.Completed;
        execution.CompletedAt = now;
        execution.LeaseUntil = null;
        execution.LastError = null;
        execution.UpdatedAt = now;
        // The rows' keys were needed only to finish; the proofs stay.
        execution.ProgressEncrypted = keys.Encrypt(JsonSerializer.Serialize(result.Progress with { Targets = null, Pending = null }, ErasureProgressJson.Default.ErasureProgress), ProgressPurpose);
        execution.Summary = JsonSerializer.Serialize(summary, Json);
        await audit.RecordAsync(SystemActor, "requests.erasure_proof", $"request:{record.Id}", proof, cancellationToken);
        var rows = result.Proofs.Sum(p => p.Rows);
        requests.Note(record, SystemActor, "erased", $"Erasure complete: {rows} row(s) in {result.Proofs.Count(p => p.Rows > 0)} collection(s); proof signed into the audit trail."
            + (exempt.Count == 0 ? "" : $" Kept under exemptions: {string.Join(", ", exempt.Keys.Select(k => k.DataCategory))}.")
            + (recipients.Count == 0 ? "" : $" Recipients to notify (Art. 19): {string.Join(", ", recipients)}."), now);
        await FinishAsync(record, now, "Your erasure request", ErasureReply(record, summary, recipients) + Environment.NewLine + await requests.ComplaintRightsTextAsync(cancellationToken),
            cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Closes a request with its reply (DSR024: by e-mail when the person is answered electronically; a reply
    /// by post, phone or in person waits on the request page for staff to send).</summary>
    private async Task FinishAsync(SubjectRequest record, DateTimeOffset now, string subject, string body, CancellationToken cancellationToken)
    {
        record.State = RequestStates.Completed;
        record.ClosedAt = now;
        record.Version++;
        requests.Reply(record, SystemActor, $"{subject} {record.Reference}: done", body, "requests.response", now);
        await audit.RecordAsync(SystemActor, "requests.completed", $"request:{record.Id}",
            new JsonObject { ["reference"] = record.Reference, ["type"] = record.Type, ["responseSent"] = record.ResponseSentAt is not null }, cancellationToken);
    }

    private static string ErasureReply(SubjectRequest record, ErasureSummary summary, IReadOnlyList<string> recipients)
    {
        var text = new StringBuilder();
        text.AppendLine($"We have acted on your erasure request {record.Reference}.").AppendLine();
        var changed = summary.Proofs.Where(p => p.Rows > 0).ToList();
        if (changed.Count == 0)
        {
            text.AppendLine("We found no personal data about you to erase in our systems.");
        }
        else
        {
            text.AppendLine("What we erased:");
            foreach (var proof in changed)
            {
                text.AppendLine(proof.Action == "deleted"
                    ? $"- {Readable(proof.Collection)}: {proof.Rows} record(s) deleted"
                    : $"- {Readable(proof.Collection)}: {string.Join(", ", proof.Fields.Select(f => f.Field))} overwritten in {proof.Rows} record(s)");
            }
        }
        if (summary.ConsentEventsErased > 0)
        {
            text.AppendLine("- your identifiers in our record of consent choices (we keep only a keyed fingerprint, so that we do not contact you again)");
        }
        if (summary.Exempt.Count > 0)
        {
            text.AppendLine().AppendLine("What we must keep, and why (Art. 17(3)):");
            foreach (var kept in summary.Exempt)
            {
                text.AppendLine($"- {kept.DataCategory} ({string.Join(", ", kept.Fields.Select(Readable))}): {kept.Reason}"
                    + (kept.RetentionEnds is { } end ? $". We keep it until {end}, then erase it." : "."));
            }
        }
        if (summary.OtherKept.Count > 0)
        {
            text.AppendLine().AppendLine("Also kept, so that records stay consistent (they no longer describe you once the rest is erased):");
            foreach (var kept in summary.OtherKept)
            {
                text.AppendLine($"- {Readable(kept.Field)}: {kept.Message}");
            }
        }
        if (recipients.Count > 0)
        {
            text.AppendLine().AppendLine($"We disclosed your data to: {string.Join(", ", recipients)}. We are telling each of them of the erasure (Art. 19).");
        }
        text.AppendLine().AppendLine("Copies in our backups are not used or restored into live systems, and are overwritten on their normal cycle.");
        return text.ToString();
    }

    private static string Readable(string collection) => collection.Contains(':', StringComparison.Ordinal) ? collection[(collection.IndexOf(':') + 1)..] : collection;

    private static IEnumerable<string> CategoriesOf(IReadOnlyList<Dataset> datasets, string collection) =>
        CollectionKey.Parse(collection) is { } key
            ? datasets.Where(d => d.FidesKey == key.Dataset).SelectMany(d => d.Collections.Where(c => c.Name == key.Collection))
                .SelectMany(c => (c.DataCategories ?? []).Concat(c.Fields.SelectMany(f => f.DataCategories ?? [])))
            : [];

    /// <summary>DSR017: every recipient named by a register activity that holds these datasets or processes these
    /// categories, listed on the request for notification (Art. 19). Returns their names.</summary>
    private async Task<IReadOnlyList<string>> RecipientsAsync(SubjectRequest record, IReadOnlyList<string> datasetKeys, IReadOnlyList<string> categories,
        CancellationToken cancellationToken)
    {
        var activities = await register.ListAsync(new ActivityFilter(), cancellationToken);
        var relevant = activities.Where(a => a.Status != "retired" && (a.Datasets.Any(datasetKeys.Contains)
            || a.DataCategories.Any(c => categories.Any(d => ErasurePolicy.Covers(c, d) || ErasurePolicy.Covers(d, c)))));
        var listed = await db.Set<RequestRecipient>().Where(r => r.RequestId == record.Id).ToDictionaryAsync(r => r.Name, cancellationToken);
        var now = time.GetUtcNow();
        foreach (var group in relevant.SelectMany(a => a.Recipients.Select(r => (Recipient: r, Activity: a.Name))).GroupBy(x => x.Recipient.Name))
        {
            if (!listed.ContainsKey(group.Key))
            {
                var first = group.First().Recipient;
                var row = new RequestRecipient
                {
                    RequestId = record.Id,
                    Name = Trim(group.Key, 200),
                    Kind = Trim(first.Kind, 40),
                    Country = first.Country is { } c ? Trim(c, 60) : null,
                    Activities = Trim(string.Join(", ", group.Select(x => x.Activity).Distinct()), 4000),
                    ListedAt = now,
                };
                db.Add(row);
                listed[group.Key] = row;
            }
        }
        return [.. listed.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>DSR017: what became of telling one recipient (notified, or impossible / disproportionate, Art. 19).</summary>
    public async Task<Outcome<RecipientView>> RecordNotifiedAsync(Guid id, string name, NotifiedRequest body, string actor,
        CancellationToken cancellationToken = default)
    {
        if (body.Outcome is not ("notified" or "impossible" or "disproportionate"))
        {
            return Outcome<RecipientView>.Invalid("outcome", "Use notified, impossible or disproportionate (Art. 19).", "DSR017");
        }
        if (body.Note?.Length > 2000)
        {
            return Outcome<RecipientView>.Invalid("note", "At most 2,000 characters.");
        }
        if (body.Outcome != "notified" && string.IsNullOrWhiteSpace(body.Note))
        {
            return Outcome<RecipientView>.Invalid("note", "Say why telling this recipient is impossible or would take disproportionate effort.", "DSR017");
        }
        var recipient = await db.Set<RequestRecipient>().FirstOrDefaultAsync(r => r.RequestId == id && r.Name == name, cancellationToken);
        var record = await db.Set<SubjectRequest>().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (recipient is null || record is null)
        {
            return Outcome<RecipientView>.NotFound("name", "This request lists no recipient by this name.");
        }
        var now = time.GetUtcNow();
        recipient.Outcome = body.Outcome;
        recipient.Note = string.IsNullOrWhiteSpace(body.Note) ? null : body.Note.Trim();
        recipient.RecordedAt = now;
        recipient.RecordedBy = actor;
        requests.Note(record, actor, "recipient_notified", $"{recipient.Name}: {body.Outcome}.", now);
        await audit.RecordAsync(actor, "requests.recipient_notified", $"request:{id}",
            new JsonObject { ["reference"] = record.Reference, ["recipient"] = recipient.Name, ["outcome"] = body.Outcome }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<RecipientView>.Success(View(recipient));
    }

    public async Task<RequestExecutionView?> ExecutionAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var record = await db.Set<SubjectRequest>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return null;
        }
        var execution = await db.Set<RequestExecution>().AsNoTracking().FirstOrDefaultAsync(e => e.RequestId == id, cancellationToken);
        var recipients = await db.Set<RequestRecipient>().AsNoTracking().Where(r => r.RequestId == id).ToListAsync(cancellationToken);
        return new RequestExecutionView(record.Reference, execution?.Status, execution?.Attempts ?? 0, execution?.LastError,
            execution?.Status is ExecutionStatus.Pending or ExecutionStatus.Paused ? execution.NextAttemptAt : null, execution?.CompletedAt,
            execution?.Summary is { } summary ? JsonSerializer.Deserialize<ErasureSummary>(summary, Json) : null,
            [.. recipients.OrderBy(r => r.Name, StringComparer.Ordinal).Select(View)]);
    }

    private static RecipientView View(RequestRecipient r) =>
        new(r.Name, r.Kind, r.Country, r.Activities.Split(", ", StringSplitOptions.RemoveEmptyEntries), r.Outcome, r.Note, r.RecordedAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure running (attempt {Attempt})")]
    private static partial void LogRunning(ILogger logger, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure complete: {Collections} collections with proofs")]
    private static partial void LogCompleted(ILogger logger, int collections);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Erasure paused after attempt {Attempt} ({ErrorType}); it resumes from its checkpoint")]
    private static partial void LogPaused(ILogger logger, int attempt, string errorType, Exception exception);
}

/// <summary>An execution cannot go on until something outside it changes (a connection is added, say).</summary>
public sealed class ExecutionStoppedException(string message) : Exception(message);
