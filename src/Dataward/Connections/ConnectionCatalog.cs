using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Dataward.Connectors.Datasets;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dataward.Connections;

/// <summary>The <c>Connections</c> section.</summary>
public sealed class ConnectionOptions
{
    public const string Section = "Connections";

    /// <summary>How long a change to a connection or dataset made by another process (the CLI, a second server) may take
    /// to reach this one; 0 reads them from the database on every request. Changes through this server apply at once.</summary>
    [Range(0, 300)]
    public int CacheSeconds { get; set; } = 1;
}

/// <summary>
/// What every request connects with, kept in memory: the connection records (their secrets encrypted, as stored) and
/// the datasets they name, parsed. Reading them from Dataward's own database cost more than the request's own work on
/// the organisation's database (docs/benchmarks.md, issue 5).
/// </summary>
/// <remarks>
/// A connection or dataset saved, imported, tested or deleted through this process empties the catalogue once its
/// transaction has committed (<see cref="Forget"/>), so the next request reads the database. A change made by another
/// process is seen through a change stamp (how many connections and datasets there are, when the last of each was
/// updated, the sum of the dataset versions), read at most once per <see cref="ConnectionOptions.CacheSeconds"/>:
/// when it differs, the catalogue is read again.
/// </remarks>
public sealed class ConnectionCatalog(TimeProvider time, IOptions<ConnectionOptions> options, DatasetPlans plans)
{
    // Every data-subject request reads both when the catalogue is off or stale: compiled once rather than translated on every call.
    private static readonly CompiledListQuery<ConnectionRecord> AllConnections = new(db => db.Set<ConnectionRecord>().AsNoTracking().OrderBy(c => c.Key));

    private static readonly CompiledListQuery<string[], DatasetDocument> DatasetDocuments = new((db, keys) =>
        db.Datasets.AsNoTracking().Where(d => keys.Contains(d.Key)).Select(d => new DatasetDocument(d.Key, d.Document)));

    private readonly SemaphoreSlim loading = new(1, 1);
    private readonly Lock gate = new();
    private Snapshot? current;
    private long version;

    private sealed record DatasetDocument(string Key, string Document);

    /// <summary>One connection as requests use it: its record (never changed once read), the fingerprint its open store
    /// is kept under, and its datasets in the order the record names them.</summary>
    internal sealed record Connection(ConnectionRecord Record, string Fingerprint, IReadOnlyList<Dataset> Datasets);

    private sealed record Snapshot(IReadOnlyList<Connection> Connections, ChangeStamp? Stamp, long CheckedAt);

    /// <summary>Changes with every write any process makes through the services: a save or import moves a maximum
    /// <c>updated_at</c> (and a dataset's version), a delete the count. Timestamps are read as text: only equality matters.</summary>
    private sealed record ChangeStamp
    {
        public long Connections { get; init; }
        public string? ConnectionsUpdated { get; init; }
        public long Datasets { get; init; }
        public string? DatasetsUpdated { get; init; }
        public long? DatasetVersions { get; init; }
    }

    private TimeSpan Freshness => TimeSpan.FromSeconds(options.Value.CacheSeconds);

    /// <summary>Called after a write to connections or datasets commits in this process: the next request reads the database.</summary>
    public void Forget()
    {
        lock (gate)
        {
            version++;
            current = null;
        }
    }

    /// <summary>The connections and their datasets, from memory while known to be fresh, else from <paramref name="db"/>.</summary>
    internal async ValueTask<IReadOnlyList<Connection>> ConnectionsAsync(DatawardDbContext db, CancellationToken cancellationToken)
    {
        if (Freshness <= TimeSpan.Zero)
        {
            return (await ReadAsync(db, withStamp: false, cancellationToken)).Connections;
        }
        if (Fresh(Volatile.Read(ref current)) is { } known)
        {
            return known.Connections;
        }
        await loading.WaitAsync(cancellationToken);
        try
        {
            var snapshot = Volatile.Read(ref current);
            if (Fresh(snapshot) is { } fresh)
            {
                return fresh.Connections;
            }
            long seen;
            lock (gate)
            {
                seen = version;
            }
            var started = time.GetTimestamp();
            if (snapshot is not null)
            {
                await db.Database.OpenConnectionAsync(cancellationToken);
                ChangeStamp stamp;
                try
                {
                    stamp = await StampAsync(db, cancellationToken);
                }
                finally
                {
                    await db.Database.CloseConnectionAsync();
                }
                if (stamp == snapshot.Stamp)
                {
                    Install(snapshot with { CheckedAt = started }, seen);
                    return snapshot.Connections;
                }
            }
            var (connections, read) = await ReadAsync(db, withStamp: true, cancellationToken);
            Install(new Snapshot(connections, read, started), seen);
            return connections;
        }
        finally
        {
            loading.Release();
        }
    }

    private Snapshot? Fresh(Snapshot? snapshot) =>
        snapshot is not null && time.GetElapsedTime(snapshot.CheckedAt) < Freshness ? snapshot : null;

    // A snapshot read before a write of this process committed is never kept after it.
    private void Install(Snapshot snapshot, long seen)
    {
        lock (gate)
        {
            if (version == seen)
            {
                current = snapshot;
            }
        }
    }

    // One open connection for all queries (EF's SQLite connection costs as much to open as a query). The stamp is read
    // first: a write landing between it and the rows makes the next check read them again, never the reverse.
    private async Task<(IReadOnlyList<Connection> Connections, ChangeStamp? Stamp)> ReadAsync(DatawardDbContext db, bool withStamp,
        CancellationToken cancellationToken)
    {
        List<ConnectionRecord> records;
        Dictionary<string, List<string>> names;
        Dictionary<string, string> documents;
        ChangeStamp? stamp = null;
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            if (withStamp)
            {
                stamp = await StampAsync(db, cancellationToken);
            }
            records = await AllConnections.ToListAsync(db, cancellationToken);
            names = records.ToDictionary(r => r.Key, r => JsonSerializer.Deserialize<List<string>>(r.Datasets) ?? [], StringComparer.Ordinal);
            var wanted = names.Values.SelectMany(n => n).Distinct(StringComparer.Ordinal).ToArray();
            documents = (await DatasetDocuments.ToListAsync(db, wanted, cancellationToken)).ToDictionary(d => d.Key, d => d.Document, StringComparer.Ordinal);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        var connections = records.Select(record => new Connection(record, $"{record.Kind}\n{record.Schema}\n{record.ConnectionStringEncrypted}",
                [.. names[record.Key].Where(documents.ContainsKey).Select(name => plans.Dataset(name, documents[name]))]))
            .ToList();
        return (connections, stamp);
    }

    private static async Task<ChangeStamp> StampAsync(DatawardDbContext db, CancellationToken cancellationToken) =>
        (await db.Database.SqlQueryRaw<ChangeStamp>("""
            SELECT (SELECT COUNT(*) FROM connections) AS "Connections",
                   (SELECT CAST(MAX(updated_at) AS TEXT) FROM connections) AS "ConnectionsUpdated",
                   (SELECT COUNT(*) FROM datasets) AS "Datasets",
                   (SELECT CAST(MAX(updated_at) AS TEXT) FROM datasets) AS "DatasetsUpdated",
                   (SELECT SUM(version) FROM datasets) AS "DatasetVersions"
            """).ToListAsync(cancellationToken)).Single();
}
