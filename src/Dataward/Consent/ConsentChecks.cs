using System.Collections.Concurrent;
using System.Data.Common;
using System.Threading.Channels;
using Dataward.Domain;
using Dataward.Domain.Consent;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Dataward.Consent;

/// <summary>
/// The consent check on other applications' hot paths (CNS012): one keyed hash and one indexed lookup, outside EF and
/// outside any request scope. On SQLite, a SELECT prepared on a connection kept open in this process. On PostgreSQL,
/// checks that arrive together are answered together: each caller hashes its subject on its own thread and queues the
/// pair; a drain takes everything queued when it starts (up to <see cref="MaxCoalesced"/>, with no timer: a lone check
/// goes out alone at once when no statement is running) and answers it with ONE statement over <c>unnest</c>, as group
/// commit does for writes. A statement per check cost the PostgreSQL backend about as much CPU as the whole server spent
/// on the request.
/// </summary>
/// <remarks>
/// CNS013: nothing about consent is cached. Every answer comes from a statement that starts after the check was made:
/// a pair joins only a batch that has not started executing (a drain takes its pairs before it sends the statement),
/// so a check made after a withdrawal committed is answered by a statement that starts after that commit, and under
/// READ COMMITTED each statement reads the latest committed state: it is denied. On SQLite every statement outside a
/// transaction takes a fresh snapshot of the WAL. Only open connections and prepared statements are reused; one that
/// fails is closed rather than returned.
/// </remarks>
public sealed class ConsentChecks(IServiceScopeFactory scopes, KeyRing keys, TimeProvider time) : IAsyncDisposable
{
    private const string CheckSql = "SELECT p.refresh_after_days, s.latest_action, s.ever_given, s.given_at, s.event_id, s.notice_version, " +
        "s.pending_parent, s.renewal_required, s.renew_by, s.refresh_due_at " +
        "FROM consent_purposes p LEFT JOIN consent_states s ON s.purpose = p.key AND s.subject_hash = @hash WHERE p.key = @purpose";

    // Every pair comes back once, numbered by its place in the arrays; a pair whose purpose does not exist has no p.key.
    private const string CoalescedSql = "SELECT i.ord, p.key IS NOT NULL, p.refresh_after_days, s.latest_action, s.ever_given, s.given_at, " +
        "s.event_id, s.notice_version, s.pending_parent, s.renewal_required, s.renew_by, s.refresh_due_at " +
        "FROM unnest(@hashes, @purposes) WITH ORDINALITY AS i(hash, purpose, ord) " +
        "LEFT JOIN consent_purposes p ON p.key = i.purpose LEFT JOIN consent_states s ON s.purpose = p.key AND s.subject_hash = i.hash";

    // Connections kept open with their statement prepared: on SQLite file handles in this process, cheap to keep;
    // on PostgreSQL one per batch in flight and per batch request running. Sessions beyond it are closed when returned.
    private const int MaxIdle = 64;

    // PostgreSQL: the most pairs one statement answers, and the most waiting for a statement before callers wait to
    // queue. A few batches may run at once, so one slow statement does not hold up every check behind it, and each
    // backend process has a core to run on.
    private const int MaxCoalesced = 512;
    private const int MaxQueued = 8192;
    private static readonly int MaxBatchesInFlight = Math.Clamp(Environment.ProcessorCount, 2, 4);

    // While a batch runs, pairs queued behind it wait for it (its drain takes them as soon as it is answered) unless
    // this many are waiting: then the running one is behind and another batch goes out beside it. Fewer, larger
    // statements: with a second batch for every pair, 4 pairs per statement and 0.37 of the constant; with this, 8
    // to 9 and 0.43 (docs/benchmarks.md). PostgreSQL's cost is mostly per statement, not per pair.
    private const int MinBacklogForAnotherBatch = 16;

    private readonly ConcurrentBag<Session> idle = [];
    // Counted here: ConcurrentBag.Count takes every thread's lock in the bag, on every return.
    private int idleCount;
    private readonly Channel<PendingCheck> queue = Channel.CreateBounded<PendingCheck>(
        new BoundedChannelOptions(MaxQueued) { FullMode = BoundedChannelFullMode.Wait });
    private (DbProviderFactory Factory, string ConnectionString, bool Postgres)? target;
    private int batchesInFlight;
    private bool disposed;

    private DateTimeOffset Now => time.GetUtcNow();

    public string HashSubject(string subject) => keys.Hash(ConsentRules.NormaliseSubject(subject), ConsentService.SubjectHashPurpose);

