using System.Diagnostics;
using System.Text;
using Dataward.Audit;
using Dataward.Consent;
using Dataward.Domain.Consent;
using Dataward.Notices;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Dataward.Benchmarks.Consent;

/// <summary>A Dataward database holding <see cref="Subjects"/> people × <see cref="PurposeCount"/> purposes of consent state,
/// seeded once and kept between runs: a SQLite file under <c>BenchmarkDotNet.Artifacts/</c>, or a database named after the
/// count on the PostgreSQL server in <c>DATAWARD_TEST_POSTGRES</c>. A marker row written last says the seed is complete
/// and which key hashed it; anything else is wiped and seeded again.</summary>
internal sealed class ConsentBenchDatabase
{
    public const int PurposeCount = 5;
    /// <summary>Bumped whenever the seeded rows change shape, so older cached databases are rebuilt.</summary>
    private const int Layout = 1;
    /// <summary>Fixed, so the subject hashes of a cached database stay valid (KeyRing.Hash is keyed).</summary>
    public static readonly string MasterKey = Convert.ToBase64String(Encoding.ASCII.GetBytes("dataward-bench-master-key-32byte"));

    private ConsentBenchDatabase(StorageProvider provider, string connectionString, int subjects)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Subjects = subjects;
    }

    public StorageProvider Provider { get; }

    public string ConnectionString { get; }

    public int Subjects { get; }

    public static string Subject(int index) => $"subject{index}@example.org";

    public static string Purpose(int index) => $"bench-purpose-{index}";

    /// <summary>Four in five pairs are given; the fifth was given, then withdrawn. Subjects past the seeded count have no row.</summary>
    public static bool IsGiven(int subject, int purpose) => (subject + purpose) % 5 != 0;

    /// <summary>A random subject and purpose to check, and the answer the check must give. One pair in eleven names a
    /// subject past the seeded ones: unknown people are denied.</summary>
    public static (int Subject, int Purpose, bool Allowed) RandomPair(Random random, int subjects)
    {
        var subject = random.Next(subjects + (subjects / 10));
        var purpose = random.Next(PurposeCount);
        return (subject, purpose, subject < subjects && IsGiven(subject, purpose));
    }

    /// <summary>The settings a Dataward host needs to use this database (configuration keys).</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Storage:Provider"] = Provider.ToString(),
        ["ConnectionStrings:Dataward"] = ConnectionString,
        ["Security:MasterKey"] = MasterKey,
        ["Jobs:Enabled"] = "false",
    };

    public WebApplication BuildCliApp() =>
        DatawardApp.Build([], HostMode.Cli, builder => builder.Configuration.AddInMemoryCollection(Settings));

    /// <summary>Where the database for this provider and count lives; <see cref="PrepareAsync"/> makes sure it is seeded.</summary>
    public static ConsentBenchDatabase Locate(StorageProvider provider, int subjects)
    {
        if (provider == StorageProvider.Sqlite)
        {
            var folder = Path.GetFullPath(Path.Combine("BenchmarkDotNet.Artifacts", "consent-seed"));
            Directory.CreateDirectory(folder);
            var file = Path.Combine(folder, $"consent-{subjects}.db");
            return new ConsentBenchDatabase(provider, new SqliteConnectionStringBuilder { DataSource = file }.ConnectionString, subjects);
        }
        var server = Environment.GetEnvironmentVariable("DATAWARD_TEST_POSTGRES")
            ?? throw new InvalidOperationException("Set DATAWARD_TEST_POSTGRES to a PostgreSQL server (eval \"$(.ci/start-postgres)\").");
        return new ConsentBenchDatabase(provider,
            new NpgsqlConnectionStringBuilder(server) { Database = $"dataward_bench_consent_{subjects}" }.ConnectionString, subjects);
    }

    /// <summary>Finds the cached database or seeds a new one, reporting what it did on the console.</summary>
    public static async Task<ConsentBenchDatabase> PrepareAsync(StorageProvider provider, int subjects, bool reseed)
    {
        var database = Locate(provider, subjects);
        if (provider == StorageProvider.Postgres && !await database.PostgresDatabaseExistsAsync())
        {
            await database.RecreatePostgresDatabaseAsync();
        }
        await using (var app = database.BuildCliApp())
        {
            await StorageRegistration.MigrateAsync(app.Services);
        }
        if (!reseed && await database.IsSeededAsync())
        {
            Console.WriteLine($"// {provider}: reusing the seeded database ({subjects:N0} subjects × {PurposeCount} purposes)");
            return database;
        }
        await database.WipeAsync();
        await using var fresh = database.BuildCliApp();
        await StorageRegistration.MigrateAsync(fresh.Services);
        var clock = Stopwatch.StartNew();
        var keys = fresh.Services.GetRequiredService<KeyRing>();
        var noticeVersion = await CreatePurposesAndNoticeAsync(fresh.Services);
        var hashes = SortedHashes(keys, subjects);
        var hashing = clock.Elapsed;
        var now = DateTimeOffset.UtcNow;
        if (provider == StorageProvider.Sqlite)
        {
            await database.InsertSqliteAsync(hashes, noticeVersion, now);
        }
        else
        {
            await database.InsertPostgresAsync(hashes, noticeVersion, now);
        }
        Console.WriteLine($"// {provider}: seeded {subjects:N0} subjects × {PurposeCount} purposes in {clock.Elapsed.TotalSeconds:F1} s " +
            $"(hashing {hashing.TotalSeconds:F1} s, rows {(clock.Elapsed - hashing).TotalSeconds:F1} s)");
        return database;
    }

    private async Task<bool> PostgresDatabaseExistsAsync()
    {
        await using var admin = new NpgsqlConnection(AdminConnectionString());
        await admin.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", admin);
        exists.Parameters.AddWithValue("name", new NpgsqlConnectionStringBuilder(ConnectionString).Database!);
        return await exists.ExecuteScalarAsync() is not null;
    }

    /// <summary>A fresh database rather than emptied tables: nothing of an earlier seed (tokens, audit entries) survives.</summary>
    private async Task RecreatePostgresDatabaseAsync()
    {
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(ConnectionString).Database!;
        await using var admin = new NpgsqlConnection(AdminConnectionString());
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
        await create.ExecuteNonQueryAsync();
    }

    private string AdminConnectionString() => new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres" }.ConnectionString;

    private async Task<bool> IsSeededAsync()
    {
        await using var connection = Open();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = Provider == StorageProvider.Sqlite
            ? "SELECT count(*) FROM sqlite_master WHERE name = 'bench_seed'"
            : "SELECT count(*) FROM pg_tables WHERE tablename = 'bench_seed'";
        if (Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            return false;
        }
        command.CommandText = "SELECT subjects, layout, key_check FROM bench_seed";
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() && reader.GetInt64(0) == Subjects && reader.GetInt64(1) == Layout && reader.GetString(2) == KeyCheck();
    }

    /// <summary>The hash of subject 0 under the bench key: proves the cached rows were hashed with the key used now.</summary>
    private static string KeyCheck() =>
        new KeyRing([Convert.FromBase64String(MasterKey)]).Hash(ConsentRules.NormaliseSubject(Subject(0)), ConsentService.SubjectHashPurpose);

    private async Task WipeAsync()
    {
        if (Provider == StorageProvider.Postgres)
        {
            await RecreatePostgresDatabaseAsync();
            return;
        }
        SqliteConnection.ClearAllPools();
        var file = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            File.Delete(file + suffix);
        }
    }

    public System.Data.Common.DbConnection Open() => Provider == StorageProvider.Sqlite
        ? new SqliteConnection(ConnectionString)
        : new NpgsqlConnection(ConnectionString);

    /// <summary>The purposes and the notice go through the services, as an administrator would create them.</summary>
    private static async Task<string> CreatePurposesAndNoticeAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var consent = scope.ServiceProvider.GetRequiredService<ConsentService>();
        for (var p = 0; p < PurposeCount; p++)
        {
            var purpose = await consent.CreatePurposeAsync(new ConsentPurposeRequest(Purpose(p), $"Bench purpose {p}", "Seeded for the consent-check benchmark."),
                AuditActor.System);
            Check(purpose.Succeeded, purpose.Describe());
        }
        var notices = scope.ServiceProvider.GetRequiredService<NoticeService>();
        var draft = await notices.CreateAsync(new NoticeRequest("en", "Bench notice", "Seeded for the consent-check benchmark.",
            Purposes: [.. Enumerable.Range(0, PurposeCount).Select(Purpose)]), AuditActor.System);
        Check(draft.Succeeded, draft.Describe());
        var published = await notices.PublishAsync(draft.Value!.Id, AuditActor.System);
        Check(published.Succeeded, published.Describe());
        return published.Value!.Version!;
    }

    /// <summary>Every subject's keyed hash with its index, in the primary key's order, so rows append to the index.</summary>
    private static (string Hash, int Subject)[] SortedHashes(KeyRing keys, int subjects)
    {
        var hashes = new (string Hash, int Subject)[subjects];
        Parallel.For(0, subjects, i =>
            hashes[i] = (keys.Hash(ConsentRules.NormaliseSubject(Subject(i)), ConsentService.SubjectHashPurpose), i));
        Array.Sort(hashes, (a, b) => string.CompareOrdinal(a.Hash, b.Hash));
        return hashes;
    }

    /// <summary>The rows of one subject, purposes in key order (they sort like their digit).</summary>
    private static IEnumerable<(string Purpose, string Action, Guid EventId)> Rows(int subject)
    {
        for (var p = 0; p < PurposeCount; p++)
        {
            yield return (Purpose(p), IsGiven(subject, p) ? ConsentActions.Given : ConsentActions.Withdrawn, Guid.CreateVersion7());
        }
    }

    private async Task InsertSqliteAsync((string Hash, int Subject)[] hashes, string noticeVersion, DateTimeOffset now)
    {
        SqliteConnection.ClearAllPools();
        await using var connection = new SqliteConnection(ConnectionString + ";Pooling=False");
        await connection.OpenAsync();
        // Nothing else has the file open: a rollback journal costs nothing for pages appended past the old end of the file.
        await Execute(connection, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000;");
        await using (var transaction = connection.BeginTransaction())
        {
            // One prepared single-row statement: Microsoft.Data.Sqlite binds parameters by name, which makes a statement
            // of hundreds of rows cost quadratically in its parameters.
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO consent_states (subject_hash, purpose, latest_action, event_id, notice_version, ever_given, given_at, updated_at) " +
                "VALUES ($hash, $purpose, $action, $event, $notice, 1, $given, $updated)";
            var hash = insert.Parameters.Add("$hash", SqliteType.Text);
            var purpose = insert.Parameters.Add("$purpose", SqliteType.Text);
            var action = insert.Parameters.Add("$action", SqliteType.Text);
            var eventId = insert.Parameters.Add("$event", SqliteType.Text);
            insert.Parameters.AddWithValue("$notice", noticeVersion);
            insert.Parameters.AddWithValue("$given", now.AddDays(-30).UtcTicks);
            insert.Parameters.AddWithValue("$updated", now.UtcTicks);
            insert.Prepare();
            foreach (var (subjectHash, subject) in hashes)
            {
                foreach (var row in Rows(subject))
                {
                    hash.Value = subjectHash;
                    purpose.Value = row.Purpose;
                    action.Value = row.Action;
                    // EF Core keeps Guids in SQLite as upper-case text and DateTimeOffsets as UTC ticks.
                    eventId.Value = row.EventId.ToString().ToUpperInvariant();
                    await insert.ExecuteNonQueryAsync();
                }
            }
            await WriteMarkerAsync(connection, transaction);
            await transaction.CommitAsync();
        }
        await Execute(connection, "PRAGMA journal_mode=WAL;");
    }

    private async Task InsertPostgresAsync((string Hash, int Subject)[] hashes, string noticeVersion, DateTimeOffset now)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            // Loading into a table without its key and then building the key by sorting is several times faster than
            // maintaining the index row by row; the constraint is re-created with the name the migration gave it.
            await Execute(connection, "SET LOCAL maintenance_work_mem = '1GB'; ALTER TABLE consent_states DROP CONSTRAINT \"PK_consent_states\";", transaction);
            await using (var copy = await connection.BeginBinaryImportAsync(
                "COPY consent_states (subject_hash, purpose, latest_action, event_id, notice_version, ever_given, given_at, updated_at) FROM STDIN (FORMAT BINARY)"))
            {
                var givenAt = now.AddDays(-30);
                foreach (var (hash, subject) in hashes)
                {
                    foreach (var (purpose, action, eventId) in Rows(subject))
                    {
                        await copy.StartRowAsync();
                        await copy.WriteAsync(hash, NpgsqlDbType.Varchar);
                        await copy.WriteAsync(purpose, NpgsqlDbType.Varchar);
                        await copy.WriteAsync(action, NpgsqlDbType.Varchar);
                        await copy.WriteAsync(eventId, NpgsqlDbType.Uuid);
                        await copy.WriteAsync(noticeVersion, NpgsqlDbType.Varchar);
                        await copy.WriteAsync(true, NpgsqlDbType.Boolean);
                        await copy.WriteAsync(givenAt, NpgsqlDbType.TimestampTz);
                        await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
                    }
                }
                await copy.CompleteAsync();
            }
            await Execute(connection, "ALTER TABLE consent_states ADD CONSTRAINT \"PK_consent_states\" PRIMARY KEY (subject_hash, purpose);", transaction);
            await WriteMarkerAsync(connection, transaction);
            await transaction.CommitAsync();
        }
        // Sets hint bits and the visibility map now, so the first reads of the benchmark do not write.
        await Execute(connection, "VACUUM ANALYZE consent_states;");
    }

    private async Task WriteMarkerAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction)
    {
        await Execute(connection, "CREATE TABLE bench_seed (subjects bigint NOT NULL, layout bigint NOT NULL, key_check text NOT NULL);", transaction);
        await using var marker = connection.CreateCommand();
        marker.Transaction = transaction;
        marker.CommandText = $"INSERT INTO bench_seed VALUES ({Subjects}, {Layout}, '{KeyCheck()}')";
        await marker.ExecuteNonQueryAsync();
    }

    private static async Task Execute(System.Data.Common.DbConnection connection, string sql, System.Data.Common.DbTransaction? transaction = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
