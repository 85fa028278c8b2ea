using System.Collections.Concurrent;
using System.Data.Common;
using Dataward.Domain;
using Dataward.Domain.Consent;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Dataward.Consent;

/// <summary>
/// The consent check on other applications' hot paths (CNS012): one keyed hash and one indexed SELECT on a connection
/// kept open with its statement prepared (SQLite) or an auto-preparing multiplexed Npgsql data source (PostgreSQL),
/// outside EF and outside any request scope.
/// </summary>
/// <remarks>
/// CNS013: nothing about consent is cached. Each check is its own statement, so it reads the latest committed state
/// (on SQLite every statement outside a transaction takes a fresh snapshot of the WAL), and a withdrawal committed by
/// any process denies the very next check. Only open connections and prepared statements are reused; one that fails
/// is closed rather than returned.
/// </remarks>
public sealed class ConsentChecks(IServiceScopeFactory scopes, KeyRing keys, TimeProvider time) : IAsyncDisposable
{
    private const string CheckSql = "SELECT p.refresh_after_days, s.latest_action, s.ever_given, s.given_at, s.event_id, s.notice_version, " +
        "s.pending_parent, s.renewal_required, s.renew_by, s.refresh_due_at " +
        "FROM consent_purposes p LEFT JOIN consent_states s ON s.purpose = p.key AND s.subject_hash = @hash WHERE p.key = @purpose";

    // SQLite connections are file handles in this process, cheap to keep: enough for a busy server's concurrency;
    // sessions beyond it are closed when returned. PostgreSQL checks use the multiplexing data source instead.
    private const int MaxIdle = 64;

    private readonly ConcurrentBag<Session> idle = [];
    private (DbProviderFactory Factory, string ConnectionString, bool Postgres)? target;
    private NpgsqlDataSource? multiplexed;
    private bool disposed;

    private DateTimeOffset Now => time.GetUtcNow();

    public string HashSubject(string subject) => keys.Hash(ConsentRules.NormaliseSubject(subject), ConsentService.SubjectHashPurpose);