    public async Task<Outcome<ConsentCheck>> CheckAsync(string subject, string purpose, CancellationToken cancellationToken = default)
    {
        if (await TargetAsync() is { Postgres: true })
        {
            var pending = new PendingCheck(HashSubject(subject), purpose, cancellationToken);
            if (!queue.Writer.TryWrite(pending))
            {
                await queue.Writer.WriteAsync(pending, cancellationToken);
            }
            StartDraining();
            // The caller stops waiting when cancelled; the batch it joined goes on for the others.
            return await pending.Answer.Task.WaitAsync(cancellationToken);
        }
        return await WithSessionAsync(session => session.CheckAsync(this, subject, purpose, cancellationToken), cancellationToken);
    }

    /// <summary>Checks many pairs (on PostgreSQL in one statement, on SQLite on one session); each answer stands alone
    /// (an unknown purpose fails that item only).</summary>
    public async Task<IReadOnlyList<ConsentCheckResult>> CheckAllAsync(IReadOnlyList<ConsentCheckItem> items, CancellationToken cancellationToken = default)
    {
        var results = new List<ConsentCheckResult>(items.Count);
        void Add(ConsentCheckItem item, Outcome<ConsentCheck> check) => results.Add(check.Succeeded
            ? new ConsentCheckResult(item.Subject ?? "", item.Purpose ?? "", check.Value!.Allowed, check.Value.State, check.Value.EventId, check.Value.NoticeVersion, null)
            : new ConsentCheckResult(item.Subject ?? "", item.Purpose ?? "", false, null, null, null, check.Describe()));
        if (items.Count == 0)
        {
            return results;
        }
        if (await TargetAsync() is { Postgres: true })
        {
            var hashes = items.Select(item => HashSubject(item.Subject ?? "")).ToArray();
            string[] purposes = [.. items.Select(item => item.Purpose ?? "")];
            var answers = await WithSessionAsync(session => session.QueryAsync(this, hashes, purposes, cancellationToken), cancellationToken);
            for (var i = 0; i < items.Count; i++)
            {
                Add(items[i], answers[i]);
            }
            return results;
        }
        var session = await RentAsync(cancellationToken);
        try
        {
            foreach (var item in items)
            {
                Add(item, await session.CheckAsync(this, item.Subject ?? "", item.Purpose ?? "", cancellationToken));
            }
            await ReturnAsync(session);
            return results;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        disposed = true;
        queue.Writer.TryComplete();
        while (queue.Reader.TryRead(out var pending))
        {
            pending.Answer.TrySetException(new ObjectDisposedException(nameof(ConsentChecks)));
        }
        while (idle.TryTake(out var session))
        {
            Interlocked.Decrement(ref idleCount);
            await session.DisposeAsync();
        }
    }

    private async ValueTask<(DbProviderFactory Factory, string ConnectionString, bool Postgres)> TargetAsync()
    {
        if (target is null)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DatawardDbContext>();
            await using var probe = db.CreatePlainConnection();
            var connectionString = db.Database.GetConnectionString()!;
            if (db.Database.IsNpgsql())
            {
                // The arrays' lengths are parameters, so PostgreSQL estimates the generic plan for 10 pairs, finds it
                // dearer than a custom plan for a few and would plan every batch again (about 0.1 ms of backend CPU,
                // more than running it). The generic plan is the right one at any size: each pair one primary-key
                // lookup. The setting is made at connection start, so these connections form a pool of their own.
                var builder = new NpgsqlConnectionStringBuilder(connectionString);
                builder.Options = $"{builder.Options} -c plan_cache_mode=force_generic_plan".Trim();
                connectionString = builder.ConnectionString;
            }
            target = (DbProviderFactories.GetFactory(probe)!, connectionString, db.Database.IsNpgsql());
        }
        return target.Value;
    }

    // Starts a drain if pairs are waiting and fewer than MaxBatchesInFlight run (beside a running one, only for a backlog
    // of MinBacklogForAnotherBatch). Called after every enqueue and by a drain as it stops, so a pair queued while every
    // drain was busy is never left behind: a running drain takes what is queued before it stops.
    private void StartDraining()
    {
        // Reader.Count takes the channel's lock: read once per attempt.
        for (var waiting = queue.Reader.Count; waiting > 0; waiting = queue.Reader.Count)
        {
            var running = Volatile.Read(ref batchesInFlight);
            if (running >= MaxBatchesInFlight || (running > 0 && waiting < MinBacklogForAnotherBatch))
            {
                return;
            }
            if (Interlocked.CompareExchange(ref batchesInFlight, running + 1, running) == running)
            {
                _ = DrainAsync();
                return;
            }
        }
    }

