using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dataward.Audit;
using Dataward.Connectors.Datasets;
using Dataward.Connectors.Planning;
using Dataward.Connectors.Stores;
using Dataward.Datasets;
using Dataward.Domain;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Connections;

/// <summary>One of the organisation's databases that requests (and later retention sweeps) run against. The
/// connection string is a secret: encrypted at rest, never returned, never logged.</summary>
public sealed class ConnectionRecord
{
    public required string Key { get; set; }
    public required string Kind { get; set; }
    public required string ConnectionStringEncrypted { get; set; }
    /// <summary>The fides_keys of the datasets describing this database, as JSON.</summary>
    public string Datasets { get; set; } = "[]";
    public string? Schema { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? LastTestedAt { get; set; }
    public bool? LastTestSucceeded { get; set; }
    public string? LastTestMessage { get; set; }

    internal static void Configure(ModelBuilder builder) => builder.Entity<ConnectionRecord>(e =>
    {
        e.ToTable("connections");
        e.HasKey(c => c.Key);
        e.Property(c => c.Key).HasColumnName("key").HasMaxLength(64);
        e.Property(c => c.Kind).HasColumnName("kind").HasMaxLength(20);
        e.Property(c => c.ConnectionStringEncrypted).HasColumnName("connection_string_encrypted");
        e.Property(c => c.Datasets).HasColumnName("datasets");
        e.Property(c => c.Schema).HasColumnName("schema").HasMaxLength(64);
        e.Property(c => c.CreatedAt).HasColumnName("created_at");
        e.Property(c => c.UpdatedAt).HasColumnName("updated_at");
        e.Property(c => c.LastTestedAt).HasColumnName("last_tested_at");
        e.Property(c => c.LastTestSucceeded).HasColumnName("last_test_succeeded");
        e.Property(c => c.LastTestMessage).HasColumnName("last_test_message").HasMaxLength(2000);
    });
}

public sealed record ConnectionRequest(string Key, string Kind, string ConnectionString, IReadOnlyList<string>? Datasets = null, string? Schema = null);

/// <summary>A connection as shown: never its secret.</summary>
public sealed record ConnectionView(string Key, string Kind, IReadOnlyList<string> Datasets, string? Schema, DateTimeOffset? LastTestedAt,
    bool? LastTestSucceeded, string? LastTestMessage);

/// <summary>What a connection test found: can we connect, and does the database hold what its datasets describe.</summary>
public sealed record ConnectionTest(string Key, bool Succeeded, string? Error, IReadOnlyList<string> Problems);

/// <summary>The organisation's databases behind one store contract (<see cref="IDataStore"/>): PostgreSQL and SQLite
/// today; MySQL and SQL Server add an adapter and a kind here.</summary>
public sealed partial class ConnectionService(DatawardDbContext db, KeyRing keys, DatasetService datasets, AuditTrail audit, TimeProvider time,
    OpenStores openStores, DatasetPlans datasetPlans, ConnectionCatalog catalog)
{
    public static readonly IReadOnlyList<string> Kinds = ["postgres", "sqlite"];

    private const string SecretPurpose = "connections.secret";

    public async Task<IReadOnlyList<ConnectionView>> ListAsync(CancellationToken cancellationToken = default) =>
        (await db.Set<ConnectionRecord>().AsNoTracking().OrderBy(c => c.Key).ToListAsync(cancellationToken)).Select(View).ToList();

    public async Task<ConnectionView?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        await db.Set<ConnectionRecord>().AsNoTracking().FirstOrDefaultAsync(c => c.Key == key, cancellationToken) is { } c ? View(c) : null;

    /// <summary>Adds a connection, or replaces one with the same key (a new secret, datasets or schema).</summary>
    public async Task<Outcome<ConnectionView>> SaveAsync(ConnectionRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = new List<Violation>();
        if (!KeyPattern().IsMatch(request.Key ?? ""))
        {
            violations.Add(new Violation("key", "Use 2 to 64 lower-case letters, digits, hyphens and underscores, e.g. shop."));
        }
        if (!Kinds.Contains(request.Kind))
        {
            violations.Add(new Violation("kind", $"Use one of {string.Join(", ", Kinds)}."));
        }
        if (string.IsNullOrWhiteSpace(request.ConnectionString) || request.ConnectionString.Length > 4000 || !IsParsable(request.Kind, request.ConnectionString))
        {
            violations.Add(new Violation("connectionString", "Give a connection string the database's driver accepts (e.g. Host=...;Database=...;Username=...;Password=... for PostgreSQL, Data Source=file.db for SQLite)."));
        }
        if (request.Schema is { } schema && !KeyPattern().IsMatch(schema))
        {
            violations.Add(new Violation("schema", "A schema name of letters, digits and underscores."));
        }
        var names = request.Datasets ?? [];
        foreach (var name in names.Distinct())
        {
            if (await datasets.GetAsync(name, cancellationToken) is null)
            {
                violations.Add(new Violation("datasets", $"There is no dataset '{name}': import it first (dataward datasets import, or POST /api/datasets)."));
            }
        }
        if (violations.Count > 0)
        {
            return Outcome<ConnectionView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        var record = await db.Set<ConnectionRecord>().FirstOrDefaultAsync(c => c.Key == request.Key, cancellationToken);
        var created = record is null;
        record ??= db.Add(new ConnectionRecord { Key = request.Key!, Kind = "", ConnectionStringEncrypted = "", CreatedAt = now }).Entity;
        record.Kind = request.Kind;
        record.ConnectionStringEncrypted = keys.Encrypt(request.ConnectionString, SecretPurpose);
        record.Datasets = JsonSerializer.Serialize(names.Distinct().Order(StringComparer.Ordinal));
        record.Schema = request.Schema;
        record.UpdatedAt = now;
        record.LastTestedAt = null;
        record.LastTestSucceeded = null;
        record.LastTestMessage = null;
        // The audit entry names the connection, never its secret.
        await audit.RecordAsync(actor, created ? "connections.created" : "connections.replaced", $"connection:{record.Key}",
            new JsonObject { ["kind"] = record.Kind, ["datasets"] = new JsonArray([.. names.Distinct().Select(n => (JsonNode?)n)]) }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        catalog.Forget();
        await openStores.ForgetAsync(record.Key);
        return Outcome<ConnectionView>.Success(View(record));
    }

    public async Task<Outcome<string>> DeleteAsync(string key, string actor, CancellationToken cancellationToken = default)
    {
        var deleted = await db.Set<ConnectionRecord>().Where(c => c.Key == key).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0)
        {
            return Outcome<string>.NotFound("key", "No connection has this key.");
        }
        catalog.Forget();
        await audit.RecordAsync(actor, "connections.deleted", $"connection:{key}", null, cancellationToken);
        await openStores.ForgetAsync(key);
        return Outcome<string>.Success(key);
    }

    /// <summary>Connects, and checks that every collection and field its datasets describe exists in the database.</summary>
    public async Task<Outcome<ConnectionTest>> TestAsync(string key, string actor, CancellationToken cancellationToken = default)
    {
        var record = await db.Set<ConnectionRecord>().FirstOrDefaultAsync(c => c.Key == key, cancellationToken);
        if (record is null)
        {
            return Outcome<ConnectionTest>.NotFound("key", "No connection has this key.");
        }
        // A test connects afresh, and so does the next request: whoever tests a changed database (or a connection
        // changed by another process) sees the change.
        catalog.Forget();
        await openStores.ForgetAsync(key);
        await using var store = Open(record);
        var check = await store.TestConnectionAsync(cancellationToken);
        var problems = new List<string>();
        if (check.Succeeded)
        {
            var schema = await store.DescribeAsync(cancellationToken);
            foreach (var dataset in await DatasetsOfAsync(record, cancellationToken))
            {
                problems.AddRange(Mismatches(dataset, schema));
            }
        }
        record.LastTestedAt = time.GetUtcNow();
        record.LastTestSucceeded = check.Succeeded && problems.Count == 0;
        var message = check.Error ?? (problems.Count == 0 ? null : string.Join("; ", problems));
        record.LastTestMessage = message is { Length: > 2000 } ? message[..2000] : message;
        await audit.RecordAsync(actor, "connections.tested", $"connection:{key}", new JsonObject { ["succeeded"] = record.LastTestSucceeded }, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome<ConnectionTest>.Success(new ConnectionTest(key, record.LastTestSucceeded == true, check.Error, problems));
    }

    /// <summary>The collections and fields of a dataset the database lacks (nested fields are not checked).</summary>
    public static IEnumerable<string> Mismatches(Dataset dataset, StoreSchema schema)
    {
        foreach (var collection in dataset.Collections)
        {
            var table = schema.Find(collection.Name);
            if (table is null)
            {
                yield return $"{dataset.FidesKey}.{collection.Name}: no such table";
                continue;
            }
            foreach (var field in collection.Fields.Where(f => table.Column(f.Name) is null))
            {
                yield return $"{dataset.FidesKey}.{collection.Name}.{field.Name}: no such column";
            }
        }
    }

    /// <summary>The store of every connected dataset: dataset fides_key to the store of its connection (shared by its
    /// datasets). The connections and their datasets are kept in memory (<see cref="ConnectionCatalog"/>), stores stay
    /// open between requests (<see cref="OpenStores"/>) and plans are kept (<see cref="DatasetPlans"/>); disposing the
    /// result gives the stores back.</summary>
    public async Task<ConnectedDatasets> ConnectAsync(CancellationToken cancellationToken = default)
    {
        var connections = await catalog.ConnectionsAsync(db, cancellationToken);
        var stores = new Dictionary<string, IDataStore>(StringComparer.Ordinal);
        var used = new List<OpenStores.Entry>();
        var described = new List<Dataset>();
        try
        {
            foreach (var connection in connections)
            {
                var entry = await openStores.AcquireAsync(connection.Record.Key, connection.Fingerprint,
                    () => Open(connection.Record, OpenStores.SchemaLifetime));
                used.Add(entry);
                foreach (var dataset in connection.Datasets)
                {
                    stores[dataset.FidesKey] = entry.Store;
                    described.Add(dataset);
                }
            }
        }
        catch
        {
            await new ConnectedDatasets(described, stores, used, openStores, datasetPlans).DisposeAsync();
            throw;
        }
        return new ConnectedDatasets(described, stores, used, openStores, datasetPlans);
    }

    private SqlStore Open(ConnectionRecord record, TimeSpan? schemaLifetime = null)
    {
        var secret = keys.Decrypt(record.ConnectionStringEncrypted, SecretPurpose);
        var lifetime = schemaLifetime ?? Timeout.InfiniteTimeSpan;
        return record.Kind switch
        {
            "postgres" => new PostgresStore(secret, record.Schema ?? "public") { SchemaLifetime = lifetime },
            _ => new SqliteStore(secret) { SchemaLifetime = lifetime },
        };
    }

    private async Task<IReadOnlyList<Dataset>> DatasetsOfAsync(ConnectionRecord record, CancellationToken cancellationToken)
    {
        var result = new List<Dataset>();
        foreach (var name in JsonSerializer.Deserialize<List<string>>(record.Datasets) ?? [])
        {
            if (await datasets.GetAsync(name, cancellationToken) is { } stored)
            {
                result.Add(stored.Dataset);
            }
        }
        return result;
    }

    private static bool IsParsable(string kind, string connectionString)
    {
        try
        {
            _ = kind == "postgres"
                ? new Npgsql.NpgsqlConnectionStringBuilder(connectionString).ConnectionString
                : new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).ConnectionString;
            return true;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    private static ConnectionView View(ConnectionRecord c) => new(c.Key, c.Kind, JsonSerializer.Deserialize<List<string>>(c.Datasets) ?? [], c.Schema,
        c.LastTestedAt, c.LastTestSucceeded, c.LastTestMessage);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{1,63}$")]
    private static partial Regex KeyPattern();
}

/// <summary>The datasets that have a connection, and the store each lives in. Disposing gives the stores back.</summary>
public sealed class ConnectedDatasets : IAsyncDisposable
{
    private readonly IReadOnlyList<OpenStores.Entry> used;
    private readonly OpenStores openStores;
    private readonly DatasetPlans plans;

    internal ConnectedDatasets(IReadOnlyList<Dataset> datasets, IReadOnlyDictionary<string, IDataStore> stores, IReadOnlyList<OpenStores.Entry> used,
        OpenStores openStores, DatasetPlans plans)
    {
        Datasets = datasets;
        Stores = stores;
        this.used = used;
        this.openStores = openStores;
        this.plans = plans;
    }

    public IReadOnlyList<Dataset> Datasets { get; }

    public IReadOnlyDictionary<string, IDataStore> Stores { get; }

    /// <summary>The traversal plan over these datasets for a request with these identity types (made once, then kept).</summary>
    public TraversalPlan Plan(IEnumerable<string> identityTypes) => plans.Plan(Datasets, identityTypes);

    public async ValueTask DisposeAsync()
    {
        foreach (var entry in used)
        {
            await openStores.ReleaseAsync(entry);
        }
    }
}
