using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
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
using Dataward.Domain;
using Dataward.Domain.Requests;
using Dataward.Domain.Retention;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Requests;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Dataward.Retention;

/// <summary>A sweep as the API takes it: a dry run unless <c>dryRun</c> is false (the safe default), over every active
/// rule or the ones named.</summary>
public sealed record SweepRequest(bool DryRun = true, IReadOnlyList<Guid>? Rules = null);

/// <summary>Rows a sweep left alone, by reason (MIN003): a legal hold, a pending request, already erased by this rule, or
/// a trigger value that is not a date.</summary>
public sealed record SkippedCounts(long LegalHold, long PendingRequest, long AlreadyErased, long UnreadableTrigger)
{
    public long Total => LegalHold + PendingRequest + AlreadyErased + UnreadableTrigger;
}

/// <summary>One rule and collection of a sweep (MIN005): expired rows found (<c>matched</c>), rows changed, rows whose
/// trigger is empty (<c>untriggered</c>, MIN007, never expired), skipped by reason, failed, and <c>outstanding</c>: what
/// a dry run would change, or a review rule flags.</summary>
public sealed record SweepRuleView(Guid RuleId, string RuleName, int RuleVersion, string Dataset, string Collection, string Action, string Status,
    long Matched, long Changed, long Untriggered, SkippedCounts Skipped, long Failed, long Outstanding, int Batches, DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt, string? Note, string? Error);

public sealed record SweepView(Guid Id, string Kind, bool DryRun, string Trigger, string Actor, string Status, DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt, int Attempts, string? Error, DateTimeOffset? NextAttemptAt, IReadOnlyList<SweepRuleView> Rules);

/// <summary>The erasure ledger (MIN008) by rule and collection: how many rows each rule erased, and how many of those a
/// replay has applied again.</summary>
public sealed record ErasureLedgerEntry(Guid RuleId, string RuleName, string Dataset, string Collection, string Action, long Rows, long Replayed,
    DateTimeOffset FirstAppliedAt, DateTimeOffset LastAppliedAt);

/// <summary>One sweep of one rule, for the rule's page: the latest dry run of its current version is what the DPO
/// checks before applying it (MIN002).</summary>
public sealed record RuleSweepView(Guid SweepId, string Kind, bool DryRun, string Trigger, DateTimeOffset StartedAt, SweepRuleView Counts);

/// <summary>Rows changed per rule and UTC day by applying sweeps, for the sweep history chart.</summary>
public sealed record ErasedPerDay(Guid RuleId, string RuleName, DateOnly Day, long Rows);

/// <summary>Seams where tests stop a sweep: <c>pending</c> (a batch's fingerprints are saved, nothing applied yet),
/// <c>applied</c> (the connected database committed, the checkpoint is not saved) and <c>saved</c>; <c>set</c> marks a
/// page changed by one statement, before its fingerprints are saved.</summary>
public sealed class RetentionSweepHooks
{
    public Func<string, RetentionSweepRule, CancellationToken, Task>? At { get; set; }
}