    // One drain: takes what is queued, sends it as one statement and, while PostgreSQL answers it, completes the
    // callers of the batch before on this thread (their requests go on here, writing their responses), so a batch
    // costs no hop to another thread per caller and the database is not idle while they run. Ends when the queue is
    // empty.
    private async Task DrainAsync()
    {
        Session? session = null;
        List<PendingCheck>? answered = null;
        Outcome<ConsentCheck>[]? answers = null;
        var batch = new List<PendingCheck>();
        try
        {
            while (true)
            {
                // CNS013: the pairs are taken before the statement is sent; nothing joins a batch once it has started.
                while (batch.Count < MaxCoalesced && queue.Reader.TryRead(out var next))
                {
                    if (next.Cancellation.IsCancellationRequested)
                    {
                        next.Answer.TrySetCanceled(next.Cancellation);
                        continue;
                    }
                    batch.Add(next);
                }
                if (batch.Count == 0)
                {
                    break;
                }
                Task<Outcome<ConsentCheck>[]> running;
                try
                {
                    session ??= await RentAsync(CancellationToken.None);
                    // Runs until it waits for PostgreSQL's answer: the statement is on its way.
                    running = session.QueryAsync(this, batch, CancellationToken.None);
                }
                catch (Exception failure)
                {
                    running = Task.FromException<Outcome<ConsentCheck>[]>(failure);
                }
                if (answered is not null)
                {
                    Complete(answered, answers!);
                }
                var sent = batch;
                batch = answered ?? [];
                batch.Clear();
                answered = sent;
                try
                {
                    answers = await running;
                }
                catch (Exception failure)
                {
                    // The statement failed for all its pairs: each caller sees what its own single check would have
                    // thrown. The session is closed rather than kept.
                    foreach (var pending in sent)
                    {
                        pending.Answer.TrySetException(failure);
                    }
                    answered = null;
                    if (session is not null)
                    {
                        await session.DisposeAsync();
                        session = null;
                    }
                }
            }
        }
        finally
        {
            if (session is not null)
            {
                await ReturnAsync(session);
            }
            Interlocked.Decrement(ref batchesInFlight);
            if (answered is not null)
            {
                Complete(answered, answers!);
            }
        }
        StartDraining();
    }

