using System.Data.Common;
using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using CsvHelper;
using Dataward.Domain.Audit;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dataward.Audit;

/// <summary>A filter over the trail, as the viewer, the API and the CSV export take it.</summary>
public sealed record AuditQuery(string? Action = null, string? Actor = null, string? Target = null,
    DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>Appends to, reads and verifies the hash-chained audit trail.</summary>
public sealed class AuditTrail(DatawardDbContext db, TimeProvider time, AuditChainHead knownHead)
{
    private const int MaxAttempts = 20;

    /// <summary>Appends an entry. Inside the caller's transaction (or with changes pending, in a new one) the entry
    /// and the state change land together or not at all; a standalone event is a single INSERT.</summary>
    public async Task<AuditEntry> RecordAsync(string actor, string action, string target, JsonObject? details = null,
        CancellationToken cancellationToken = default)
    {
        if (db.Database.CurrentTransaction is null && !db.ChangeTracker.HasChanges())
        {
            return await AppendStandaloneAsync(actor, action, target, details, cancellationToken);
        }
        var ownTransaction = db.Database.CurrentTransaction is null
            ? await db.Database.BeginTransactionAsync(cancellationToken)
            : null;
        try
        {
            if (db.ChangeTracker.HasChanges())
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            // Until the caller commits, nobody knows whether this entry will be the head.
            knownHead.Forget();
            var entry = await AppendInTransactionAsync(actor, action, target, details, cancellationToken);
            if (ownTransaction is not null)
            {
                await ownTransaction.CommitAsync(cancellationToken);
                knownHead.Remember(entry);
            }
            return entry;
        }
        finally
        {
            if (ownTransaction is not null)
            {
                await ownTransaction.DisposeAsync();
            }
        }
    }

    // No lock is needed: the sequence is the primary key, so of two writers guessing the same next sequence one
    // fails, reads the real head and tries again. The head this process last wrote is the first guess.
    private async Task<AuditEntry> AppendStandaloneAsync(string actor, string action, string target, JsonObject? details,
        CancellationToken cancellationToken)
    {
        await using var connection = db.CreatePlainConnection();
        await connection.OpenAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            var (sequence, hash) = knownHead.Current ?? await ReadHeadAsync(cancellationToken, connection);
            var entry = AuditEntry.Chain(sequence, hash, time.GetUtcNow(), actor, action, target, details);
            try
            {
                await InsertAsync(entry, savepoint: false, cancellationToken, connection);
                knownHead.Remember(entry);
                return entry;
            }
            catch (DbException e) when (DatabaseErrors.IsUniqueViolation(e) && attempt < MaxAttempts)
            {
                knownHead.Forget();
            }
        }
    }

    private async Task<AuditEntry> AppendInTransactionAsync(string actor, string action, string target, JsonObject? details,
        CancellationToken cancellationToken)
    {
        var postgres = db.Database.IsNpgsql();
        for (var attempt = 1; ; attempt++)
        {
            var (sequence, hash) = await ReadHeadAsync(cancellationToken);
            var entry = AuditEntry.Chain(sequence, hash, time.GetUtcNow(), actor, action, target, details);
            try
            {
                // On PostgreSQL a failed statement poisons the transaction; the savepoint keeps the caller's work.
                await InsertAsync(entry, savepoint: postgres, cancellationToken);
                return entry;
            }
            catch (DbException e) when (DatabaseErrors.IsUniqueViolation(e) && attempt < MaxAttempts)
            {
                if (postgres)
                {
                    await ExecuteAsync("ROLLBACK TO SAVEPOINT audit_append", cancellationToken);
                }
            }
        }
    }


    private async Task<(long Sequence, string Hash)> ReadHeadAsync(CancellationToken cancellationToken, DbConnection? connection = null)
    {
        await using var command = CreateCommand($"SELECT sequence, hash FROM {AuditEntryConfiguration.Table} ORDER BY sequence DESC LIMIT 1", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetInt64(0), reader.GetString(1))
            : (0, AuditEntry.GenesisHash);
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private DbCommand CreateCommand(string sql, DbConnection? connection = null)
    {
        var command = (connection ?? db.Database.GetDbConnection()).CreateCommand();
        command.Transaction = connection is null ? db.Database.CurrentTransaction?.GetDbTransaction() : null;
        command.CommandText = sql;
        return command;
    }

    // The hot path of every audited change: one prepared-shape INSERT rather than the change tracker, which cost
    // several times the write itself (docs/benchmarks.md). Entries are never tracked, so nothing can update them.
    private async Task InsertAsync(AuditEntry entry, bool savepoint, CancellationToken cancellationToken, DbConnection? connection = null)
    {
        await using var command = CreateCommand((savepoint ? "SAVEPOINT audit_append; " : "") +
            $"INSERT INTO {AuditEntryConfiguration.Table} " +
            "(sequence, time, actor, action, target, details, previous_hash, hash) " +
            "VALUES (@sequence, @time, @actor, @action, @target, @details, @previous_hash, @hash)", connection);
        Add(command, "@sequence", entry.Sequence);
        // The SQLite context stores instants as UTC ticks (SqliteDatawardDbContext); PostgreSQL as timestamptz.
        Add(command, "@time", db.Database.IsNpgsql() ? entry.Time : entry.Time.UtcTicks);
        Add(command, "@actor", entry.Actor);
        Add(command, "@action", entry.Action);
        Add(command, "@target", entry.Target);
        Add(command, "@details", entry.Details);
        Add(command, "@previous_hash", entry.PreviousHash);
        Add(command, "@hash", entry.Hash);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    /// <summary>Walks the whole chain in order, streaming from the database.</summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default)
    {
        var verifier = new AuditChainVerifier();
        await foreach (var entry in db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).AsAsyncEnumerable()
                           .WithCancellation(cancellationToken))
        {
            if (!verifier.Accept(entry))
            {
                break;
            }
        }
        return verifier.Result;
    }

    public IQueryable<AuditEntry> Filter(AuditQuery query)
    {
        var entries = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.Action))
        {
            entries = entries.Where(e => e.Action.StartsWith(query.Action.Trim()));
        }
        if (!string.IsNullOrWhiteSpace(query.Actor))
        {
            entries = entries.Where(e => e.Actor == query.Actor.Trim());
        }
        if (!string.IsNullOrWhiteSpace(query.Target))
        {
            entries = entries.Where(e => e.Target == query.Target.Trim());
        }
        if (query.From is { } from)
        {
            entries = entries.Where(e => e.Time >= from);
        }
        if (query.To is { } to)
        {
            entries = entries.Where(e => e.Time < to);
        }
        return entries;
    }

    /// <summary>One page of matching entries, newest first, and the total that match.</summary>
    public async Task<(IReadOnlyList<AuditEntry> Entries, int Total)> PageAsync(AuditQuery query, int page, int pageSize,
        CancellationToken cancellationToken = default)
    {
        var filtered = Filter(query);
        var total = await filtered.CountAsync(cancellationToken);
        var entries = await filtered.OrderByDescending(e => e.Sequence)
            .Skip((Math.Max(page, 1) - 1) * pageSize).Take(pageSize)
            .ToListAsync(cancellationToken);
        return (entries, total);
    }

    /// <summary>Writes matching entries as CSV in chain order, with the hashes, so an auditor can re-verify offline.</summary>
    public async Task ExportCsvAsync(AuditQuery query, TextWriter output, CancellationToken cancellationToken = default)
    {
        await using var csv = new CsvWriter(output, CultureInfo.InvariantCulture, leaveOpen: true);
        foreach (var header in new[] { "sequence", "time", "actor", "action", "target", "details", "previous_hash", "hash" })
        {
            csv.WriteField(header);
        }
        await csv.NextRecordAsync();
        await foreach (var e in Filter(query).OrderBy(e => e.Sequence).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            csv.WriteField(e.Sequence);
            csv.WriteField(AuditEntry.FormatInstant(e.Time));
            csv.WriteField(e.Actor);
            csv.WriteField(e.Action);
            csv.WriteField(e.Target);
            csv.WriteField(e.Details);
            csv.WriteField(e.PreviousHash);
            csv.WriteField(e.Hash);
            await csv.NextRecordAsync();
        }
        await csv.FlushAsync();
    }
}