/// <summary>Sweeps (issue 6 point 2): find expired rows through the connected datasets, skip held and requested people,
/// and erase, anonymise or flag them in batches, each batch one transaction in the connected database with a checkpoint
/// here, so an interrupted sweep resumes without applying anything twice (MIN002-MIN005, MIN007, MIN008).</summary>
public sealed partial class RetentionSweeps(DatawardDbContext db, RetentionService schedule, ConnectionService connections, RequestService requests,
    ErasurePolicyService erasurePolicy, KeyRing keys, AuditTrail audit, IOptions<RetentionOptions> options, RetentionSweepHooks hooks,
    TimeProvider time, ILogger<RetentionSweeps> logger) : IDisposable
{
    public const string ScheduleActor = "system:retention-schedule";

    /// <summary>The most rows one set-based page changes, however fast pages go (<see cref="RetentionOptions.PageSeconds"/>):
    /// its keys and triggers are held in memory until it commits.</summary>
    public const int MaxPageRows = 500_000;
    private const string CursorPurpose = "retention.cursor";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(15);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<IReadOnlyList<SweepView>> ListAsync(int limit = 50, CancellationToken cancellationToken = default)
    {
        var sweeps = await db.Set<RetentionSweep>().AsNoTracking().OrderByDescending(s => s.StartedAt).Take(Math.Clamp(limit, 1, 500))
            .ToListAsync(cancellationToken);
        var ids = sweeps.Select(s => s.Id).ToList();
        var items = (await db.Set<RetentionSweepRule>().AsNoTracking().Where(r => ids.Contains(r.SweepId)).ToListAsync(cancellationToken)).ToLookup(r => r.SweepId);
        return [.. sweeps.Select(s => View(s, items[s.Id]))];
    }

    public async Task<SweepView?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var sweep = await db.Set<RetentionSweep>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        return sweep is null ? null : View(sweep, await db.Set<RetentionSweepRule>().AsNoTracking().Where(r => r.SweepId == id).ToListAsync(cancellationToken));
    }

    /// <summary>The latest sweeps of one rule, newest first.</summary>
    public async Task<IReadOnlyList<RuleSweepView>> RuleHistoryAsync(Guid ruleId, int limit = 20, CancellationToken cancellationToken = default)
    {
        var items = await db.Set<RetentionSweepRule>().AsNoTracking().Where(r => r.RuleId == ruleId).ToListAsync(cancellationToken);
        var ids = items.Select(i => i.SweepId).ToList();
        var sweeps = await db.Set<RetentionSweep>().AsNoTracking().Where(s => ids.Contains(s.Id)).ToDictionaryAsync(s => s.Id, cancellationToken);
        return [.. items.Select(i => (Item: i, Sweep: sweeps[i.SweepId])).OrderByDescending(x => x.Sweep.StartedAt).ThenByDescending(x => x.Sweep.Id)
            .Take(limit).Select(x => new RuleSweepView(x.Sweep.Id, x.Sweep.Kind, x.Sweep.DryRun, x.Sweep.Trigger, x.Sweep.StartedAt, View(x.Sweep, [x.Item]).Rules[0]))];
    }

    /// <summary>Starts a sweep and runs it to the end (or to a pause). Applying needs a dry run of each rule's current
    /// version first (MIN002): rules without one are listed as skipped, with the reason.</summary>
    public async Task<Outcome<SweepView>> StartAsync(SweepRequest request, string actor, string trigger, CancellationToken cancellationToken = default)
    {
        var query = db.Set<RetentionRuleRecord>().AsNoTracking().Where(r => r.Status == RetentionRuleStatus.Active);
        if (request.Rules is { Count: > 0 } named)
        {
            if (named.Count > 1000)
            {
                return Outcome<SweepView>.Invalid("rules", "Name at most 1,000 rules.");
            }
            var ids = named.Distinct().ToList();
            query = query.Where(r => ids.Contains(r.Id));
            var found = await query.Select(r => r.Id).ToListAsync(cancellationToken);
            if (ids.Except(found).FirstOrDefault() is var missing && missing != Guid.Empty)
            {
                return Outcome<SweepView>.NotFound("rules", $"No active retention rule has the id {missing}.");
            }
        }
        var rules = await query.OrderBy(r => r.Name).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var sweep = new RetentionSweep
        {
            Kind = "sweep",
            DryRun = request.DryRun,
            Trigger = trigger,
            Actor = actor,
            Status = SweepStatus.Running,
            StartedAt = now,
            LeaseUntil = now + Lease,
            Attempts = 1,
        };
        db.Add(sweep);
        foreach (var rule in rules)
        {
            var item = Item(sweep, rule);
            if (!request.DryRun && rule.DryRunVersion != rule.Version)
            {
                item.Status = SweepStatus.Skipped;
                item.Note = $"Not applied: version {rule.Version} of this rule has not had a dry run yet. Run one and check its counts first (MIN002).";
            }
            db.Add(item);
        }
        await audit.RecordAsync(actor, "retention.sweep_started", $"retention-sweep:{sweep.Id}",
            new JsonObject { ["dryRun"] = sweep.DryRun, ["trigger"] = trigger, ["rules"] = rules.Count }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<SweepView>.Success(await RunAsync(sweep.Id, cancellationToken));
    }

    /// <summary>MIN008: applies again, after a backup is restored, every erasure the ledger records whose row is back
    /// (a dry run counts them). Held and requested people are still skipped.</summary>
    public async Task<SweepView> ReplayAsync(bool dryRun, string actor, string trigger, CancellationToken cancellationToken = default)
    {
        var ruleIds = await db.Set<RetentionErasureBatch>().AsNoTracking().Select(e => e.RuleId).Distinct().ToListAsync(cancellationToken);
        var rules = await db.Set<RetentionRuleRecord>().AsNoTracking().Where(r => ruleIds.Contains(r.Id)).OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var sweep = new RetentionSweep
        {
            Kind = "replay",
            DryRun = dryRun,
            Trigger = trigger,
            Actor = actor,
            Status = SweepStatus.Running,
            StartedAt = now,
            LeaseUntil = now + Lease,
            Attempts = 1,
        };
        db.Add(sweep);
        foreach (var rule in rules)
        {
            db.Add(Item(sweep, rule));
        }
        await audit.RecordAsync(actor, "retention.replay_started", $"retention-sweep:{sweep.Id}",
            new JsonObject { ["dryRun"] = dryRun, ["rules"] = rules.Count }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return await RunAsync(sweep.Id, cancellationToken);
    }

    /// <summary>Resumes a paused sweep now, from each rule's checkpoint.</summary>
    public async Task<Outcome<SweepView>> ResumeAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        var sweep = await db.Set<RetentionSweep>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (sweep is null)
        {
            return Outcome<SweepView>.NotFound("id", "No sweep has this id.");
        }
        var now = time.GetUtcNow();
        if (sweep.Status == SweepStatus.Completed || (sweep.Status == SweepStatus.Running && sweep.LeaseUntil > now))
        {
            return Outcome<SweepView>.Conflict("status", sweep.Status == SweepStatus.Completed ? "This sweep is complete." : "This sweep is running.");
        }
        if (!await ClaimAsync(sweep, cancellationToken))
        {
            return Outcome<SweepView>.Conflict("status", "Another instance took this sweep first.");
        }
        await audit.RecordAsync(actor, "retention.sweep_resumed", $"retention-sweep:{id}", new JsonObject { ["attempt"] = sweep.Attempts + 1 }, cancellationToken);
        return Outcome<SweepView>.Success(await RunAsync(id, cancellationToken));
    }

    /// <summary>The background job's work: resume paused sweeps whose retry is due (or whose process died), then sweep
    /// every rule whose cron schedule is due. Returns how many sweeps ran.</summary>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var ran = 0;
        var stalled = await db.Set<RetentionSweep>().AsNoTracking()
            .Where(s => (s.Status == SweepStatus.Paused && s.NextAttemptAt <= now) || (s.Status == SweepStatus.Running && s.LeaseUntil < now))
            .ToListAsync(cancellationToken);
        foreach (var sweep in stalled)
        {
            if (await ClaimAsync(sweep, cancellationToken))
            {
                await RunAsync(sweep.Id, cancellationToken);
                ran++;
            }
        }
        var due = await db.Set<RetentionRuleRecord>().AsNoTracking()
            .Where(r => r.Status == RetentionRuleStatus.Active && r.Schedule != null && r.NextRunAt <= now).ToListAsync(cancellationToken);
        foreach (var rule in due)
        {
            var next = Cronos.CronExpression.Parse(rule.Schedule!).GetNextOccurrence(now.UtcDateTime) is { } n ? new DateTimeOffset(n, TimeSpan.Zero) : (DateTimeOffset?)null;
            // Moving the next run forward claims this one: of several instances, one sees a row changed.
            var claimed = await db.Set<RetentionRuleRecord>().Where(r => r.Id == rule.Id && r.NextRunAt == rule.NextRunAt)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.NextRunAt, next), cancellationToken);
            if (claimed == 1)
            {
                db.ChangeTracker.Clear();
                await StartAsync(new SweepRequest(DryRun: false, [rule.Id]), ScheduleActor, "schedule", cancellationToken);
                ran++;
            }
        }
        return ran;
    }

    /// <summary>MIN008: what the ledger holds, by rule and collection (counts only; the rows' keys stay encrypted).</summary>
    public async Task<IReadOnlyList<ErasureLedgerEntry>> ErasuresAsync(CancellationToken cancellationToken = default)
    {
        var groups = await db.Set<RetentionErasureBatch>().AsNoTracking()
            .GroupBy(e => new { e.RuleId, e.Dataset, e.Collection, e.Action })
            .Select(g => new
            {
                g.Key.RuleId,
                g.Key.Dataset,
                g.Key.Collection,
                g.Key.Action,
                Rows = g.Sum(e => e.Replay ? 0L : e.Rows),
                Replayed = g.Sum(e => e.Replay ? (long)e.Rows : 0L),
            })
            .ToListAsync(cancellationToken);
        var ruleIds = groups.Select(g => g.RuleId).Distinct().ToList();
        var names = await db.Set<RetentionRuleRecord>().AsNoTracking().Where(r => ruleIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.Name, cancellationToken);
        // Instants are compared in memory: SQLite keeps them as ticks behind a converter EF cannot aggregate through.
        var times = (await db.Set<RetentionErasureBatch>().AsNoTracking().Where(e => ruleIds.Contains(e.RuleId)).Select(e => new { e.RuleId, e.AppliedAt })
            .ToListAsync(cancellationToken)).GroupBy(e => e.RuleId).ToDictionary(g => g.Key, g => (First: g.Min(e => e.AppliedAt), Last: g.Max(e => e.AppliedAt)));
        return [.. groups.OrderBy(g => names.GetValueOrDefault(g.RuleId), StringComparer.Ordinal).ThenBy(g => g.Action, StringComparer.Ordinal)
            .Select(g => new ErasureLedgerEntry(g.RuleId, names.GetValueOrDefault(g.RuleId) ?? g.RuleId.ToString(), g.Dataset, g.Collection, g.Action, g.Rows,
                g.Replayed, times[g.RuleId].First, times[g.RuleId].Last))];
    }

    /// <summary>Rows changed per rule and day by applying sweeps since <paramref name="from"/>, for the history chart.</summary>
    public async Task<IReadOnlyList<ErasedPerDay>> ErasedPerDayAsync(DateOnly from, CancellationToken cancellationToken = default)
    {
        var since = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var applied = await db.Set<RetentionSweep>().AsNoTracking().Where(s => !s.DryRun && s.StartedAt >= since).Select(s => new { s.Id, s.StartedAt })
            .ToListAsync(cancellationToken);
        var ids = applied.Select(s => s.Id).ToList();
        var started = applied.ToDictionary(s => s.Id, s => s.StartedAt);
        var items = await db.Set<RetentionSweepRule>().AsNoTracking().Where(r => ids.Contains(r.SweepId) && r.Changed > 0)
            .Select(r => new { r.SweepId, r.RuleId, r.RuleName, r.Changed }).ToListAsync(cancellationToken);
        return [.. items.GroupBy(i => (i.RuleId, Day: DateOnly.FromDateTime(started[i.SweepId].UtcDateTime)))
            .Select(g => new ErasedPerDay(g.Key.RuleId, g.Last().RuleName, g.Key.Day, g.Sum(i => i.Changed)))
            .OrderBy(e => e.Day).ThenBy(e => e.RuleName, StringComparer.Ordinal)];
    }

    private static RetentionSweepRule Item(RetentionSweep sweep, RetentionRuleRecord rule) => new()
    {
        SweepId = sweep.Id,
        RuleId = rule.Id,
        RuleVersion = rule.Version,
        RuleName = rule.Name,
        RuleDocument = JsonSerializer.Serialize(RetentionService.DraftOf(rule), Json),
        Dataset = rule.Dataset,
        Collection = rule.Collection,
        Action = rule.Action,
        Status = SweepStatus.Pending,
    };

    // Several instances may look at once: moving the lease claims the sweep for one of them.
    private async Task<bool> ClaimAsync(RetentionSweep sweep, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var claimed = await db.Set<RetentionSweep>()
            .Where(s => s.Id == sweep.Id && s.Status == sweep.Status && s.Attempts == sweep.Attempts)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SweepStatus.Running).SetProperty(x => x.LeaseUntil, now + Lease)
                .SetProperty(x => x.Attempts, sweep.Attempts + 1), cancellationToken);
        return claimed == 1;
    }

    private async Task<SweepView> RunAsync(Guid sweepId, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var sweep = await db.Set<RetentionSweep>().FirstAsync(s => s.Id == sweepId, cancellationToken);
        var items = await db.Set<RetentionSweepRule>().Where(r => r.SweepId == sweepId).OrderBy(r => r.RuleName).ToListAsync(cancellationToken);
        var run = new SweepRun(sweep);
        try
        {
            foreach (var item in items.Where(i => i.Status is SweepStatus.Pending or SweepStatus.Running or SweepStatus.Paused))
            {
                // A pause clears the change tracker: the sweep and the next rule are tracked again before they change.
                foreach (var entity in new object[] { sweep, item }.Where(e => db.Entry(e).State == EntityState.Detached))
                {
                    db.Attach(entity);
                }
                try
                {
                    await RunRuleAsync(run, item, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    await PauseRuleAsync(item, e, cancellationToken);
                }
            }
        }
        finally
        {
            if (run.Connected is { } connected)
            {
                await connected.DisposeAsync();
            }
        }
        await FinishAsync(sweep, items, cancellationToken);
        return View(sweep, items);
    }

    /// <summary>What one run of a sweep opens once and shares between its rules.</summary>
    private sealed class SweepRun(RetentionSweep sweep)
    {
        public RetentionSweep Sweep { get; } = sweep;
        public ConnectedDatasets? Connected { get; set; }
        public Dictionary<CollectionKey, Exclusions> Exclusions { get; } = [];
        public ErasurePolicy? Policy { get; set; }
        public List<(IReadOnlyDictionary<string, string> Identities, string Reason)>? People { get; set; }
    }

    /// <summary>Rows of people who must not be swept in one collection, by canonical primary key, with the reason.</summary>
    private sealed record Exclusions(Dictionary<string, string> Rows, int Unmatched);

    private const string HoldReason = "legalHold";
    private const string RequestReason = "pendingRequest";

    private async Task RunRuleAsync(SweepRun run, RetentionSweepRule item, CancellationToken cancellationToken)
    {
        var sweep = run.Sweep;
        var rule = JsonSerializer.Deserialize<RetentionRuleDraft>(item.RuleDocument, Json)!;
        var period = RetentionPeriod.Parse(rule.Period).Period!;
        var replay = sweep.Kind == "replay";
        run.Connected ??= await connections.ConnectAsync(cancellationToken);
        var connected = run.Connected;
        var dataset = connected.Datasets.FirstOrDefault(d => d.FidesKey == item.Dataset)
            ?? throw new RetentionStoppedException($"Dataset '{item.Dataset}' has no connection: connect its database (POST /api/connections), and the sweep resumes.");
        var store = connected.Stores[item.Dataset];
        var collectionKey = new CollectionKey(item.Dataset, item.Collection);
        var table = (await store.DescribeAsync(cancellationToken)).Find(item.Collection)
            ?? throw new UnknownStoreObjectException($"The {store.Kind} store has no table '{item.Collection}'.");
        var trigger = table.Column(rule.TriggerField!) ?? throw new UnknownStoreObjectException($"Table '{table.Name}' has no column '{rule.TriggerField}'.");
        if (trigger.Kind is not (ValueKind.Timestamp or ValueKind.TimestampWithZone or ValueKind.Date))
        {
            throw new RetentionStoppedException($"'{trigger.Name}' holds {trigger.DataType}, not a date or timestamp: change the rule's trigger field (MIN001).");
        }
        var collection = dataset.Collections.First(c => c.Name == item.Collection);
        IReadOnlyList<string> keyColumns = table.PrimaryKey.Count > 0 ? table.PrimaryKey
            : [.. collection.Fields.Where(f => f.FidesMeta?.PrimaryKey == true).Select(f => f.Name)];
        if (keyColumns.Count == 0)
        {
            throw new RetentionStoppedException($"'{item.Collection}' has no primary key (in the table or the dataset) to name its rows by: nothing can be swept.");
        }
        var change = await ChangeAsync(run, rule.Action!, dataset, collection, table, keyColumns, cancellationToken);
        var exclusions = await ExclusionsAsync(run, collectionKey, keyColumns, cancellationToken);
        var now = sweep.StartedAt.UtcDateTime;
        if (item.StartedAt is null)
        {
            item.StartedAt = time.GetUtcNow();
            item.Untriggered = replay ? 0 : await store.CountNullAsync(table.Name, trigger.Name, cancellationToken);
            var notes = new List<string>();
            if (change.Note is { } changeNote)
            {
                notes.Add(changeNote);
            }
            if (exclusions.Unmatched > 0)
            {
                notes.Add($"{exclusions.Unmatched} held or requesting person(s) cannot be traced to this collection through the datasets: their rows here are not recognised.");
            }
            item.Note = notes.Count == 0 ? null : Cap(string.Join(" ", notes));
        }
        item.Status = SweepStatus.Running;
        item.Error = null;
        await db.SaveChangesAsync(cancellationToken);

        var apply = !sweep.DryRun && change.Kind != ChangeKind.None;
        // MIN008: what this rule erased before, for a replay, for a masked row not to be masked again, and for a restored
        // row erased again to be recorded as a replay.
        var ledger = replay || apply || change.Kind == ChangeKind.Mask ? await LedgerAsync(item.RuleId, cancellationToken) : new Ledger(this);
        var checkpoint = new Checkpoint(sweep, item, change, ledger);
        ColumnBound? below = replay ? null : new ColumnBound(trigger.Name, Bound(period.CandidateBound(now), trigger));
        var columns = keyColumns.Concat(change.Fields.Select(f => f.Field)).Append(trigger.Name).Distinct(StringComparer.Ordinal).ToList();
        var batchSize = options.Value.BatchSize;
        var cursor = item.CursorEncrypted is null ? null : JsonSerializer.Deserialize<List<string?>>(keys.Decrypt(item.CursorEncrypted, CursorPurpose));
        // The checkpoint of a batch whose rows were changed waits for the next batch's pending checkpoint and commits with
        // it (one commit here per batch instead of two); see docs/architecture.md "Retention" for why that is safe (MIN004).
        // The set-based path (SetPageAsync): a page of rows changed by one statement, checked row by row before it commits.
        var setBased = apply && !replay && keyColumns.Count == 1 && table.Column(keyColumns[0])!.Kind == ValueKind.Integer
            && (change.Kind == ChangeKind.Delete || change.Fields.All(f => f.Masking.IsConstant && f.Field != trigger.Name));
        var fallbacks = 0;
        // The last set-based page applied: its rows and how long it took.
        (int Rows, TimeSpan Took)? paced = null;
        // Triggers below it are expired whatever month ends do; a store whose date columns hold only dates needs not hand
        // them back (MIN007: a typed date is always readable).
        var settled = below is not null && trigger.Kind is ValueKind.Date or ValueKind.Timestamp or ValueKind.TimestampWithZone
            ? new ColumnBound(trigger.Name, Settled(period.SettledBound(now), trigger)) : null;
        // The next set-based page, read while the one before changes where the store can.
        await using var ahead = new ReadAhead();
        while (true)
        {
            var started = time.GetTimestamp();
            if (setBased && item.Pending is null)
            {
                var pageRows = paced is { } last ? NextPageRows(last.Rows, last.Rows, last.Took, batchSize) : batchSize;
                var (read, rows) = await ahead.TakeAsync() is { } taken ? (taken, ahead.Rows)
                    : (await store.ReadPageAsync(table.Name, keyColumns[0], cursor?[0], pageRows, below!, trigger.Name, settled, cancellationToken), pageRows);
                // The page after, where it is read while this one changes: sized from this one by the last page's pace.
                var aheadRows = NextPageRows(rows, paced?.Rows ?? rows, paced?.Took ?? TimeSpan.Zero, batchSize);
                var (outcome, next) = await SetPageAsync(item, store, table, read, keyColumns[0], trigger, change, exclusions, ledger, period, now, below!,
                    settled, cursor, ahead, aheadRows, checkpoint, cancellationToken);
                if (outcome == SetOutcome.Done)
                {
                    break;
                }
                if (outcome == SetOutcome.Applied)
                {
                    cursor = next;
                    fallbacks = 0;
                    paced = (rows, time.GetElapsedTime(started));
                    await PaceAsync(started, cancellationToken);
                    continue;
                }
                // A page with a row the statement must not change was rolled back: it goes the row-by-row way. Pages that
                // keep doing so (a masking rule's second sweep) stop trying.
                setBased = ++fallbacks < 2;
            }
            var pending = item.Pending is null ? null : PendingBatch.Read(keys, item.Pending);
            // A pending batch's rows are the first expired rows after the cursor; a set-based page's may be more than a
            // batch, and the page read to finish it covers them all (a row of it not read is gone).
            var page = await store.SelectPageAsync(table.Name, columns, keyColumns, cursor?.Cast<object?>().ToList(),
                Math.Max(batchSize, pending?.Count ?? 0), below, cancellationToken);
            // The end of the scan; a batch left pending by a stopped run is still finished (its rows are gone or changed).
            var end = page.Count == 0;
            if (end && (item.Pending is null || !apply))
            {
                break;
            }
            // Counted apart and added with the checkpoint, so a batch interrupted and done again is counted once.
            var batch = new BatchCounts();
            var targets = new List<(StoreRow Row, UInt128 Entry)>(page.Count);
            var keyValues = new object?[keyColumns.Count];
            foreach (var row in page)
            {
                for (var k = 0; k < keyValues.Length; k++)
                {
                    keyValues[k] = row[keyColumns[k]];
                }
                var canonicalKey = StoreValues.Canonical(keyValues);
                var entry = Entry(keyValues, canonicalKey);
                if (replay)
                {
                    if (!ledger.Contains(entry))
                    {
                        continue;
                    }
                }
                else
                {
                    if (TriggerOf(row[trigger.Name]) is not { } at)
                    {
                        batch.Unreadable++;
                        continue;
                    }
                    // MIN007: a null trigger never reaches here (the bound excludes it); it is counted as untriggered.
                    if (!period.IsExpired(at, now))
                    {
                        continue;
                    }
                }
                batch.Matched++;
                // MIN003: held and requested people's rows are skipped and counted by reason.
                if (exclusions.Rows.Count > 0 && exclusions.Rows.TryGetValue(canonicalKey, out var reason))
                {
                    if (reason == HoldReason)
                    {
                        batch.Hold++;
                    }
                    else
                    {
                        batch.Request++;
                    }
                    continue;
                }
                targets.Add((row, entry));
            }
            if (!replay && change.Kind == ChangeKind.Mask && targets.Count > 0)
            {
                // A row this rule masked before keeps its trigger date; it is not masked again (a replay does that, MIN008).
                batch.AlreadyErased += targets.RemoveAll(t => ledger.Contains(t.Entry));
            }
            var erased = new List<UInt128>();
            var wrote = false;
            if (apply && (targets.Count > 0 || pending is not null))
            {
                (erased, wrote) = await ApplyAsync(item, store, table, keyColumns, change, targets, pending, batch, checkpoint, cancellationToken);
            }
            item.Matched += batch.Matched;
            item.SkippedUnreadable += batch.Unreadable;
            item.SkippedLegalHold += batch.Hold;
            item.SkippedPendingRequest += batch.Request;
            item.SkippedAlreadyErased += batch.AlreadyErased;
            item.Failed += batch.Failed;
            item.Changed += erased.Count;
            if (!end)
            {
                cursor = [.. keyColumns.Select(k => Text(page[^1][k]))];
                item.CursorEncrypted = keys.Encrypt(JsonSerializer.Serialize(cursor), CursorPurpose);
            }
            item.Pending = null;
            item.Batches++;
            checkpoint.Erased.AddRange(erased);
            checkpoint.Unsaved = true;
            if (!wrote)
            {
                // Nothing changed in the connected database (a dry run, a review, a batch of skipped rows): the checkpoint
                // commits now, so the lease is renewed and a long dry run resumes where it stopped.
                await SaveCheckpointAsync(checkpoint, cancellationToken);
            }
            if (end)
            {
                break;
            }
            await PaceAsync(started, cancellationToken);
        }
        if (checkpoint.Unsaved)
        {
            await SaveCheckpointAsync(checkpoint, cancellationToken);
        }
        item.Status = SweepStatus.Completed;
        item.FinishedAt = time.GetUtcNow();
        if (sweep.DryRun && !replay)
        {
            // MIN002: this version of the rule has been dry-run; applying sweeps may now change its rows.
            await db.Set<RetentionRuleRecord>().Where(r => r.Id == item.RuleId && r.Version == item.RuleVersion)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.DryRunVersion, item.RuleVersion), cancellationToken);
        }
        else if (!sweep.DryRun && item.Changed > 0)
        {
            await db.Set<RetentionRuleRecord>().Where(r => r.Id == item.RuleId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Applied, true), cancellationToken);
        }
        await audit.RecordAsync(sweep.Actor, sweep.Kind == "replay" ? "retention.rule_replayed" : "retention.rule_swept", $"retention-rule:{item.RuleId}",
            Counts(item, sweep), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        LogRuleSwept(logger, item.RuleId, item.RuleVersion, sweep.DryRun, item.Matched, item.Changed);
    }

    private enum SetOutcome
    {
        Done,
        Applied,
        Fallback,
    }

    /// <summary>The set-based path, for a rule that changes every row the same way (deletes, or null and fixed masks) on a
    /// single integer key: the keyset scan's next page below the bound, <paramref name="read"/> in a transaction left open,
    /// is changed by one <c>DELETE</c>/<c>UPDATE</c> of the same rows while they are judged as the row-by-row path judges
    /// them (exact expiry, a readable trigger, MIN003 holds and requests, rows this rule masked before); a page with any
    /// row that path would leave alone is rolled back for that path to do (<see cref="SetOutcome.Fallback"/>). Otherwise
    /// the same steps as a batch there: the pending checkpoint commits here with the previous batch's (while the change
    /// runs), then the page commits in the connected database, and its checkpoint and ledger rows commit with the next
    /// batch (MIN004, MIN008). Where the store can, the page after is read meanwhile (<paramref name="ahead"/>).</summary>
    private async Task<(SetOutcome Outcome, List<string?>? Cursor)> SetPageAsync(RetentionSweepRule item, IDataStore store, StoreTable table,
        IStorePage read, string keyColumn, StoreColumn trigger, PlannedChange change, Exclusions exclusions, Ledger ledger, RetentionPeriod period,
        DateTime now, ColumnBound below, ColumnBound? settled, List<string?>? cursor, ReadAhead ahead, int aheadRows, Checkpoint checkpoint,
        CancellationToken cancellationToken)
    {
        await using var owned = read;
        if (read.Count == 0)
        {
            return (SetOutcome.Done, cursor);
        }
        Dictionary<string, object?>? values = null;
        if (change.Kind == ChangeKind.Mask)
        {
            values = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var field in change.Fields)
            {
                // A constant strategy gives any value the same replacement.
                var masked = field.Masking.Mask(ConstantInput, field.Column, change.Secrets);
                values[field.Field] = masked is not null && StoreValues.TryCoerce(masked, field.Column.Kind, out var typed) ? typed : masked;
            }
        }
        var digest = change.Kind == ChangeKind.Delete ? Deleted : Digest(change.Secrets, StoreValues.Canonical(change.Fields.Select(f => values![f.Field])));
        var entries = new List<UInt128>();
        var last = long.MinValue;
        var saved = false;
        // The rows read, judged as the row-by-row path judges them while the change runs (the ledger is only read). MIN004:
        // a page judged fit commits its pending checkpoint here (with the previous page's counts, cursor and ledger rows)
        // while its change is still running there; the change commits only after.
        async Task<bool> JudgeAndSave(IReadOnlyList<long> pageKeys, IReadOnlyList<object?> triggers)
        {
            entries.Capacity = pageKeys.Count;
            for (var i = 0; i < pageKeys.Count; i++)
            {
                var key = pageKeys[i];
                // MIN007 and the exact test: only readable, expired triggers (settled ones are); MIN003: no held or requested person's row.
                if ((!ReferenceEquals(triggers[i], PageValues.Settled) && (TriggerOf(triggers[i]) is not { } at || !period.IsExpired(at, now)))
                    || (exclusions.Rows.Count > 0 && exclusions.Rows.ContainsKey(StoreValues.Canonical([key]))))
                {
                    return false;
                }
                var entry = LedgerEntry.OfKey(key);
                if (change.Kind == ChangeKind.Mask && ledger.Contains(entry))
                {
                    return false;
                }
                entries.Add(entry);
                last = Math.Max(last, key);
            }
            item.Pending = PendingBatch.Write(keys, entries, [digest]);
            await SaveCheckpointAsync(checkpoint, cancellationToken);
            saved = true;
            return true;
        }
        var changing = read.ChangeAsync(values, JudgeAndSave, cancellationToken);
        if (store.ReadsAhead)
        {
            // The next page's rows are after this page's last key: none of them is changed by this page.
            ahead.Start(store.ReadPageAsync(table.Name, keyColumn, read.Last, aheadRows, below, trigger.Name, settled, cancellationToken), aheadRows);
        }
        await using var page = await changing;
        if (!page.Accepted)
        {
            await ahead.DisposeAsync();
            if (saved)
            {
                // Refused after its checkpoint was saved (another transaction changed a row of it): rolled back, nothing is pending.
                await page.DisposeAsync();
                item.Pending = null;
                await SaveCheckpointAsync(checkpoint, cancellationToken);
            }
            return (SetOutcome.Fallback, cursor);
        }
        await Hook("set", item, cancellationToken);
        await Hook("pending", item, cancellationToken);
        await page.CommitAsync(cancellationToken);
        await Hook("applied", item, cancellationToken);
        item.Matched += entries.Count;
        item.Changed += entries.Count;
        List<string?> next = [last.ToString(CultureInfo.InvariantCulture)];
        item.CursorEncrypted = keys.Encrypt(JsonSerializer.Serialize(next), CursorPurpose);
        item.Pending = null;
        item.Batches++;
        checkpoint.Erased.AddRange(entries);
        checkpoint.Unsaved = true;
        return (SetOutcome.Applied, next);
    }

    private static readonly object ConstantInput = "-";

    /// <summary>The next set-based page, read while the page before it changes; let go unless taken.</summary>
    private sealed class ReadAhead : IAsyncDisposable
    {
        private Task<IStorePage>? next;

        /// <summary>The rows asked for of the page read ahead.</summary>
        public int Rows { get; private set; }

        public void Start(Task<IStorePage> reading, int rows) => (next, Rows) = (reading, rows);

        public async Task<IStorePage?> TakeAsync()
        {
            var taken = next;
            next = null;
            return taken is null ? null : await taken;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (await TakeAsync() is { } page)
                {
                    await page.DisposeAsync();
                }
            }
            catch (Exception e) when (e is System.Data.Common.DbException or OperationCanceledException or InvalidOperationException or TimeoutException)
            {
                // A page read ahead and not used: the run stopped or went another way already, for its own reason.
            }
        }
    }

    /// <summary>The next set-based page's size: the rows that would take <see cref="RetentionOptions.PageSeconds"/> at the pace
    /// of a page of <paramref name="measuredRows"/> that <paramref name="took"/> (none measured yet: zero), at most four
    /// times this page's <paramref name="rows"/> and at least a fiftieth of <paramref name="batchSize"/>.</summary>
    private int NextPageRows(int rows, int measuredRows, TimeSpan took, int batchSize)
    {
        var target = options.Value.PageSeconds;
        if (target <= 0)
        {
            return batchSize;
        }
        var scaled = took <= TimeSpan.Zero ? rows * 4.0 : measuredRows * target / took.TotalSeconds;
        return (int)Math.Clamp(Math.Min(scaled, rows * 4.0), Math.Max(1, batchSize / 50), Math.Max(batchSize, MaxPageRows));
    }

    /// <summary>Applies one batch in one transaction of the connected database. A batch whose fingerprints were saved by
    /// an interrupted run (<paramref name="pending"/>) is finished, not applied twice: its rows that are gone or already
    /// hold the saved new values count as changed. Returns the ledger entries of the rows erased.</summary>
    private async Task<(List<UInt128> Erased, bool Wrote)> ApplyAsync(RetentionSweepRule item, IDataStore store, StoreTable table,
        IReadOnlyList<string> keyColumns, PlannedChange change, List<(StoreRow Row, UInt128 Entry)> targets, Dictionary<UInt128, string>? pending,
        BatchCounts batch, Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        var erased = new List<UInt128>();
        var toApply = new List<(StoreRow Row, UInt128 Entry, Dictionary<string, object?>? Values)>();
        var secrets = change.Secrets;
        // A batch left pending by a run from before the ledger kept integer keys names its rows by fingerprint.
        var fingerprintedPending = pending is not null && pending.Keys.Any(e => !LedgerEntry.IsKey(e, out _));
        UInt128 Pended(UInt128 entry) => fingerprintedPending && LedgerEntry.IsKey(entry, out var key) ? Fingerprint(key) : entry;
        // Rows given the same new values (null, a fixed rewrite) share one digest: one keyed hash per distinct value set.
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        string DigestOf(IEnumerable<object?> values)
        {
            var canonical = StoreValues.Canonical(values);
            if (!digests.TryGetValue(canonical, out var digest))
            {
                digests[canonical] = digest = Digest(secrets, canonical);
            }
            return digest;
        }
        foreach (var (row, entry) in targets)
        {
            Dictionary<string, object?>? values = null;
            if (change.Kind == ChangeKind.Mask)
            {
                if (pending?.TryGetValue(Pended(entry), out var saved) == true && saved == DigestOf(change.Fields.Select(f => row[f.Field])))
                {
                    erased.Add(entry);
                    continue;
                }
                values = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var field in change.Fields)
                {
                    var masked = field.Masking.Mask(row[field.Field], field.Column, secrets);
                    values[field.Field] = masked is not null && StoreValues.TryCoerce(masked, field.Column.Kind, out var typed) ? typed : masked;
                }
            }
            toApply.Add((row, entry, values));
        }
        if (pending is not null)
        {
            // Rows of the saved batch that are not on this page any more were deleted (or lost their trigger) by the run that stopped.
            var seen = targets.Select(t => Pended(t.Entry)).ToHashSet();
            var gone = pending.Keys.Where(f => !seen.Contains(f)).ToList();
            erased.AddRange(gone);
            // They were expired rows when the stopped run judged them: matched once, as the stopped run would have counted them.
            batch.Matched += gone.Count;
        }
        if (toApply.Count > 0)
        {
            item.Pending = PendingBatch.Write(keys, [.. toApply.Select(t => t.Entry)],
                [.. toApply.Select(t => t.Values is null ? Deleted : DigestOf(change.Fields.Select(f => t.Values[f.Field])))]);
            // The pending checkpoint commits with the previous batch's counts, cursor and ledger rows.
            await SaveCheckpointAsync(checkpoint, cancellationToken);
            await Hook("pending", item, cancellationToken);
            var changed = change.Kind == ChangeKind.Delete
                ? await store.DeleteAsync(table.Name, keyColumns, [.. toApply.Select(t => (IReadOnlyList<object?>)[.. keyColumns.Select(k => t.Row[k])])], cancellationToken)
                : await store.UpdateAsync(table.Name, keyColumns, [.. toApply.Select(t => new RowUpdate([.. keyColumns.Select(k => t.Row[k])], t.Values!))], cancellationToken);
            await Hook("applied", item, cancellationToken);
            batch.Failed = toApply.Count - changed;
            if (changed == toApply.Count)
            {
                erased.AddRange(toApply.Select(t => t.Entry));
            }
            else
            {
                // A row that vanished or changed its key meanwhile: the ledger keeps only what certainly changed.
                var present = (await store.SelectAsync(table.Name, keyColumns,
                    [new KeyFilter(keyColumns, [.. toApply.Select(t => (IReadOnlyList<object?>)[.. keyColumns.Select(k => t.Row[k])])])], cancellationToken))
                    .Select(r => Entry([.. keyColumns.Select(k => r[k])])).ToHashSet();
                erased.AddRange(toApply.Where(t => change.Kind == ChangeKind.Delete ? !present.Contains(t.Entry) : present.Contains(t.Entry))
                    .Select(t => t.Entry).Take(changed));
            }
        }
        return (erased, toApply.Count > 0);
    }

    /// <summary>What the next commit here carries: the counts and cursor already set on <see cref="Item"/> and the
    /// ledger rows of the batch they end with.</summary>
    private sealed class Checkpoint(RetentionSweep sweep, RetentionSweepRule item, PlannedChange change, Ledger ledger)
    {
        public Ledger Ledger => ledger;

        public RetentionSweep Sweep => sweep;

        public RetentionSweepRule Item => item;

        public PlannedChange Change => change;

        public List<UInt128> Erased { get; } = [];

        public bool Unsaved { get; set; }
    }

    /// <summary>Commits the rule's checkpoint (counts, cursor, pending batch if one is set, the lease) with the erasure
    /// ledger's rows of the batch it ends with: a resumed sweep never records a row twice or misses one.</summary>
    private async Task SaveCheckpointAsync(Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        checkpoint.Sweep.LeaseUntil = time.GetUtcNow() + Lease;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var recorded = RecordErased(checkpoint);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            // Written once, never read back in this run: kept tracked, each save would compare every earlier batch's
            // fingerprints again.
            foreach (var batch in recorded)
            {
                db.Entry(batch).State = EntityState.Detached;
            }
        }
        checkpoint.Erased.Clear();
        checkpoint.Unsaved = false;
        await Hook("saved", checkpoint.Item, cancellationToken);
    }

    private sealed class BatchCounts
    {
        public long Matched { get; set; }
        public long Unreadable { get; set; }
        public long Hold { get; set; }
        public long Request { get; set; }
        public long AlreadyErased { get; set; }
        public long Failed { get; set; }
    }

    /// <summary>MIN008: the batch's erased rows as ledger rows, saved with the checkpoint: for rows erased for the first
    /// time and, marked as a replay, for rows the ledger already held (a replay, or rows a restore brought back); the
    /// rows' integer keys in one row, their keyed fingerprints (keys of other kinds) in another.</summary>
    private List<RetentionErasureBatch> RecordErased(Checkpoint checkpoint)
    {
        var recorded = new List<RetentionErasureBatch>(2);
        if (checkpoint.Erased.Count == 0)
        {
            return recorded;
        }
        var (item, ledger) = (checkpoint.Item, checkpoint.Ledger);
        var first = new List<UInt128>(checkpoint.Erased.Count);
        var again = new List<UInt128>();
        // Against the ledger as it was when the rule's run began: a run moves through the rows in key order, so it erases
        // no row twice, and what it records need not be held in memory as well (a large sweep's millions of keys).
        foreach (var entry in checkpoint.Erased)
        {
            (ledger.Contains(entry) ? again : first).Add(entry);
        }
        foreach (var (entries, isReplay) in new[] { (first, false), (again, true) })
        {
            foreach (var (format, rows, bytes) in LedgerEncoding.Encode(keys, entries))
            {
                var batch = new RetentionErasureBatch
                {
                    RuleId = item.RuleId,
                    SweepId = item.SweepId,
                    Dataset = item.Dataset,
                    Collection = item.Collection,
                    Action = checkpoint.Change.LedgerAction,
                    Replay = isReplay,
                    Rows = rows,
                    Format = format,
                    Fingerprints = bytes,
                    AppliedAt = time.GetUtcNow(),
                };
                db.Add(batch);
                recorded.Add(batch);
            }
        }
        return recorded;
    }

    /// <summary>Every row the ledger holds for a rule (MIN008), read batch by batch.</summary>
    private async Task<Ledger> LedgerAsync(Guid ruleId, CancellationToken cancellationToken)
    {
        var ledger = new Ledger(this);
        await foreach (var batch in db.Set<RetentionErasureBatch>().AsNoTracking().Where(b => b.RuleId == ruleId).Select(b => new { b.Format, b.Fingerprints })
            .AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            ledger.Load(keys, batch.Format, batch.Fingerprints);
        }
        return ledger;
    }

    /// <summary>What the ledger holds of an erased row, as one 128-bit value in memory: the row's key where its table has a
    /// single integer key (the spec's "ids only"; kept encrypted at rest, <see cref="LedgerEncoding"/>), otherwise a keyed
    /// fingerprint of its key (HMAC-SHA-256 cut to 128 bits). A key is tagged in the upper half, which a fingerprint
    /// holds by chance with a probability of 2^-64.</summary>
    private static class LedgerEntry
    {
        private const ulong KeyTag = 0x6b65_7973_0000_0001; // "keys", 1

        public static UInt128 OfKey(long key) => new(KeyTag, unchecked((ulong)key));

        public static bool IsKey(UInt128 entry, out long key)
        {
            key = unchecked((long)(ulong)entry);
            return (ulong)(entry >> 64) == KeyTag;
        }
    }

    /// <summary>A rule's ledger in memory. Integer keys erased before the ledger kept keys were recorded by their keyed
    /// fingerprint; while the rule's ledger holds such rows, a key is looked up both ways.</summary>
    private sealed class Ledger(RetentionSweeps owner)
    {
        private readonly HashSet<long> keys = [];
        private readonly HashSet<UInt128> fingerprints = [];

        public bool Contains(UInt128 entry) => LedgerEntry.IsKey(entry, out var key)
            ? keys.Contains(key) || (fingerprints.Count > 0 && fingerprints.Contains(owner.Fingerprint(key)))
            : fingerprints.Contains(entry);

        /// <summary>Adds a row; false when the ledger held it already.</summary>
        public bool Add(UInt128 entry) => LedgerEntry.IsKey(entry, out var key)
            ? keys.Add(key) && !(fingerprints.Count > 0 && fingerprints.Contains(owner.Fingerprint(key)))
            : fingerprints.Add(entry);

        public void Load(KeyRing keyRing, string format, byte[] bytes)
        {
            foreach (var entry in LedgerEncoding.Decode(keyRing, format, bytes))
            {
                Add(entry);
            }
        }
    }

    /// <summary>How the ledger and a pending batch keep entries at rest. Integer keys as one value encrypted under the key
    /// ring (<c>retention.ledger</c>): each key's difference from the one before (zigzag, LEB128), so a page of nearby keys
    /// takes a byte or two a row. Fingerprints as their 16 bytes each, side by side.</summary>
    private static class LedgerEncoding
    {
        private const string Purpose = "retention.ledger";

        public static IEnumerable<(string Format, int Rows, byte[] Bytes)> Encode(KeyRing keyRing, IReadOnlyList<UInt128> entries)
        {
            var (keys, fingerprints) = Split(entries);
            if (keys.Count > 0)
            {
                yield return (RetentionErasureBatch.KeyFormat, keys.Count, EncryptKeys(keyRing, keys));
            }
            if (fingerprints.Count > 0)
            {
                yield return (RetentionErasureBatch.FingerprintFormat, fingerprints.Count, FingerprintBytes(fingerprints));
            }
        }

        public static (List<long> Keys, List<UInt128> Fingerprints) Split(IReadOnlyList<UInt128> entries)
        {
            var keys = new List<long>(entries.Count);
            var fingerprints = new List<UInt128>();
            foreach (var entry in entries)
            {
                if (LedgerEntry.IsKey(entry, out var key))
                {
                    keys.Add(key);
                }
                else
                {
                    fingerprints.Add(entry);
                }
            }
            return (keys, fingerprints);
        }

        public static byte[] FingerprintBytes(List<UInt128> fingerprints)
        {
            var bytes = new byte[fingerprints.Count * RetentionErasureBatch.FingerprintBytes];
            for (var i = 0; i < fingerprints.Count; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes.AsSpan(i * RetentionErasureBatch.FingerprintBytes), fingerprints[i]);
            }
            return bytes;
        }

        public static byte[] EncryptKeys(KeyRing keyRing, IReadOnlyList<long> keys)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(keys.Count * 2 + 16);
            var previous = 0L;
            foreach (var key in keys)
            {
                var delta = unchecked(key - previous);
                var zigzag = unchecked((ulong)((delta << 1) ^ (delta >> 63)));
                var span = buffer.GetSpan(10);
                var written = 0;
                while (zigzag >= 0x80)
                {
                    span[written++] = (byte)(zigzag | 0x80);
                    zigzag >>= 7;
                }
                span[written++] = (byte)zigzag;
                buffer.Advance(written);
                previous = key;
            }
            return keyRing.Encrypt(buffer.WrittenSpan, Purpose);
        }

        public static List<long> DecryptKeys(KeyRing keyRing, byte[] bytes)
        {
            var plain = keyRing.Decrypt(bytes, Purpose);
            var keys = new List<long>(plain.Length);
            var previous = 0L;
            for (var i = 0; i < plain.Length;)
            {
                ulong zigzag = 0;
                for (var shift = 0; ; shift += 7)
                {
                    if (i >= plain.Length || shift > 63)
                    {
                        throw new CryptographicException("A ledger's key list is malformed.");
                    }
                    var b = plain[i++];
                    zigzag |= (ulong)(b & 0x7f) << shift;
                    if (b < 0x80)
                    {
                        break;
                    }
                }
                var delta = (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
                previous = unchecked(previous + delta);
                keys.Add(previous);
            }
            return keys;
        }

        public static IEnumerable<UInt128> Decode(KeyRing keyRing, string format, byte[] bytes)
        {
            if (format == RetentionErasureBatch.KeyFormat)
            {
                return DecryptKeys(keyRing, bytes).Select(LedgerEntry.OfKey);
            }
            var entries = new UInt128[bytes.Length / RetentionErasureBatch.FingerprintBytes];
            for (var i = 0; i < entries.Length; i++)
            {
                entries[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes.AsSpan(i * RetentionErasureBatch.FingerprintBytes));
            }
            return entries;
        }
    }

    private const string Deleted = "deleted";

    /// <summary>The rows of a batch about to change (MIN004): each row's ledger entry and the digest of its new values
    /// (<c>deleted</c> for a deleted row), the digests once when every row shares one. Entries are kept as the ledger
    /// keeps them (<see cref="LedgerEncoding"/>), base64 in JSON; read back as a map.</summary>
    private static class PendingBatch
    {
        public static string Write(KeyRing keyRing, IReadOnlyList<UInt128> entries, IReadOnlyList<string> digests)
        {
            var (keys, fingerprints) = LedgerEncoding.Split(entries);
            // The digests in the order the entries are stored: the fingerprinted rows, then the keyed ones.
            IReadOnlyList<string> stored = digests.Count > 0 && digests.All(d => d == digests[0]) ? [digests[0]]
                : [.. digests.Where((_, i) => !LedgerEntry.IsKey(entries[i], out var _)), .. digests.Where((_, i) => LedgerEntry.IsKey(entries[i], out var _))];
            return JsonSerializer.Serialize(new Stored(Convert.ToBase64String(LedgerEncoding.FingerprintBytes(fingerprints)), stored,
                keys.Count == 0 ? null : Convert.ToBase64String(LedgerEncoding.EncryptKeys(keyRing, keys))));
        }

        public static Dictionary<UInt128, string> Read(KeyRing keyRing, string text)
        {
            var stored = JsonSerializer.Deserialize<Stored>(text)!;
            var entries = LedgerEncoding.Decode(keyRing, RetentionErasureBatch.FingerprintFormat, Convert.FromBase64String(stored.Fingerprints)).ToList();
            if (stored.Keys is not null)
            {
                entries.AddRange(LedgerEncoding.Decode(keyRing, RetentionErasureBatch.KeyFormat, Convert.FromBase64String(stored.Keys)));
            }
            var map = new Dictionary<UInt128, string>(entries.Count);
            for (var i = 0; i < entries.Count; i++)
            {
                map[entries[i]] = stored.Digests.Count == 1 ? stored.Digests[0] : stored.Digests[i];
            }
            return map;
        }

        private sealed record Stored(string Fingerprints, IReadOnlyList<string> Digests, string? Keys = null);
    }

    private enum ChangeKind
    {
        None,
        Delete,
        Mask,
    }

    private sealed record PlannedField(string Field, string Strategy, MaskingStrategy Masking, StoreColumn Column);

    private sealed record PlannedChange(ChangeKind Kind, IReadOnlyList<PlannedField> Fields, MaskingSecrets Secrets, string LedgerAction, string? Note);

    /// <summary>What the rule's action does to one row of this collection. <c>erase</c> is the request engine's erasure
    /// plan under the organisation's erasure policy (delete rows, or mask each category with its strategy; the policy's
    /// Art. 17(3) exemptions do not apply, since the retention period itself has ended); <c>anonymise</c> generalises
    /// personal dates to the month and clears the other personal fields; <c>review</c> changes nothing.</summary>
    private async Task<PlannedChange> ChangeAsync(SweepRun run, string action, Dataset dataset, Collection collection, StoreTable table,
        IReadOnlyList<string> keyColumns, CancellationToken cancellationToken)
    {
        var secrets = new MaskingSecrets(OrganisationKey($"salt:{run.Sweep.Id}"), OrganisationKey("hmac"), OrganisationKey("fingerprint"));
        if (action == RetentionActions.Review)
        {
            return new PlannedChange(ChangeKind.None, [], secrets, "", "Review: rows are counted for a person to decide, never changed.");
        }
        var references = run.Connected!.Datasets.SelectMany(d => d.References()).SelectMany(r => new[] { r.Field, r.Referenced }).ToHashSet();
        if (action == RetentionActions.Anonymise)
        {
            var fields = new List<PlannedField>();
            var truncate = MaskingStrategy.Create(new MaskingSpec(MaskingStrategy.DateTruncate,
                new Dictionary<string, JsonElement> { ["to"] = JsonSerializer.SerializeToElement("month") })).Strategy!;
            foreach (var field in collection.Fields.Where(f => (f.DataCategories ?? []).Any(c => ErasurePolicy.Covers("user", c))))
            {
                var column = table.Column(field.Name);
                if (column is null || keyColumns.Contains(field.Name) || field.FidesMeta?.ReadOnly == true
                    || references.Contains(new FieldAddress(dataset.FidesKey, collection.Name, [field.Name])))
                {
                    continue;
                }
                var strategy = column.Kind is ValueKind.Timestamp or ValueKind.TimestampWithZone or ValueKind.Date ? truncate : MaskingStrategy.FitFor(column);
                if (strategy is not null && strategy.Unfit(column) is null)
                {
                    fields.Add(new PlannedField(field.Name, strategy.Name, strategy, column));
                }
            }
            return fields.Count == 0
                ? new PlannedChange(ChangeKind.None, [], secrets, "", "Nothing to anonymise: the collection has no personal field that can be changed.")
                : new PlannedChange(ChangeKind.Mask, fields, secrets, "anonymised", null);
        }
        run.Policy ??= (await erasurePolicy.CurrentAsync(cancellationToken)).ToPolicy() with { Exemptions = [] };
        var step = new PlanStep(1, new CollectionKey(dataset.FidesKey, collection.Name), [.. collection.Fields.Select(f => f.Name)],
            [.. collection.Fields.Where(f => f.FidesMeta?.PrimaryKey == true).Select(f => f.Name)], []);
        var preview = await new ErasureRunner(run.Connected.Datasets, run.Connected.Stores)
            .PreviewAsync(new TraversalPlan([], [step], [], []), run.Policy, cancellationToken);
        var planned = preview.Collections[0];
        return planned.Action switch
        {
            ErasureAction.DeleteRows => new PlannedChange(ChangeKind.Delete, [], secrets, "deleted", planned.Note),
            ErasureAction.Mask => new PlannedChange(ChangeKind.Mask, [.. planned.Fields.Select(f => new PlannedField(f.Field, f.Strategy, f.Masking, f.Column))],
                secrets, "masked", planned.Note),
            _ => new PlannedChange(ChangeKind.None, [], secrets, "", planned.Note
                ?? "Nothing to erase: the erasure policy targets no field of this collection that can be changed."),
        };
    }

    /// <summary>MIN003: the rows in this collection of every person under an active legal hold or with an open request,
    /// found as a request finds them (the traversal from their identities), once per collection per run.</summary>
    private async Task<Exclusions> ExclusionsAsync(SweepRun run, CollectionKey collection, IReadOnlyList<string> keyColumns,
        CancellationToken cancellationToken)
    {
        if (run.Exclusions.TryGetValue(collection, out var known))
        {
            return known;
        }
        if (run.People is null)
        {
            var people = (await schedule.HeldIdentitiesAsync(cancellationToken)).Select(i => (i, HoldReason)).ToList();
            var open = await db.Set<SubjectRequest>().AsNoTracking()
                .Where(r => r.State != RequestStates.Completed && r.State != RequestStates.Rejected && r.State != RequestStates.Cancelled)
                .ToListAsync(cancellationToken);
            people.AddRange(open.Select(r => (requests.IdentitiesOf(r), RequestReason)));
            run.People = people;
        }
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        var unmatched = 0;
        var access = new AccessRunner(run.Connected!.Stores);
        foreach (var (identities, reason) in run.People)
        {
            var plan = TraversalPlanner.Plan(run.Connected.Datasets, identities.Keys);
            if (plan.Step(collection) is null)
            {
                unmatched++;
                continue;
            }
            await access.EnsureRunnableAsync(plan, cancellationToken);
            var found = await access.TraverseAsync(plan, identities,
                s => s.Collection == collection ? [.. s.Fields.Concat(keyColumns).Distinct(StringComparer.Ordinal)] : s.Fields, [], cancellationToken);
            foreach (var row in found[collection])
            {
                var key = StoreValues.Canonical(keyColumns.Select(k => row.GetValueOrDefault(k)));
                // A hold outranks a request: both keep the row, and the hold is the stronger reason to report.
                if (reason == HoldReason || !rows.ContainsKey(key))
                {
                    rows[key] = reason;
                }
            }
        }
        return run.Exclusions[collection] = new Exclusions(rows, unmatched);
    }

    private async Task PauseRuleAsync(RetentionSweepRule item, Exception error, CancellationToken cancellationToken)
    {
        var why = Unreachable(error) ?? $"An unexpected error stopped the sweep of this rule ({error.GetType().Name}).";
        LogRulePaused(logger, item.RuleId, error.GetType().Name, error);
        // The failed batch rolled back in the connected database; what was saved here is the last checkpoint.
        var counts = await db.Set<RetentionSweepRule>().AsNoTracking().FirstAsync(r => r.Id == item.Id, cancellationToken);
        db.ChangeTracker.Clear();
        db.Attach(counts);
        counts.Status = SweepStatus.Paused;
        counts.Error = Cap(why);
        await db.SaveChangesAsync(cancellationToken);
        CopyInto(item, counts);
    }

    private static void CopyInto(RetentionSweepRule target, RetentionSweepRule source)
    {
        foreach (var property in typeof(RetentionSweepRule).GetProperties().Where(p => p.CanWrite))
        {
            property.SetValue(target, property.GetValue(source));
        }
    }

    private async Task FinishAsync(RetentionSweep sweep, List<RetentionSweepRule> items, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        db.Attach(sweep);
        var now = time.GetUtcNow();
        var paused = items.Where(i => i.Status == SweepStatus.Paused).ToList();
        if (paused.Count > 0)
        {
            var wait = TimeSpan.FromMinutes(Math.Min(60, Math.Pow(2, Math.Max(0, sweep.Attempts - 1))));
            sweep.Status = SweepStatus.Paused;
            sweep.NextAttemptAt = now + wait;
            sweep.LeaseUntil = null;
            sweep.Error = Cap($"{paused.Count} rule(s) paused: {string.Join(" ", paused.Select(p => $"{p.RuleName}: {p.Error}"))} " +
                $"Nothing was half-applied: each resumes from its last checkpoint (by itself in {wait.TotalMinutes:0} min, or resume it now).");
        }
        else
        {
            sweep.Status = SweepStatus.Completed;
            sweep.FinishedAt = now;
            sweep.LeaseUntil = null;
            sweep.NextAttemptAt = null;
            sweep.Error = null;
        }
        // MIN005: the rule ids and versions, the counts and the actor; never a value from the connected databases.
        await audit.RecordAsync(sweep.Actor, paused.Count > 0 ? $"retention.{sweep.Kind}_paused" : $"retention.{sweep.Kind}_completed",
            $"retention-sweep:{sweep.Id}", new JsonObject
            {
                ["dryRun"] = sweep.DryRun,
                ["trigger"] = sweep.Trigger,
                ["startedAt"] = sweep.StartedAt.ToString("O"),
                ["finishedAt"] = sweep.FinishedAt?.ToString("O"),
                ["rules"] = new JsonArray([.. items.Select(i => (JsonNode)Counts(i, sweep))]),
            }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
    }

    private static JsonObject Counts(RetentionSweepRule i, RetentionSweep sweep) => new()
    {
        ["sweep"] = sweep.Id.ToString(),
        ["rule"] = i.RuleId.ToString(),
        ["ruleVersion"] = i.RuleVersion,
        ["collection"] = $"{i.Dataset}:{i.Collection}",
        ["action"] = i.Action,
        ["dryRun"] = sweep.DryRun,
        ["status"] = i.Status,
        ["startedAt"] = i.StartedAt?.ToString("O"),
        ["finishedAt"] = i.FinishedAt?.ToString("O"),
        ["matched"] = i.Matched,
        ["changed"] = i.Changed,
        ["untriggered"] = i.Untriggered,
        ["skipped"] = new JsonObject
        {
            ["legalHold"] = i.SkippedLegalHold,
            ["pendingRequest"] = i.SkippedPendingRequest,
            ["alreadyErased"] = i.SkippedAlreadyErased,
            ["unreadableTrigger"] = i.SkippedUnreadable,
        },
        ["failed"] = i.Failed,
    };

    private async Task PaceAsync(long started, CancellationToken cancellationToken)
    {
        var perSecond = options.Value.BatchesPerSecond;
        if (perSecond <= 0)
        {
            return;
        }
        var wait = TimeSpan.FromSeconds(1 / perSecond) - time.GetElapsedTime(started);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, cancellationToken);
        }
    }

    private async Task Hook(string stage, RetentionSweepRule item, CancellationToken cancellationToken)
    {
        if (hooks.At is { } at)
        {
            await at(stage, item, cancellationToken);
        }
    }

    /// <summary>A settled bound in the trigger column's kind: a date column's day is rounded down, not up as
    /// <see cref="Bound"/> rounds, so every date below it is below the instant too.</summary>
    private static object Settled(DateTime bound, StoreColumn column) =>
        column.Kind == ValueKind.Date ? DateOnly.FromDateTime(bound) : Bound(bound, column);

    /// <summary>The bound in the trigger column's own kind: dates compare as dates, so a bound inside a day rounds up.</summary>
    private static object Bound(DateTime bound, StoreColumn column) => column.Kind switch
    {
        ValueKind.Date => DateOnly.FromDateTime(bound).AddDays(bound.TimeOfDay > TimeSpan.Zero ? 1 : 0),
        ValueKind.TimestampWithZone => DateTime.SpecifyKind(bound, DateTimeKind.Utc),
        _ => DateTime.SpecifyKind(bound, DateTimeKind.Unspecified),
    };

    /// <summary>A trigger value as a UTC instant (timestamps without a zone are read as UTC, dates as their midnight), or
    /// null when it is not a date at all.</summary>
    private static DateTime? TriggerOf(object? value) => value switch
    {
        DateTime d => DateTime.SpecifyKind(d.Kind == DateTimeKind.Local ? d.ToUniversalTime() : d, DateTimeKind.Utc),
        DateOnly d => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
        DateTimeOffset o => o.UtcDateTime,
        _ when StoreValues.TryCoerce(value, ValueKind.Timestamp, out var t) && t is DateTime d => DateTime.SpecifyKind(d, DateTimeKind.Utc),
        _ => null,
    };

    private byte[] OrganisationKey(string use) => Convert.FromHexString(keys.Hash(use, "retention.keys"));

    /// <summary>A row's ledger entry (<see cref="LedgerEntry"/>): its key where the key is a single integer, otherwise a
    /// keyed fingerprint of its canonical text, the same on every sweep and replay, unreadable without the key ring.</summary>
    private UInt128 Entry(object?[] keyValues, string? canonicalKey = null) => keyValues is [long key]
        ? LedgerEntry.OfKey(key)
        : Fingerprint(canonicalKey ?? StoreValues.Canonical(keyValues));

    /// <summary>The fingerprint of a key's canonical text: the keyed hash, cut to the 128 bits that tell apart the rows
    /// of any table. One keyed hash serves the whole sweep: a one-shot HMAC sets up the key's pads for every row, which
    /// costs more than hashing the key itself (docs/benchmarks.md).</summary>
    private UInt128 Fingerprint(string canonicalKey)
    {
        var length = Encoding.UTF8.GetMaxByteCount(canonicalKey.Length) + 4;
        var rented = length <= 512 ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        Span<byte> buffer = rented is null ? stackalloc byte[512] : rented;
        "key\n"u8.CopyTo(buffer);
        fingerprintHash ??= IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, OrganisationKey("fingerprint"));
        fingerprintHash.AppendData(buffer[..(4 + Encoding.UTF8.GetBytes(canonicalKey, buffer[4..]))]);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
        Span<byte> hash = stackalloc byte[32];
        fingerprintHash.GetHashAndReset(hash);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(hash);
    }

    /// <summary>The fingerprint an integer key was recorded by before the ledger kept keys (only ledgers and pending
    /// batches from then are looked up by it).</summary>
    private UInt128 Fingerprint(long key) => Fingerprint(StoreValues.Canonical([key]));

    private IncrementalHash? fingerprintHash;

    public void Dispose() => fingerprintHash?.Dispose();

    private static string Digest(MaskingSecrets secrets, string canonicalValues) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(secrets.FingerprintKey, Encoding.UTF8.GetBytes("values\n" + canonicalValues)))[..32];

    private static string? Text(object? value) => value is null ? null : StoreValues.TryCoerce(value, ValueKind.Text, out var text) ? (string?)text : null;

    private static string Cap(string text) => text.Length > 2000 ? text[..2000] : text;

    /// <summary>A readable reason for errors from the connected databases (no secrets, no values), or null for anything else.</summary>
    internal static string? Unreachable(Exception e) => e switch
    {
        PlanCheckException check => $"The connected databases do not match their datasets: {string.Join(" ", check.Problems)}",
        RetentionStoppedException stopped => stopped.Message,
        DbException or TimeoutException or IOException or System.Net.Sockets.SocketException or InvalidOperationException { InnerException: DbException }
            => $"A connected database could not be reached or stopped answering: {Trim(e.Message, 300)}",
        UnknownStoreObjectException unknown => $"A connected database does not have what its dataset describes: {Trim(unknown.Message, 300)}",
        _ => null,
    };

    private static string Trim(string text, int max) => text.Length > max ? text[..max] : text;

    private static SweepView View(RetentionSweep s, IEnumerable<RetentionSweepRule> items) => new(s.Id, s.Kind, s.DryRun, s.Trigger, s.Actor, s.Status,
        s.StartedAt, s.FinishedAt, s.Attempts, s.Error, s.Status == SweepStatus.Paused ? s.NextAttemptAt : null,
        [.. items.OrderBy(i => i.RuleName, StringComparer.Ordinal).Select(i =>
        {
            var skipped = new SkippedCounts(i.SkippedLegalHold, i.SkippedPendingRequest, i.SkippedAlreadyErased, i.SkippedUnreadable);
            return new SweepRuleView(i.RuleId, i.RuleName, i.RuleVersion, i.Dataset, i.Collection, i.Action, i.Status, i.Matched, i.Changed, i.Untriggered,
                skipped, i.Failed, Math.Max(0, i.Matched - skipped.Total - i.Changed - i.Failed), i.Batches, i.StartedAt, i.FinishedAt, i.Note, i.Error);
        })]);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention rule {RuleId} v{Version} swept (dry run {DryRun}): {Matched} expired, {Changed} changed")]
    private static partial void LogRuleSwept(ILogger logger, Guid ruleId, int version, bool dryRun, long matched, long changed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention rule {RuleId} paused ({ErrorType}); it resumes from its checkpoint")]
    private static partial void LogRulePaused(ILogger logger, Guid ruleId, string errorType, Exception exception);
}

/// <summary>A sweep of one rule cannot go on until something outside it changes (a connection, the rule itself).</summary>
public sealed class RetentionStoppedException(string message) : Exception(message);

/// <summary>Runs due sweeps every minute while <c>serve</c> runs: resumes paused ones and sweeps each rule on its cron
/// schedule. Several instances are safe: each sweep and each scheduled run is claimed by one of them.</summary>
public sealed class RetentionSweepJob(IServiceScopeFactory scopes, TimeProvider time, ILogger<RetentionSweepJob> logger)
    : Platform.Jobs.PeriodicJob(scopes, time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromMinutes(1);

    protected override Task RunAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<RetentionSweeps>().RunDueAsync(cancellationToken);
}

