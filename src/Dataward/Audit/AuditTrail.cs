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
public sealed class AuditTrail(DatawardDbContext db, TimeProvider time)
{
    // Any constant shared by every instance: PostgreSQL serialises chain appends on this advisory lock.
    private const long ChainLockKey = 0x4441_5441_5741_5244; // "DATAWARD"

    /// <summary>Appends an entry inside the caller's transaction (or a new one), saving whatever else the caller
    /// has pending in the same commit, so a state change and its audit entry land together or not at all.</summary>
    public async Task<AuditEntry> RecordAsync(string actor, string action, string target, JsonObject? details = null,
        CancellationToken cancellationToken = default)
    {
        var ownTransaction = db.Database.CurrentTransaction is null
            ? await db.Database.BeginTransactionAsync(cancellationToken)
            : null;
        try
        {
            var (sequence, hash) = await LockAndReadHeadAsync(cancellationToken);
            var entry = AuditEntry.Chain(sequence, hash, time.GetUtcNow(), actor, action, target, details);
            db.AuditEntries.Add(entry);
            await db.SaveChangesAsync(cancellationToken);
            if (ownTransaction is not null)
            {
                await ownTransaction.CommitAsync(cancellationToken);
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

    // One round trip: on PostgreSQL the advisory lock and the read of the head go in one batch; on SQLite the
    // write transaction (BEGIN IMMEDIATE) already excludes other writers.
    private async Task<(long Sequence, string Hash)> LockAndReadHeadAsync(CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        var head = $"SELECT sequence, hash FROM {AuditEntryConfiguration.Table} ORDER BY sequence DESC LIMIT 1";
        command.CommandText = db.Database.IsNpgsql()
            ? $"SELECT pg_advisory_xact_lock({ChainLockKey}); {head}"
            : head;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (db.Database.IsNpgsql())
        {
            await reader.NextResultAsync(cancellationToken);
        }
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetInt64(0), reader.GetString(1))
            : (0, AuditEntry.GenesisHash);
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

/// <summary>How an actor is named in the trail: a reference, never a name or e-mail address.</summary>
public static class AuditActor
{
    public const string Cli = "cli";
    public const string System = "system";
    public const string Anonymous = "anonymous";

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