/// <summary>This process's memory of the chain's head: only a first guess for the next append, never trusted
/// (the sequence key refuses a stale guess), and forgotten whenever an append's fate depends on a caller's commit.</summary>
public sealed class AuditChainHead
{
    private readonly Lock gate = new();
    private (long Sequence, string Hash)? current;

    public (long Sequence, string Hash)? Current
    {
        get
        {
            lock (gate)
            {
                return current;
            }
        }
    }

    public void Remember(AuditEntry entry)
    {
        lock (gate)
        {
            if (current is null || entry.Sequence > current.Value.Sequence)
            {
                current = (entry.Sequence, entry.Hash);
            }
        }
    }

    public void Forget()
    {
        lock (gate)
        {
            current = null;
        }
    }
}

/// <summary>How an actor is named in the trail: a reference, never a name or e-mail address.</summary>
public static class AuditActor
{
    public const string Cli = "cli";
    public const string System = "system";
    public const string Anonymous = "anonymous";

    /// <summary>The loopback-only setup page that creates the first administrator.</summary>
    public const string Setup = "setup";

    public static string User(Guid id) => $"user:{id}";

    public static string Token(Guid id) => $"token:{id}";

    /// <summary>The reference for whoever is signed in (a staff session or an API token).</summary>
    public static string From(ClaimsPrincipal principal) =>
        principal.FindFirstValue(DatawardClaims.ActorReference) ??
        (principal.FindFirstValue(ClaimTypes.NameIdentifier) is { } id ? $"user:{id}" : Anonymous);
}

/// <summary>Claims Dataward adds to its principals.</summary>
public static class DatawardClaims
{
    public const string ActorReference = "dataward:actor";
}