    // Completes each caller on this thread: its request goes on here until it next waits (PendingCheck's answers are
    // not forced onto other threads).
    private static void Complete(List<PendingCheck> batch, Outcome<ConsentCheck>[] answers)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Answer.TrySetResult(answers[i]);
        }
    }

    private async Task<T> WithSessionAsync<T>(Func<Session, Task<T>> use, CancellationToken cancellationToken)
    {
        var session = await RentAsync(cancellationToken);
        try
        {
            var result = await use(session);
            await ReturnAsync(session);
            return result;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    private async ValueTask<Session> RentAsync(CancellationToken cancellationToken)
    {
        if (idle.TryTake(out var session))
        {
            Interlocked.Decrement(ref idleCount);
            return session;
        }
        var (factory, connectionString, postgres) = await TargetAsync();
        var connection = factory.CreateConnection()!;
        connection.ConnectionString = connectionString;
        try
        {
            await connection.OpenAsync(cancellationToken);
            var select = connection.CreateCommand();
            if (postgres)
            {
                select.CommandText = CoalescedSql;
                select.Parameters.Add(new NpgsqlParameter<string[]>("hashes", NpgsqlDbType.Array | NpgsqlDbType.Text));
                select.Parameters.Add(new NpgsqlParameter<string[]>("purposes", NpgsqlDbType.Array | NpgsqlDbType.Text));
            }
            else
            {
                // Lookups read the file through a memory map: index and table pages straight from the page cache, with no
                // read call (and copy into this connection's own cache) per page a lookup misses. The size asked for
                // (1 TiB) covers the whole file; SQLite caps it at its compile-time limit. Mapping only the first GiB
                // left a 1.3 GB file's last pages to a read call each: 0.6 per check.
                await using (var pragma = connection.CreateCommand())
                {
                    pragma.CommandText = "PRAGMA mmap_size = 1099511627776";
                    await pragma.ExecuteNonQueryAsync(cancellationToken);
                }
                select.CommandText = CheckSql;
                foreach (var name in new[] { "@hash", "@purpose" })
                {
                    var parameter = select.CreateParameter();
                    parameter.ParameterName = name;
                    parameter.DbType = System.Data.DbType.String;
                    select.Parameters.Add(parameter);
                }
            }
            await select.PrepareAsync(cancellationToken);
            return new Session(connection, select);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async ValueTask ReturnAsync(Session session)
    {
        if (disposed)
        {
            await session.DisposeAsync();
            return;
        }
        if (Interlocked.Increment(ref idleCount) > MaxIdle)
        {
            Interlocked.Decrement(ref idleCount);
            await session.DisposeAsync();
            return;
        }
        idle.Add(session);
    }

    private static Outcome<ConsentCheck> UnknownPurpose(string purpose) =>
        Outcome<ConsentCheck>.NotFound("purpose", $"There is no consent purpose '{purpose}'.");

    // The columns of CheckSql, from `first` on: refresh_after_days, then the state row's, all null when there is none.
    private static Outcome<ConsentCheck> Answer(DbDataReader reader, int first, string purpose, bool postgres, DateTimeOffset now)
    {
        int? refreshAfterDays = reader.IsDBNull(first) ? null : reader.GetInt32(first);
        // No state row: the subject never gave or refused this consent.
        var known = !reader.IsDBNull(first + 1);
        var latestAction = known ? reader.GetString(first + 1) : null;
        var everGiven = known && reader.GetBoolean(first + 2);
        // The SQLite context stores instants as UTC ticks (SqliteDatawardDbContext); PostgreSQL as timestamptz.
        DateTimeOffset? Instant(int column) => !known || reader.IsDBNull(first + column) ? null
            : postgres ? reader.GetFieldValue<DateTimeOffset>(first + column) : new DateTimeOffset(reader.GetInt64(first + column), TimeSpan.Zero);
        Guid? eventId = known ? reader.GetGuid(first + 4) : null;
        var noticeVersion = known && !reader.IsDBNull(first + 5) ? reader.GetString(first + 5) : null;
        var facts = known
            ? new ConsentFacts(latestAction, everGiven, Instant(3), reader.GetBoolean(first + 6), reader.GetBoolean(first + 7), Instant(8), Instant(9))
            : null;
        var (state, allowed) = ConsentRules.StateOf(facts, refreshAfterDays, now);
        return Outcome<ConsentCheck>.Success(new ConsentCheck(purpose, allowed, state, eventId, allowed ? noticeVersion : null));
    }

    private sealed record PendingCheck(string Hash, string Purpose, CancellationToken Cancellation)
    {
        // Completed by the drain on its own thread, while the next batch's statement runs (DrainAsync).
        public TaskCompletionSource<Outcome<ConsentCheck>> Answer { get; } = new();
    }

    /// <summary>A connection kept open with the check prepared on it: CheckSql on SQLite, CoalescedSql on PostgreSQL.</summary>
    private sealed class Session(DbConnection connection, DbCommand select) : IAsyncDisposable
    {
        public Task<Outcome<ConsentCheck>[]> QueryAsync(ConsentChecks owner, List<PendingCheck> batch, CancellationToken cancellationToken)
        {
            var hashes = new string[batch.Count];
            var purposes = new string[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                (hashes[i], purposes[i]) = (batch[i].Hash, batch[i].Purpose);
            }
            return QueryAsync(owner, hashes, purposes, cancellationToken);
        }

        public async Task<Outcome<ConsentCheck>[]> QueryAsync(ConsentChecks owner, string[] hashes, string[] purposes, CancellationToken cancellationToken)
        {
            ((NpgsqlParameter<string[]>)select.Parameters[0]).TypedValue = hashes;
            ((NpgsqlParameter<string[]>)select.Parameters[1]).TypedValue = purposes;
            var answers = new Outcome<ConsentCheck>[hashes.Length];
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            var now = owner.Now;
            while (await reader.ReadAsync(cancellationToken))
            {
                var i = (int)reader.GetInt64(0) - 1;
                answers[i] = reader.GetBoolean(1) ? Answer(reader, 2, purposes[i], postgres: true, now) : UnknownPurpose(purposes[i]);
            }
            return answers;
        }

        public async Task<Outcome<ConsentCheck>> CheckAsync(ConsentChecks owner, string subject, string purpose, CancellationToken cancellationToken)
        {
            select.Parameters[0].Value = owner.HashSubject(subject);
            select.Parameters[1].Value = purpose;
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? Answer(reader, 0, purpose, postgres: false, owner.Now) : UnknownPurpose(purpose);
        }

        public async ValueTask DisposeAsync()
        {
            await select.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
