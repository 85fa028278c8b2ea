using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Connections;
using Dataward.Connectors.Datasets;
using Dataward.Connectors.Execution;
using Dataward.Connectors.Planning;
using Dataward.Consent;
using Dataward.Domain;
using Dataward.Domain.Register;
using Dataward.Domain.Requests;
using Dataward.Platform.Email;
using Dataward.Platform.Storage;
using Dataward.Portal;
using Dataward.Register;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Requests;

/// <summary>The plan shown before a request runs (issue 5 point 5): steps in order with the fields read and where
/// their values come from, the rows each step would touch (a dry run on the live databases), what an erasure would
/// change, collections that cannot be reached and why, and where the databases differ from their datasets.</summary>
public sealed record RequestPlanView(Guid RequestId, string Reference, IReadOnlyList<string> IdentityKinds, IReadOnlyList<PlanStepView> Steps,
    IReadOnlyList<UnreachableView> Unreachable, IReadOnlyList<string> Notes, IReadOnlyList<string> Mismatches, string? Error,
    IReadOnlyList<ErasureStepView>? Erasure);

/// <param name="Rows">From the dry run; null when it could not run.</param>
public sealed record PlanStepView(int Order, string Collection, IReadOnlyList<string> Fields, IReadOnlyList<string> Inputs, long? Rows);

public sealed record UnreachableView(string Collection, string Reason, IReadOnlyList<string> MissingIdentities);

/// <summary>What an erasure with the default policy would do to one collection; the erasure's own policy decides in
/// the end.</summary>
public sealed record ErasureStepView(string Collection, string Action, IReadOnlyList<string> Changes, IReadOnlyList<string> Kept, string? Note);

/// <summary>Where an access or portability run stands: rows found per collection (counts only), third-party flags,
/// and the last error while it waits to try again.</summary>
public sealed record AccessRunView(Guid RequestId, string Reference, string State, string Status, bool Succeeded, string? Error,
    DateTimeOffset? NextAttemptAt, IReadOnlyDictionary<string, long> Rows, IReadOnlyList<PackageFlag> Flags, DateTimeOffset? ReleasedAt,
    DateTimeOffset? DownloadExpiresAt);

/// <summary>The rows found, keyed as Fides keys its raw access results.</summary>
public sealed record AccessResultsView(JsonObject Collections);