    public async Task<Outcome<ConsentCheck>> CheckAsync(string subject, string purpose, CancellationToken cancellationToken = default)
    {
        if (await TargetAsync() is { Postgres: true })
        {
            await using var command = Multiplexed().CreateCommand();
            return await CheckAsync(command, subject, purpose, postgres: true, cancellationToken);
        }
        var session = await RentAsync(cancellationToken);
        try
        {
            var result = await session.CheckAsync(this, subject, purpose, cancellationToken);
            await ReturnAsync(session);
            return result;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    /// <summary>Checks many pairs on one session; each answer stands alone (an unknown purpose fails that item only).</summary>
    public async Task<IReadOnlyList<ConsentCheckResult>> CheckAllAsync(IReadOnlyList<ConsentCheckItem> items, CancellationToken cancellationToken = default)
    {
        var results = new List<ConsentCheckResult>(items.Count);
        void Add(ConsentCheckItem item, Outcome<ConsentCheck> check) => results.Add(check.Succeeded
            ? new ConsentCheckResult(item.Subject ?? "", item.Purpose ?? "", check.Value!.Allowed, check.Value.State, check.Value.EventId, check.Value.NoticeVersion, null)
            : new ConsentCheckResult(item.Subject ?? "", item.Purpose ?? "", false, null, null, null, check.Describe()));
        if (await TargetAsync() is { Postgres: true })
        {
            await using var command = Multiplexed().CreateCommand();
            foreach (var item in items)
            {
                Add(item, await CheckAsync(command, item.Subject ?? "", item.Purpose ?? "", postgres: true, cancellationToken));
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
        if (multiplexed is not null)
        {
            await multiplexed.DisposeAsync();
        }
        while (idle.TryTake(out var session))
        {
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
            target = (DbProviderFactories.GetFactory(probe)!, db.Database.GetConnectionString()!, db.Database.IsNpgsql());
        }
        return target.Value;
    }

    // PostgreSQL: checks from concurrent requests share a few connections and go out together (Npgsql multiplexing),
    // each auto-prepared; far fewer round trips and context switches than a connection per check.
    private NpgsqlDataSource Multiplexed()
    {
        if (multiplexed is { } known)
        {
            return known;
        }
        var builder = new NpgsqlConnectionStringBuilder(target!.Value.ConnectionString) { Multiplexing = true };
        lock (idle)
        {
            return multiplexed ??= NpgsqlDataSource.Create(builder);
        }
    }

    private static void Prepare(DbCommand select)
    {
        select.CommandText = CheckSql;
        foreach (var name in new[] { "@hash", "@purpose" })
        {
            var parameter = select.CreateParameter();
            parameter.ParameterName = name;
            parameter.DbType = System.Data.DbType.String;
            select.Parameters.Add(parameter);
        }
    }

    private Task<Outcome<ConsentCheck>> CheckAsync(DbCommand select, string subject, string purpose, bool postgres, CancellationToken cancellationToken)
    {
        if (select.Parameters.Count == 0)
        {
            Prepare(select);
        }
        return ReadAsync(this, select, subject, purpose, postgres, cancellationToken);
    }

    private async ValueTask<Session> RentAsync(CancellationToken cancellationToken)
    {
        if (idle.TryTake(out var session))
        {
            return session;
        }
        var (factory, connectionString, postgres) = await TargetAsync();
        var connection = factory.CreateConnection()!;
        connection.ConnectionString = connectionString;
        try
        {
            await connection.OpenAsync(cancellationToken);
            var select = connection.CreateCommand();
            Prepare(select);
            await select.PrepareAsync(cancellationToken);
            return new Session(connection, select, postgres);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async ValueTask ReturnAsync(Session session)
    {
        if (disposed || idle.Count >= MaxIdle)
        {
            await session.DisposeAsync();
            return;
        }
        idle.Add(session);
    }

    private sealed class Session(DbConnection connection, DbCommand select, bool postgres) : IAsyncDisposable
    {
        public Task<Outcome<ConsentCheck>> CheckAsync(ConsentChecks owner, string subject, string purpose, CancellationToken cancellationToken) =>
            ReadAsync(owner, select, subject, purpose, postgres, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await select.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    private static async Task<Outcome<ConsentCheck>> ReadAsync(ConsentChecks owner, DbCommand select, string subject, string purpose, bool postgres,
        CancellationToken cancellationToken)
    {
        select.Parameters[0].Value = owner.HashSubject(subject);
        select.Parameters[1].Value = purpose;
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return Outcome<ConsentCheck>.NotFound("purpose", $"There is no consent purpose '{purpose}'.");
        }
        int? refreshAfterDays = reader.IsDBNull(0) ? null : reader.GetInt32(0);
        // No state row: the subject never gave or refused this consent.
        var known = !reader.IsDBNull(1);
        var latestAction = known ? reader.GetString(1) : null;
        var everGiven = known && reader.GetBoolean(2);
        // The SQLite context stores instants as UTC ticks (SqliteDatawardDbContext); PostgreSQL as timestamptz.
        DateTimeOffset? Instant(int column) => !known || reader.IsDBNull(column) ? null
            : postgres ? reader.GetFieldValue<DateTimeOffset>(column) : new DateTimeOffset(reader.GetInt64(column), TimeSpan.Zero);
        Guid? eventId = known ? reader.GetGuid(4) : null;
        var noticeVersion = known && !reader.IsDBNull(5) ? reader.GetString(5) : null;
        var facts = known
            ? new ConsentFacts(latestAction, everGiven, Instant(3), reader.GetBoolean(6), reader.GetBoolean(7), Instant(8), Instant(9))
            : null;
        var (state, allowed) = ConsentRules.StateOf(facts, refreshAfterDays, owner.Now);
        return Outcome<ConsentCheck>.Success(new ConsentCheck(purpose, allowed, state, eventId, allowed ? noticeVersion : null));
    }
}