/// <summary>Access and portability requests against the connected databases (issue 5 points 5, 6): plan, run (by
/// staff or by <see cref="RequestAccessJob"/>), package, staff review of third-party data and release, and the
/// person's download behind a fresh code (DSR011-DSR013, DSR018, DSR026).</summary>
public sealed class RequestAccessService(DatawardDbContext db, RequestService requests, ConnectionService connections, RegisterService register,
    ConsentService consent, AccessResultVault vault, AuditTrail audit, EmailOutbox outbox, SubjectVerification verification,
    IDataProtectionProvider protection, IConfiguration configuration, TimeProvider time)
{
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan DownloadTokenLifetime = TimeSpan.FromMinutes(10);
    private static readonly string[] Runnable = [RequestTypes.Access, RequestTypes.Portability];
    private static readonly string[] FreeTextNames = ["notes", "note", "comment", "comments", "message", "messages", "description", "remarks", "free_text", "body"];

    private static string PackageCodePurpose(Guid id) => $"package:{id:N}";

    private int PackageDays => Math.Clamp(configuration.GetValue("Requests:PackageDays", 7), 1, 90);

    private bool ReviewPackages => configuration.GetValue("Requests:ReviewPackages", true);

    /// <summary>DSR006: shown only once the identity is verified. Audited as <c>requests.plan_shown</c>.</summary>
    public async Task<Outcome<RequestPlanView>> PlanAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        var record = await db.Set<SubjectRequest>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<RequestPlanView>.NotFound("id", "No request has this id.");
        }
        if (!RequestStates.IsVerified(record.State))
        {
            return Outcome<RequestPlanView>.Conflict("state", "The plan is shown once the person's identity is verified.", "DSR006");
        }
        var identities = requests.IdentitiesOf(record);
        await using var connected = await connections.ConnectAsync(cancellationToken);
        var plan = connected.Plan(identities.Keys);
        var runner = new AccessRunner(connected.Stores);
        IReadOnlyList<string> mismatches = [];
        IReadOnlyList<StepOutcome>? counts = null;
        IReadOnlyList<ErasureStepView>? erasure = null;
        string? error = null;
        try
        {
            mismatches = await runner.CheckAsync(plan, cancellationToken);
            if (mismatches.Count == 0)
            {
                counts = await runner.DryRunAsync(plan, identities, cancellationToken);
                erasure = await ErasurePreviewAsync(connected, plan, cancellationToken);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error = Explain(e);
        }
        await audit.RecordAsync(actor, "requests.plan_shown", $"request:{id}",
            new JsonObject { ["reference"] = record.Reference, ["steps"] = plan.Steps.Count, ["unreachable"] = plan.Unreachable.Count }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<RequestPlanView>.Success(new RequestPlanView(id, record.Reference, [.. identities.Keys],
            [.. plan.Steps.Select(s => new PlanStepView(s.Order, s.Collection.ToString(), s.Fields, [.. s.Inputs.Select(i => i.ToString())],
                counts?.FirstOrDefault(c => c.Collection == s.Collection)?.Rows))],
            [.. plan.Unreachable.Select(u => new UnreachableView(u.Collection.ToString(), u.Reason, u.MissingIdentities))],
            [.. plan.Notes.Select(n => $"{n.Kind}: {n.Message}")], mismatches, error, erasure));
    }

    /// <summary>Optional: the erasure part of the plan, with the default policy (the erasure's own policy may differ).</summary>
    private static async Task<IReadOnlyList<ErasureStepView>?> ErasurePreviewAsync(ConnectedDatasets connected, TraversalPlan plan,
        CancellationToken cancellationToken)
    {
        var preview = await new ErasureRunner(connected.Datasets, connected.Stores).PreviewAsync(plan, ErasurePolicy.Default, cancellationToken);
        return [.. preview.Collections.Select(c => new ErasureStepView(c.Collection.ToString(), c.Action.ToString(),
            [.. c.Fields.Select(f => $"{f.Field}: {f.Strategy}")], [.. c.Kept.Select(k => $"{k.Field}: {k.Message}")], c.Note))];
    }

    /// <summary>One attempt at reading the person's data and building the package. A database that cannot be reached
    /// (or no longer matches its dataset) leaves the request in progress with the error in its timeline, to be tried
    /// again by the job; the run only reads, so doing it again is harmless.</summary>
    public async Task<Outcome<AccessRunView>> RunAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        var record = await db.Set<SubjectRequest>().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<AccessRunView>.NotFound("id", "No request has this id.");
        }
        if (!Runnable.Contains(record.Type))
        {
            return Outcome<AccessRunView>.Conflict("type", "Only access and portability requests are run here.");
        }
        if (!RequestStates.IsVerified(record.State))
        {
            return Outcome<AccessRunView>.Conflict("state", "Nothing is read before the person's identity is verified.", "DSR006");
        }
        var execution = await db.Set<RequestAccessRecord>().FirstOrDefaultAsync(e => e.RequestId == id, cancellationToken);
        var now = time.GetUtcNow();
        if (!RequestStates.IsOpen(record.State) || record.State == RequestStates.AwaitingApproval || execution?.Status == AccessRunStatus.Done)
        {
            return Outcome<AccessRunView>.Conflict("state", "This request has already been run; its package is ready or sent.");
        }
        if (execution is { Status: AccessRunStatus.Running } && execution.LeaseUntil > now)
        {
            return Outcome<AccessRunView>.Conflict("state", "This request is being run right now.");
        }
        if (execution is null)
        {
            execution = new RequestAccessRecord { RequestId = id, Status = AccessRunStatus.Pending };
            db.Add(execution);
        }
        execution.Status = AccessRunStatus.Running;
        execution.LeaseUntil = now + Lease;
        execution.Attempts++;
        execution.Version++;
        var claimed = await requests.ChangeRequestAsync(id, actor, (r, at) =>
        {
            if (r.State == RequestStates.Verified)
            {
                r.State = RequestStates.InProgress;
            }
            requests.Note(r, actor, "run_started", execution.Attempts == 1
                ? "Reading the person's data from the connected databases."
                : $"Trying again to read the person's data (attempt {execution.Attempts}).", at);
            return Task.FromResult(Outcome<bool>.Success(true));
        }, "requests.run_started", cancellationToken);
        if (!claimed.Succeeded)
        {
            return Outcome<AccessRunView>.Fail(claimed.Failure!.Value, [.. claimed.Violations]);
        }

        JsonObject collections;
        TraversalPlan plan;
        IReadOnlyList<Dataset> datasets;
        try
        {
            await using var connected = await connections.ConnectAsync(cancellationToken);
            datasets = connected.Datasets;
            plan = connected.Plan(requests.IdentitiesOf(record).Keys);
            var result = await new AccessRunner(connected.Stores).RunAsync(plan, requests.IdentitiesOf(record), cancellationToken);
            collections = ToJson(result);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return await FailedAsync(id, execution, actor, Explain(e), cancellationToken);
        }
        return await CompleteAsync(record, execution, actor, collections, plan, datasets, cancellationToken);
    }

    private async Task<Outcome<AccessRunView>> FailedAsync(Guid id, RequestAccessRecord execution, string actor, string error,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var wait = TimeSpan.FromMinutes(Math.Min(60, 5 * Math.Pow(2, Math.Min(execution.Attempts - 1, 4))));
        execution.Status = AccessRunStatus.Pending;
        execution.LeaseUntil = null;
        execution.NextAttemptAt = now + wait;
        execution.LastError = error.Length > 2000 ? error[..2000] : error;
        execution.Version++;
        var changed = await requests.ChangeRequestAsync(id, actor, (r, at) =>
        {
            requests.Note(r, actor, "run_failed",
                Trim($"Paused: {execution.LastError} Nothing was sent; it will be tried again after {execution.NextAttemptAt:yyyy-MM-dd HH:mm} UTC.", 2000), at);
            return Task.FromResult(Outcome<bool>.Success(true));
        }, "requests.run_failed", cancellationToken);
        return changed.Succeeded
            ? Outcome<AccessRunView>.Success(View(changed.Value!, execution, false))
            : Outcome<AccessRunView>.Fail(changed.Failure!.Value, [.. changed.Violations]);
    }

    private async Task<Outcome<AccessRunView>> CompleteAsync(SubjectRequest record, RequestAccessRecord execution, string actor, JsonObject collections,
        TraversalPlan plan, IReadOnlyList<Dataset> datasets, CancellationToken cancellationToken)
    {
        var held = collections.Where(c => c.Value!.AsArray().Count > 0).Select(c => c.Key.Split(':')[0]).ToHashSet(StringComparer.Ordinal);
        var history = await consent.HistoryAsync(record.SubjectHash, cancellationToken);
        var active = (await register.ListAsync(new ActivityFilter(Status: ActivityStatus.Active), cancellationToken)).ToList();
        var consentPurposes = history.Select(h => h.Purpose).ToHashSet(StringComparer.Ordinal);
        var linked = active.Where(a => a.Datasets.Any(held.Contains) || (a.ConsentPurpose is { } p && consentPurposes.Contains(p))).ToList();
        var activities = linked.Count > 0 ? linked : held.Count > 0 ? active : [];

        if (record.Type == RequestTypes.Portability && held.Count > 0)
        {
            // DSR018: only data processed by consent or contract; data the controller derived is not "provided".
            var eligible = activities.Where(a => a.LawfulBasis is LawfulBases.Consent or LawfulBases.Contract).ToList();
            if (eligible.Count == 0)
            {
                return await RefusePortabilityAsync(record, execution, actor, activities, cancellationToken);
            }
            collections = Provided(collections, datasets, linked.Count > 0 ? eligible.SelectMany(a => a.Datasets).ToHashSet(StringComparer.Ordinal) : null);
            activities = eligible;
        }

        var flags = Flag(collections, plan, datasets);
        var now = time.GetUtcNow();
        var package = AccessPackage.Build(new PackageContents(record.Reference, record.Type, now, await register.OrganisationAsync(cancellationToken),
            collections, activities, linked.Count > 0, history, await requests.ComplaintRightsTextAsync(cancellationToken)));
        execution.Status = AccessRunStatus.Done;
        execution.LeaseUntil = null;
        execution.NextAttemptAt = null;
        execution.LastError = null;
        execution.CompletedAt = now;
        execution.ResultEncrypted = await vault.ProtectAsync(record.SubjectHash, collections, cancellationToken);
        execution.PackageEncrypted = await vault.ProtectPackageAsync(record.SubjectHash, package, cancellationToken);
        execution.RowCounts = JsonSerializer.Serialize(collections.ToDictionary(c => c.Key, c => (long)c.Value!.AsArray().Count));
        execution.Flags = JsonSerializer.Serialize(flags);
        execution.Version++;
        var rows = collections.Sum(c => c.Value!.AsArray().Count);
        var tables = collections.Count(c => c.Value!.AsArray().Count > 0);
        var review = ReviewPackages || flags.Count > 0;
        var changed = await requests.ChangeRequestAsync(record.Id, actor, (r, at) =>
        {
            requests.Note(r, actor, "run_completed", rows == 0
                ? "Read every connected database: no data about the person was found. The package says we hold none (DSR026)."
                : $"Read the connected databases: {rows} records in {tables} of {collections.Count} tables; package built.", at);
            if (review)
            {
                r.State = RequestStates.AwaitingApproval;
                requests.Note(r, actor, "package_review", flags.Count > 0
                    ? $"Waiting for staff review before release: {flags.Count} possible third-party data {(flags.Count == 1 ? "flag" : "flags")} to resolve (DSR012)."
                    : "Waiting for staff review before release.", at);
            }
            else
            {
                Release(r, execution, actor, at);
            }
            return Task.FromResult(Outcome<bool>.Success(true));
        }, review ? "requests.package_ready" : "requests.released", cancellationToken);
        return changed.Succeeded
            ? Outcome<AccessRunView>.Success(View(changed.Value!, execution, true))
            : Outcome<AccessRunView>.Fail(changed.Failure!.Value, [.. changed.Violations]);
    }

    private async Task<Outcome<AccessRunView>> RefusePortabilityAsync(SubjectRequest record, RequestAccessRecord execution, string actor,
        IReadOnlyList<ActivityView> activities, CancellationToken cancellationToken)
    {
        execution.Status = AccessRunStatus.Done;
        execution.LeaseUntil = null;
        execution.CompletedAt = time.GetUtcNow();
        execution.Version++;
        var bases = activities.Select(a => a.LawfulBasis ?? "not recorded").Distinct().ToList();
        var reason = activities.Count == 0
            ? "Our records of processing do not show any use of your data based on your consent or on a contract with you, which the right to data portability needs (Art. 20(1)(a)). You can still ask for a copy of your data (a subject access request)."
            : $"We use the data we hold about you on the basis of {string.Join(", ", bases)}, not your consent or a contract with you, so the right to data portability does not apply (Art. 20(1)(a)). You can still ask for a copy of your data (a subject access request).";
        var refused = await requests.RejectAsync(record.Id, "portability_not_applicable", reason, actor, false, cancellationToken);
        return refused.Succeeded
            ? Outcome<AccessRunView>.Success(View(refused.Value!, execution, true))
            : Outcome<AccessRunView>.Fail(refused.Failure!.Value, [.. refused.Violations]);
    }

    /// <summary>DSR012: staff mark a flag checked (and say what they did) before the package can be released.</summary>
    public async Task<Outcome<AccessRunView>> ResolveFlagAsync(Guid id, string? flagId, string? note, string actor, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(note) || note.Length > 1000)
        {
            return Outcome<AccessRunView>.Invalid("note", "Say what you checked or redacted (up to 1,000 characters).", "DSR012");
        }
        var execution = await db.Set<RequestAccessRecord>().FirstOrDefaultAsync(e => e.RequestId == id, cancellationToken);
        if (execution is not { Status: AccessRunStatus.Done })
        {
            return await db.Set<SubjectRequest>().AnyAsync(r => r.Id == id, cancellationToken)
                ? Outcome<AccessRunView>.Conflict("state", "This request has no package yet.")
                : Outcome<AccessRunView>.NotFound("id", "No request has this id.");
        }
        var flags = JsonSerializer.Deserialize<List<PackageFlag>>(execution.Flags) ?? [];
        var index = flags.FindIndex(f => f.Id == flagId);
        if (index < 0)
        {
            return Outcome<AccessRunView>.NotFound("flag", "This package has no such flag.");
        }
        flags[index] = flags[index] with { Resolved = true, ResolvedBy = actor, Note = note.Trim() };
        execution.Flags = JsonSerializer.Serialize(flags);
        execution.Version++;
        var changed = await requests.ChangeRequestAsync(id, actor, (r, at) =>
        {
            requests.Note(r, actor, "flag_resolved", $"Third-party data flag on {flags[index].Collection} resolved.", at);
            return Task.FromResult(Outcome<bool>.Success(true));
        }, "requests.flag_resolved", cancellationToken);
        return changed.Succeeded ? Outcome<AccessRunView>.Success(View(changed.Value!, execution, true)) : Outcome<AccessRunView>.Fail(changed.Failure!.Value, [.. changed.Violations]);
    }

    /// <summary>DSR012, DSR013: releases a reviewed package: the person gets a link that works for
    /// <c>Requests:PackageDays</c> (7) days and asks for a fresh code.</summary>
    public async Task<Outcome<AccessRunView>> ReleaseAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        var execution = await db.Set<RequestAccessRecord>().FirstOrDefaultAsync(e => e.RequestId == id, cancellationToken);
        if (!await db.Set<SubjectRequest>().AnyAsync(r => r.Id == id, cancellationToken))
        {
            return Outcome<AccessRunView>.NotFound("id", "No request has this id.");
        }
        if (execution is not { Status: AccessRunStatus.Done, PackageEncrypted: not null } || execution.ReleasedAt is not null)
        {
            return Outcome<AccessRunView>.Conflict("state", "Only a package waiting for review can be released.");
        }
        var open = (JsonSerializer.Deserialize<List<PackageFlag>>(execution.Flags) ?? []).Where(f => !f.Resolved).ToList();
        if (open.Count > 0)
        {
            return Outcome<AccessRunView>.Conflict("flags",
                $"Resolve the third-party data flags first ({string.Join(", ", open.Select(f => f.Collection))}): check the values, redact what is about someone else, and mark each resolved.", "DSR012");
        }
        execution.Version++;
        var changed = await requests.ChangeRequestAsync(id, actor, (r, at) =>
        {
            if (r.State != RequestStates.AwaitingApproval)
            {
                return Task.FromResult(Outcome<bool>.Conflict("state", "Only a package waiting for review can be released."));
            }
            r.ApprovedAt = at;
            r.ApprovedBy = actor;
            Release(r, execution, actor, at);
            return Task.FromResult(Outcome<bool>.Success(true));
        }, "requests.released", cancellationToken);
        return changed.Succeeded ? Outcome<AccessRunView>.Success(View(changed.Value!, execution, true)) : Outcome<AccessRunView>.Fail(changed.Failure!.Value, [.. changed.Violations]);
    }

    private void Release(SubjectRequest r, RequestAccessRecord execution, string actor, DateTimeOffset at)
    {
        r.State = RequestStates.Completed;
        r.ClosedAt = at;
        execution.ReleasedAt = at;
        execution.ReleasedBy = actor;
        execution.DownloadExpiresAt = at.AddDays(PackageDays);
        var link = $"{(configuration["PublicUrl"] ?? Platform.Web.DatawardApp.DefaultUrl).TrimEnd('/')}/privacy/requests/{r.Id}/download";
        if (requests.ReplyEmailOf(r) is { } email)
        {
            // DSR024: an electronic answer; the data itself never travels by e-mail.
            r.ResponseSentAt = at;
            outbox.Enqueue(email, $"Your request {r.Reference}: your data is ready", $"""
                Your {(r.Type == RequestTypes.Portability ? "data portability" : "access")} request {r.Reference} is answered. You can download
                your data here until {execution.DownloadExpiresAt:d MMMM yyyy}:

                {link}

                To make sure it is really you, the page e-mails you a new one-time code before the download starts.
                """, "requests.package_ready");
            requests.Note(r, actor, "released", $"Package released; the person was e-mailed a download link that expires {execution.DownloadExpiresAt:yyyy-MM-dd}.", at);
        }
        else
        {
            requests.Note(r, actor, "released", $"Package released; the person is answered by {r.ResponseChannel.Replace('_', ' ')} (DSR024), so staff download the package from this page and send it that way.", at);
        }
    }

    public async Task<Outcome<AccessRunView>> StatusAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var view = await requests.GetAsync(id, cancellationToken);
        if (view is null)
        {
            return Outcome<AccessRunView>.NotFound("id", "No request has this id.");
        }
        var execution = await db.Set<RequestAccessRecord>().AsNoTracking().FirstOrDefaultAsync(e => e.RequestId == id, cancellationToken);
        return Outcome<AccessRunView>.Success(View(view, execution, execution?.LastError is null));
    }

    /// <summary>The rows found, keyed <c>dataset:collection</c>; audited, since staff read personal data here.</summary>
    public async Task<Outcome<AccessResultsView>> ResultsAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        var found = await FinishedAsync<AccessResultsView>(id, cancellationToken);
        if (found.Failure is not null)
        {
            return found.Failure;
        }
        JsonObject results;
        try
        {
            results = found.Execution!.ResultEncrypted is { } encrypted ? await vault.UnprotectAsync(encrypted, cancellationToken) : [];
        }
        catch (Shredding.SubjectKeyDestroyedException e)
        {
            return Shredded<AccessResultsView>(e);
        }
        await audit.RecordAsync(actor, "requests.results_read", $"request:{id}", null, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<AccessResultsView>.Success(new AccessResultsView(results));
    }

    /// <summary>The package, for staff (review, or to send it by post); audited.</summary>
    public async Task<Outcome<byte[]>> PackageAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        var found = await FinishedAsync<byte[]>(id, cancellationToken);
        if (found.Failure is not null)
        {
            return found.Failure;
        }
        if (found.Execution!.PackageEncrypted is not { } package)
        {
            return Outcome<byte[]>.Conflict("state", "This request was refused: there is no package.");
        }
        byte[] zip;
        try
        {
            zip = await vault.UnprotectPackageAsync(package, cancellationToken);
        }
        catch (Shredding.SubjectKeyDestroyedException e)
        {
            return Shredded<byte[]>(e);
        }
        await audit.RecordAsync(actor, "requests.package_downloaded", $"request:{id}", new JsonObject { ["by"] = "staff" }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<byte[]>.Success(zip);
    }

    // MIN017: the person was erased and their data key destroyed; the ciphertext stays, unreadable, so the answer is a
    // conflict that says so, never a server error.
    private static Outcome<T> Shredded<T>(Shredding.SubjectKeyDestroyedException e) =>
        Outcome<T>.Conflict("state", $"Key destroyed: the person's data was erased{(e.DestroyedAt is { } at ? $" on {at:yyyy-MM-dd}" : "")} and their data key with it, so this package can no longer be read by anyone.", "MIN017");

    private async Task<(Outcome<T>? Failure, RequestAccessRecord? Execution)> FinishedAsync<T>(Guid id, CancellationToken cancellationToken)
    {
        var record = await db.Set<SubjectRequest>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return (Outcome<T>.NotFound("id", "No request has this id."), null);
        }
        if (!RequestStates.IsVerified(record.State))
        {
            return (Outcome<T>.Conflict("state", "Nothing is revealed before the person's identity is verified.", "DSR006"), null);
        }
        var execution = await db.Set<RequestAccessRecord>().AsNoTracking().FirstOrDefaultAsync(e => e.RequestId == id, cancellationToken);
        return execution is { Status: AccessRunStatus.Done }
            ? (null, execution)
            : (Outcome<T>.Conflict("state", "This request has not been run yet (POST /api/requests/{id}/run, or wait for the job)."), null);
    }

    /// <summary>The job's work: every verified access or portability request not yet run, or due another try after a
    /// failure, or whose run was abandoned (its lease ran out, say the process died). Returns how many were run.</summary>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        string[] states = [RequestStates.Verified, RequestStates.InProgress, RequestStates.Extended];
        var candidates = await db.Set<SubjectRequest>().AsNoTracking().Where(r => Runnable.Contains(r.Type) && states.Contains(r.State))
            .Select(r => r.Id).ToListAsync(cancellationToken);
        var executions = await db.Set<RequestAccessRecord>().AsNoTracking().Where(e => candidates.Contains(e.RequestId))
            .ToDictionaryAsync(e => e.RequestId, cancellationToken);
        var run = 0;
        foreach (var id in candidates)
        {
            var due = executions.GetValueOrDefault(id) switch
            {
                null => true,
                { Status: AccessRunStatus.Pending } e => e.NextAttemptAt is null || e.NextAttemptAt <= now,
                { Status: AccessRunStatus.Running } e => e.LeaseUntil < now,
                _ => false,
            };
            if (!due)
            {
                continue;
            }
            db.ChangeTracker.Clear();
            if ((await RunAsync(id, AuditActor.System, cancellationToken)) is { Succeeded: true, Value.Succeeded: true })
            {
                run++;
            }
        }
        return run;
    }

    /// <summary>DSR013: whether the request's download link still works (released, not expired).</summary>
    public async Task<bool> DownloadOpenAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        return await db.Set<RequestAccessRecord>().AsNoTracking()
            .AnyAsync(e => e.RequestId == id && e.ReleasedAt != null && e.PackageEncrypted != null, cancellationToken)
            && (await db.Set<RequestAccessRecord>().AsNoTracking().FirstAsync(e => e.RequestId == id, cancellationToken)).DownloadExpiresAt > now;
    }

    /// <summary>DSR013: a fresh code to the address on the request; the same answer whatever the request.</summary>
    public async Task SendDownloadCodeAsync(Guid id, CancellationToken cancellationToken = default)
    {
        if (!await DownloadOpenAsync(id, cancellationToken))
        {
            return;
        }
        var record = await db.Set<SubjectRequest>().AsNoTracking().FirstAsync(r => r.Id == id, cancellationToken);
        if (requests.EmailOf(record) is { } email)
        {
            await verification.SendCodeAsync(email, PackageCodePurpose(id), cancellationToken, subject: $"Your code to download {record.Reference}");
        }
    }

    /// <summary>DSR013: the fresh code gives a download token that works for ten minutes.</summary>
    public async Task<Outcome<string>> VerifyDownloadCodeAsync(Guid id, string? code, CancellationToken cancellationToken = default)
    {
        if (!await DownloadOpenAsync(id, cancellationToken))
        {
            return Outcome<string>.Conflict("code", "This download link has expired or does not exist. Contact us and we will send your data again.", "DSR013");
        }
        var record = await db.Set<SubjectRequest>().AsNoTracking().FirstAsync(r => r.Id == id, cancellationToken);
        var verified = await verification.VerifyAsync(requests.EmailOf(record), code, PackageCodePurpose(id), cancellationToken);
        if (!verified.Succeeded)
        {
            return Outcome<string>.Fail(verified.Failure!.Value, [.. verified.Violations.Select(v => v with { RuleId = "DSR013" })]);
        }
        var expires = time.GetUtcNow() + DownloadTokenLifetime;
        return Outcome<string>.Success(Protector.Protect($"{id:N}.{expires.ToUnixTimeSeconds()}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))}"));
    }

    /// <summary>The package for a person holding a download token; each download is audited and in the timeline.</summary>
    public async Task<(byte[] Zip, string Reference)?> DownloadAsync(Guid id, string? token, CancellationToken cancellationToken = default)
    {
        if (!TokenValid(id, token) || !await DownloadOpenAsync(id, cancellationToken))
        {
            return null;
        }
        var execution = await db.Set<RequestAccessRecord>().FirstAsync(e => e.RequestId == id, cancellationToken);
        var record = await db.Set<SubjectRequest>().FirstAsync(r => r.Id == id, cancellationToken);
        byte[] zip;
        try
        {
            zip = await vault.UnprotectPackageAsync(execution.PackageEncrypted!, cancellationToken);
        }
        catch (Shredding.SubjectKeyDestroyedException)
        {
            // MIN017: shredded with the person's erasure; the page says the download is no longer available.
            return null;
        }
        execution.Downloads++;
        requests.Note(record, AuditActor.Anonymous, "downloaded", "The person downloaded the package after confirming a fresh code.", time.GetUtcNow());
        await audit.RecordAsync(AuditActor.Anonymous, "requests.package_downloaded", $"request:{id}", new JsonObject { ["by"] = "subject" }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return (zip, record.Reference);
    }

    private IDataProtector Protector => protection.CreateProtector("Dataward.Requests.PackageDownload");

    private bool TokenValid(Guid id, string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 1000)
        {
            return false;
        }
        try
        {
            var parts = Protector.Unprotect(token).Split('.');
            return parts.Length == 3 && parts[0] == id.ToString("N") && long.TryParse(parts[1], out var expires)
                && DateTimeOffset.FromUnixTimeSeconds(expires) > time.GetUtcNow();
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static AccessRunView View(RequestView request, RequestAccessRecord? execution, bool succeeded) => new(request.Id, request.Reference,
        request.State, execution?.Status ?? "not_run", succeeded && execution?.LastError is null, execution?.LastError, execution?.NextAttemptAt,
        execution is null ? new Dictionary<string, long>() : JsonSerializer.Deserialize<Dictionary<string, long>>(execution.RowCounts) ?? [],
        execution is null ? [] : JsonSerializer.Deserialize<List<PackageFlag>>(execution.Flags) ?? [], execution?.ReleasedAt, execution?.DownloadExpiresAt);

    private static JsonObject ToJson(AccessResult result)
    {
        var collections = new JsonObject();
        foreach (var (key, rows) in result.Collections)
        {
            var array = new JsonArray();
            foreach (var row in rows)
            {
                var item = new JsonObject();
                foreach (var (column, value) in row)
                {
                    item[column] = value is null ? null : JsonSerializer.SerializeToNode(value, value.GetType());
                }
                array.Add(item);
            }
            collections[key] = array;
        }
        return collections;
    }

    /// <summary>DSR018: the data the person provided (or that was observed), from datasets used on consent or contract;
    /// fields the organisation derived (<c>user.derived</c>) are left out.</summary>
    private static JsonObject Provided(JsonObject collections, IReadOnlyList<Dataset> datasets, HashSet<string>? eligibleDatasets)
    {
        var result = new JsonObject();
        foreach (var (key, rows) in collections)
        {
            var name = CollectionKey.Parse(key)!.Value;
            if (eligibleDatasets is not null && !eligibleDatasets.Contains(name.Dataset))
            {
                continue;
            }
            var derived = datasets.FirstOrDefault(d => d.FidesKey == name.Dataset)?.Collections.FirstOrDefault(c => c.Name == name.Collection)?.Fields
                .Where(f => f.DataCategories is { Count: > 0 } cats && cats.All(c => ErasurePolicy.Covers("user.derived", c))).Select(f => f.Name)
                .ToHashSet(StringComparer.Ordinal) ?? [];
            var array = new JsonArray();
            foreach (var row in rows!.AsArray().OfType<JsonObject>())
            {
                var kept = new JsonObject();
                foreach (var (column, value) in row.Where(p => !derived.Contains(p.Key)))
                {
                    kept[column] = value?.DeepClone();
                }
                array.Add(kept);
            }
            result[key] = array;
        }
        return result;
    }

    /// <summary>DSR012, kept simple and documented: a collection is flagged when it has values in free-text fields
    /// (notes, comments, descriptions, <c>user.content</c>), which may mention other people; or when it was reached only
    /// through other records (not by the person's own identity) and holds names or contact details, which may be
    /// someone else's (a delivery recipient, an employee).</summary>
    private static List<PackageFlag> Flag(JsonObject collections, TraversalPlan plan, IReadOnlyList<Dataset> datasets)
    {
        var flags = new List<PackageFlag>();
        foreach (var step in plan.Steps)
        {
            if (collections[step.Collection.ToString()] is not JsonArray { Count: > 0 } rows)
            {
                continue;
            }
            var fields = datasets.FirstOrDefault(d => d.FidesKey == step.Collection.Dataset)?.Collections
                .FirstOrDefault(c => c.Name == step.Collection.Collection)?.Fields ?? [];
            bool HasValues(string field) => rows.OfType<JsonObject>().Any(r => r[field] is JsonNode v && v.ToJsonString() is not ("\"\"" or "null"));
            var freeText = fields.Where(f => (FreeTextNames.Contains(f.Name.ToLowerInvariant())
                    || (f.DataCategories ?? []).Any(c => ErasurePolicy.Covers("user.content", c))) && HasValues(f.Name))
                .Select(f => f.Name).ToList();
            if (freeText.Count > 0)
            {
                flags.Add(new PackageFlag($"{step.Collection}:free-text", step.Collection.ToString(), freeText,
                    "Free text may mention other people: read it and redact what is about someone else."));
            }
            if (step.Inputs.All(i => i.Identity is null))
            {
                var contact = fields.Where(f => (f.DataCategories ?? []).Any(c => ErasurePolicy.Covers("user.name", c) || ErasurePolicy.Covers("user.contact", c))
                    && HasValues(f.Name)).Select(f => f.Name).ToList();
                if (contact.Count > 0)
                {
                    flags.Add(new PackageFlag($"{step.Collection}:reached", step.Collection.ToString(), contact,
                        "Names or contact details found through other records, not the person's own identity: they may belong to someone else (a delivery recipient, say)."));
                }
            }
        }
        return flags;
    }

    /// <summary>An error in words for the timeline and staff: the kind of failure and the driver's message (connection
    /// strings are never part of it).</summary>
    private static string Explain(Exception e) => e switch
    {
        PlanCheckException check => $"The connected databases do not match their datasets: {string.Join(" ", check.Problems)}",
        System.Data.Common.DbException db => $"A connected database could not be read ({db.GetType().Name}): {db.Message}",
        _ => $"The connected databases could not be read ({e.GetType().Name}): {e.Message}",
    };

    private static string Trim(string text, int max) => text.Length > max ? text[..max] : text;
}

/// <summary>Runs <see cref="RequestAccessService.RunDueAsync"/> every minute while <c>serve</c> runs: verified access
/// and portability requests are read and packaged, and runs that failed or were abandoned are tried again. Several
/// instances are safe: a run claims its request with a lease under optimistic concurrency.</summary>
public sealed class RequestAccessJob(IServiceScopeFactory scopes, TimeProvider time, ILogger<RequestAccessJob> logger)
    : Platform.Jobs.PeriodicJob(scopes, time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromMinutes(1);

    protected override Task RunAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<RequestAccessService>().RunDueAsync(cancellationToken);
}
